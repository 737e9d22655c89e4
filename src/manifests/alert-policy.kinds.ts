import { z } from 'zod';
import { AlertPolicyInput, alertPolicyToInput, parseAlertPolicy } from '../alerts/policy.ts';
import { Name } from '../catalog/index.ts';
import { InputError } from '../core/errors.ts';
import { VIGIL_V1 } from './catalog.kinds.ts';
import { pathOf } from './integration.kinds.ts';
import { handlerRef, type KindContext, type KindRegistry } from './kinds.ts';
import type { FieldPath } from './parse.ts';

/**
 * `kind: AlertPolicy`: a catalog service's alert policy (grouping, urgency, working hours,
 * inhibition rules, flap detection). `metadata.name` is the service; `spec` is exactly the body
 * of `PUT /api/v1/services/{name}/alert-policy`.
 */

export interface AlertPolicyFragment {
  service: string;
  /** The policy in its normal input form (every field written out, as the API shows it). */
  policy: Record<string, unknown>;
  /** Where the service is named. */
  self: FieldPath;
}

export const ALERT_POLICY_HANDLER = handlerRef<AlertPolicyFragment>('alert-policies');

const AlertPolicyDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({ name: Name }),
  // The API body's shape (unknown fields are named one by one); parseAlertPolicy checks the rest.
  spec: AlertPolicyInput,
});
type AlertPolicyDoc = z.output<typeof AlertPolicyDoc>;

function alertPolicyFromDocument(doc: AlertPolicyDoc, ctx: KindContext): AlertPolicyFragment[] {
  try {
    const policy = alertPolicyToInput(parseAlertPolicy(doc.spec, 'spec'));
    return [{ service: doc.metadata.name, policy, self: ['metadata', 'name'] }];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    for (const issue of error.issues) ctx.issue(issue.path ? pathOf(issue.path) : ['spec'], issue.message);
    return [];
  }
}

/** Registers `vigil.dev/v1` `AlertPolicy`. */
export function registerAlertPolicyKinds(registry: KindRegistry): KindRegistry {
  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'AlertPolicy',
    description: "a catalog service's alert policy: grouping, urgency, working hours, inhibition rules and flap detection",
    schema: AlertPolicyDoc,
    handler: ALERT_POLICY_HANDLER,
    toDesired: alertPolicyFromDocument,
  });
  return registry;
}
