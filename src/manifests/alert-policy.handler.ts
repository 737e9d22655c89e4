import { alertPolicyToInput, DEFAULT_ALERT_POLICY } from '../alerts/policy.ts';
import type { Principal } from '../auth/principal.ts';
import type { CatalogState } from '../catalog/index.ts';
import type { FieldIssue } from '../core/errors.ts';
import type { Executor } from '../db/database.ts';
import { ALERT_POLICY_HANDLER, type AlertPolicyFragment } from './alert-policy.kinds.ts';
import { VIGIL_V1 } from './catalog.kinds.ts';
import { assembleOnce, byName, fieldChanges, finalServices, missingService, same } from './handler-kit.ts';
import type {
  ExportedDocument,
  HandlerApplied,
  HandlerContext,
  HandlerPlan,
  Located,
  ManifestHandler,
  PlannedChange,
  PlanOptions,
} from './kinds.ts';
import { type FieldPath, issueAt, type ManifestDocument, manifestError } from './parse.ts';

/** A stored policy as the manifests layer sees it. */
export interface StoredAlertPolicy {
  service: string;
  /** Normal input form (`alertPolicyToInput`). */
  policy: Record<string, unknown>;
  source: string | null;
}

/** What the manifests layer needs from the alert policy service (AlertPolicyService fits). */
export interface AlertPolicyPort {
  /** Every service with a policy of its own. */
  list(executor?: Executor): Promise<StoredAlertPolicy[]>;
  set(p: Principal, service: string, input: unknown, opts: { source?: string | null; trx?: Executor }): Promise<unknown>;
  remove(p: Principal, service: string, trx?: Executor): Promise<void>;
}

export interface AlertPolicyHandlerDeps {
  policies: AlertPolicyPort;
  /** Every policy names a catalog service. */
  catalog: { snapshot(executor?: Executor): Promise<CatalogState> };
}

interface Declared {
  ref: string;
  doc: ManifestDocument;
  self: FieldPath;
  service: string;
  policy: Record<string, unknown>;
}

const refOf = (service: string): string => `alert-policy:${service}`;
function assemble(fragments: ReadonlyArray<Located<AlertPolicyFragment>>): Map<string, Declared> {
  return assembleOnce(
    fragments,
    (service) => `AlertPolicy ${service}`,
    (f) => f.service,
    (f, doc) => ({ ref: refOf(f.service), doc, self: f.self, service: f.service, policy: f.policy }),
  );
}

function check(declared: ReadonlyMap<string, Declared>, services: ReadonlySet<string>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const d of declared.values()) {
    if (!services.has(d.service)) issues.push(issueAt(d.doc, d.self, `${d.ref}: ${missingService(d.service)}`));
  }
  return issues;
}

interface Diffed {
  plan: HandlerPlan;
  /** Declared services whose policy or source is to be written. */
  writes: Declared[];
  /** Services whose policies prune removes. */
  removals: string[];
}

function diff(current: readonly StoredAlertPolicy[], declared: ReadonlyMap<string, Declared>, options: PlanOptions): Diffed {
  const plan: HandlerPlan = { changes: [], unchanged: [] };
  const writes: Declared[] = [];
  const removals: string[] = [];
  const stored = new Map(current.map((p) => [p.service, p]));
  for (const d of declared.values()) {
    const before = stored.get(d.service);
    const place = { file: d.doc.file, line: d.doc.lineOf(d.self) };
    if (!before) {
      plan.changes.push({ action: 'create', ref: d.ref, fields: [], ...place });
      writes.push(d);
      continue;
    }
    const fields = fieldChanges(before.policy, d.policy);
    if (before.source !== options.source) fields.push({ field: 'source', from: before.source, to: options.source });
    if (fields.length === 0) {
      plan.unchanged.push(d.ref);
      continue;
    }
    const action: PlannedChange['action'] = fields.length === 1 && fields[0]?.field === 'source' ? 'adopt' : 'update';
    plan.changes.push({ action, ref: d.ref, fields, ...place });
    writes.push(d);
  }
  if (options.prune) {
    for (const p of current) {
      if (p.source === options.source && !declared.has(p.service)) {
        plan.changes.push({ action: 'delete', ref: refOf(p.service), fields: [] });
        removals.push(p.service);
      }
    }
  }
  plan.changes.sort((a, b) => byName(a.ref, b.ref));
  plan.unchanged.sort(byName);
  return { plan, writes, removals };
}

// ---------------------------------------------------------------------------------------------
// Export

const DEFAULTS = alertPolicyToInput(DEFAULT_ALERT_POLICY);

/** One stored policy as a `kind: AlertPolicy` document; fields equal to the defaults are left out. */
export function alertPolicyDocument(service: string, policy: Record<string, unknown>): ExportedDocument {
  const spec: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(policy)) if (!same(value, DEFAULTS[key])) spec[key] = value;
  return { apiVersion: VIGIL_V1, kind: 'AlertPolicy', metadata: { name: service }, spec };
}

export function exportAlertPolicies(policies: readonly StoredAlertPolicy[]): ExportedDocument[] {
  return [...policies].sort((a, b) => byName(a.service, b.service)).map((p) => alertPolicyDocument(p.service, p.policy));
}

// ---------------------------------------------------------------------------------------------
// The handler

async function prepare(
  executor: Executor,
  deps: AlertPolicyHandlerDeps,
  fragments: ReadonlyArray<Located<AlertPolicyFragment>>,
  options: PlanOptions,
  context: HandlerContext | undefined,
): Promise<Diffed> {
  const declared = assemble(fragments);
  const services = await finalServices(executor, deps.catalog, context, options);
  const issues = check(declared, services);
  if (issues.length > 0) throw manifestError(issues);
  return diff(await deps.policies.list(executor), declared, options);
}

/** Config as code for alert policies: `kind: AlertPolicy`. Runs after the catalog's handler, whose services they name. */
export function alertPolicyHandler(deps: AlertPolicyHandlerDeps): ManifestHandler<AlertPolicyFragment> {
  return {
    ref: ALERT_POLICY_HANDLER,

    async plan(executor, fragments, options, context) {
      return (await prepare(executor, deps, fragments, options, context)).plan;
    },

    async apply(trx, principal, fragments, options, context) {
      const { plan, writes, removals } = await prepare(trx, deps, fragments, options, context);
      for (const d of writes.sort((a, b) => byName(a.service, b.service))) {
        await deps.policies.set(principal, d.service, d.policy, { source: options.source, trx });
      }
      for (const service of removals) await deps.policies.remove(principal, service, trx);
      const refs = (action: PlannedChange['action']) => plan.changes.filter((c) => c.action === action).map((c) => c.ref);
      const applied: HandlerApplied = {
        created: refs('create'),
        updated: refs('update'),
        deleted: refs('delete'),
        adopted: refs('adopt'),
        unchanged: plan.unchanged,
      };
      return applied;
    },

    async export(executor) {
      return exportAlertPolicies(await deps.policies.list(executor));
    },
  };
}
