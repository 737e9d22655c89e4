import { z } from 'zod';
import { INTEGRATION_TYPES } from '../alerts/alert.model.ts';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, type DesiredIntegration } from '../alerts/alert.service.ts';
import { IntegrationRouteSchema, parseIntegrationConfig, WebhookMappingSchema } from '../alerts/integration.config.ts';
import { Name } from '../catalog/index.ts';
import { InputError } from '../core/errors.ts';
import { VIGIL_V1 } from './catalog.kinds.ts';
import { handlerRef, type KindContext, type KindRegistry } from './kinds.ts';
import type { FieldPath } from './parse.ts';

/**
 * `kind: Integration`: a way in for alerts from another tool (Alertmanager, the PagerDuty Events
 * API v2, a generic JSON webhook), its service, rate limit, webhook mapping and routes. Keys are
 * never in manifests: applying makes a fresh key for a new integration and shows it once, in the
 * apply's result; changes keep the key.
 */

export interface IntegrationFragment {
  desired: DesiredIntegration;
  /** Where the integration is named. */
  self: FieldPath;
}

export const INTEGRATION_HANDLER = handlerRef<IntegrationFragment>('integrations');

const IntegrationDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({ name: Name }),
  spec: z.strictObject({
    service: Name,
    type: z.enum(INTEGRATION_TYPES),
    rateLimitPerMinute: z.number().int().min(1).max(1_000_000).default(DEFAULT_RATE_LIMIT_PER_MINUTE),
    mapping: WebhookMappingSchema.optional(),
    routes: z.array(IntegrationRouteSchema).max(100).optional(),
  }),
});
type IntegrationDoc = z.output<typeof IntegrationDoc>;

/** `spec.routes[0].match[1]` as a document path. */
export function pathOf(text: string): FieldPath {
  const out: Array<string | number> = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[1] ?? Number(m[2]));
  return out;
}

function integrationFromDocument(doc: IntegrationDoc, ctx: KindContext): IntegrationFragment[] {
  const { service, type, rateLimitPerMinute, mapping, routes } = doc.spec;
  try {
    // Checks what the schema cannot: a mapping only on webhooks, and the matchers' syntax.
    const config = parseIntegrationConfig({ mapping, routes }, type, 'spec');
    return [
      {
        desired: { name: doc.metadata.name, service, type, rateLimitPerMinute, config },
        self: ['metadata', 'name'],
      },
    ];
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    for (const issue of error.issues) ctx.issue(pathOf(issue.path), issue.message);
    return [];
  }
}

/** Registers `vigil.dev/v1` `Integration`. */
export function registerIntegrationKinds(registry: KindRegistry): KindRegistry {
  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'Integration',
    description:
      'an integration key for a catalog service: Alertmanager, PagerDuty Events API v2 or a generic JSON webhook with its mapping and routes',
    schema: IntegrationDoc,
    handler: INTEGRATION_HANDLER,
    toDesired: integrationFromDocument,
  });
  return registry;
}
