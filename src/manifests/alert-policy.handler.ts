import { alertPolicyToInput, DEFAULT_ALERT_POLICY } from '../alerts/policy.ts';
import type { Principal } from '../auth/principal.ts';
import type { CatalogState } from '../catalog/index.ts';
import type { FieldIssue } from '../core/errors.ts';
import type { Executor } from '../db/database.ts';
import { ALERT_POLICY_HANDLER, type AlertPolicyFragment } from './alert-policy.kinds.ts';
import { desiredCatalog } from './catalog.handler.ts';
import { CATALOG_HANDLER, VIGIL_V1 } from './catalog.kinds.ts';
import type {
  ExportedDocument,
  FieldChange,
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
const where = (doc: ManifestDocument, at: FieldPath): string => `${doc.file}:${doc.lineOf(at)}`;
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function assemble(fragments: ReadonlyArray<Located<AlertPolicyFragment>>): Map<string, Declared> {
  const issues: FieldIssue[] = [];
  const declared = new Map<string, Declared>();
  for (const { fragment, doc } of fragments) {
    const first = declared.get(fragment.service);
    if (first) {
      issues.push(
        issueAt(
          doc,
          fragment.self,
          `AlertPolicy ${fragment.service} is defined twice: here and at ${where(first.doc, first.self)}`,
        ),
      );
      continue;
    }
    declared.set(fragment.service, {
      ref: refOf(fragment.service),
      doc,
      self: fragment.self,
      service: fragment.service,
      policy: fragment.policy,
    });
  }
  if (issues.length > 0) throw manifestError(issues);
  return declared;
}

/** The catalog's services once this apply is done (the catalog handler runs first). */
async function finalServices(
  executor: Executor,
  catalog: AlertPolicyHandlerDeps['catalog'],
  context: HandlerContext | undefined,
  options: PlanOptions,
): Promise<Set<string>> {
  const current = (await catalog.snapshot(executor)).entities.filter((e) => e.kind === 'service');
  const declared = context
    ? desiredCatalog(context.fragmentsOf(CATALOG_HANDLER), options.source).entities.filter((e) => e.kind === 'service')
    : [];
  const names = new Set(declared.map((e) => e.name));
  for (const e of current) {
    const pruned = options.prune && e.source === options.source && !names.has(e.name);
    if (!pruned) names.add(e.name);
  }
  return names;
}

function check(declared: ReadonlyMap<string, Declared>, services: ReadonlySet<string>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const d of declared.values()) {
    if (!services.has(d.service)) {
      issues.push(
        issueAt(
          d.doc,
          d.self,
          `${d.ref}: service "${d.service}" is not in the catalog; add it there (a vigil.dev/v1 Service or a Backstage Component), in these manifests or before`,
        ),
      );
    }
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------
// Diffing

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (!isPlain(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) if (value[key] !== undefined) out[key] = stable(value[key]);
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(stable(a)) === JSON.stringify(stable(b));

function fieldChanges(before: unknown, after: unknown, prefix: string, out: FieldChange[]): FieldChange[] {
  if (isPlain(before) && isPlain(after)) {
    for (const key of [...new Set([...Object.keys(after), ...Object.keys(before)])]) {
      fieldChanges(before[key], after[key], prefix ? `${prefix}.${key}` : key, out);
    }
  } else if (!same(before, after)) {
    out.push({ field: prefix, from: before ?? null, to: after ?? null });
  }
  return out;
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
    const fields = fieldChanges(before.policy, d.policy, '', []);
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
