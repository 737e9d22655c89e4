import type { DesiredIntegration, IntegrationSecret, StoredIntegration } from '../alerts/alert.service.ts';
import { DEFAULT_RATE_LIMIT_PER_MINUTE } from '../alerts/alert.service.ts';
import type { Principal } from '../auth/principal.ts';
import type { CatalogState } from '../catalog/index.ts';
import { type FieldIssue, InputError } from '../core/errors.ts';
import type { Executor } from '../db/database.ts';
import { VIGIL_V1 } from './catalog.kinds.ts';
import { assembleOnce, byName, fieldChanges, finalServices, missingService } from './handler-kit.ts';
import { INTEGRATION_HANDLER, type IntegrationFragment, pathOf } from './integration.kinds.ts';
import type {
  ExportedDocument,
  HandlerApplied,
  HandlerContext,
  HandlerPlan,
  Located,
  ManifestHandler,
  PlanOptions,
} from './kinds.ts';
import { type FieldPath, issueAt, type ManifestDocument, manifestError } from './parse.ts';

/** What the manifests layer needs from the alert service. */
export interface IntegrationPort {
  /** Every integration, revoked ones included, sorted by name. */
  integrationSnapshot(executor?: Executor): Promise<StoredIntegration[]>;
  /**
   * Makes the integrations match `desired` in the caller's transaction; new ones get a fresh key,
   * returned in `secrets`. Prune revokes. Throws InputError with issues at `integrations[<name>].<field>`.
   */
  applyDesiredIntegrations(
    trx: Executor,
    p: Principal,
    desired: readonly DesiredIntegration[],
    opts: { source: string; prune: boolean },
  ): Promise<HandlerApplied & { secrets: IntegrationSecret[] }>;
}

export interface IntegrationHandlerDeps {
  alerts: IntegrationPort;
  /** Every integration names a catalog service, and so does every route. */
  catalog: { snapshot(executor?: Executor): Promise<CatalogState> };
}

interface Declared {
  ref: string;
  doc: ManifestDocument;
  self: FieldPath;
  desired: DesiredIntegration;
}

const refOf = (name: string): string => `integration:${name}`;
function assemble(fragments: ReadonlyArray<Located<IntegrationFragment>>): Map<string, Declared> {
  return assembleOnce(
    fragments,
    (name) => `Integration ${name}`,
    (f) => f.desired.name,
    (f, doc) => ({ ref: refOf(f.desired.name), doc, self: f.self, desired: f.desired }),
  );
}

/** What storage would refuse, found in a plan too: unknown services, and a changed type. */
function check(declared: ReadonlyMap<string, Declared>, services: ReadonlySet<string>, current: readonly StoredIntegration[]) {
  const issues: FieldIssue[] = [];
  const stored = new Map(current.map((i) => [i.name, i]));
  for (const d of declared.values()) {
    if (!services.has(d.desired.service))
      issues.push(issueAt(d.doc, ['spec', 'service'], `${d.ref}: ${missingService(d.desired.service)}`));
    for (const [i, route] of (d.desired.config.routes ?? []).entries()) {
      if (!services.has(route.service))
        issues.push(issueAt(d.doc, ['spec', 'routes', i, 'service'], `${d.ref}: ${missingService(route.service)}`));
    }
    const before = stored.get(d.desired.name);
    if (before && !before.revoked && before.type !== d.desired.type) {
      issues.push(
        issueAt(
          d.doc,
          ['spec', 'type'],
          `${d.ref}: an integration's type cannot change (${before.type} → ${d.desired.type}): its senders use a ${before.type} URL; declare a new integration instead`,
        ),
      );
    }
  }
  return issues;
}

const INTEGRATION_PATH = /^integrations\[([^\]]+)\]\.?(.*)$/;

/** Points an issue of the alert service (`integrations[x].config.routes[0].service`) at its document field. */
function locate(declared: ReadonlyMap<string, Declared>, issue: FieldIssue): FieldIssue {
  const m = INTEGRATION_PATH.exec(issue.path);
  const d = m ? declared.get(m[1] ?? '') : undefined;
  if (!m || !d) return issue;
  const field = pathOf((m[2] ?? '').replace(/^config\./, ''));
  const at: FieldPath = field.length > 0 && d.doc.has(['spec', ...field]) ? ['spec', ...field] : d.self;
  return { ...issueAt(d.doc, at, issue.message), message: `${d.ref}: ${issue.message}` };
}

// ---------------------------------------------------------------------------------------------
// Diffing

/** The fields a document writes, as one flat object to diff. */
function comparable(i: DesiredIntegration): Record<string, unknown> {
  return {
    service: i.service,
    type: i.type,
    rateLimitPerMinute: i.rateLimitPerMinute,
    mapping: i.config.mapping ?? null,
    routes: i.config.routes ?? null,
  };
}

function diff(current: readonly StoredIntegration[], declared: ReadonlyMap<string, Declared>, options: PlanOptions): HandlerPlan {
  const plan: HandlerPlan = { changes: [], unchanged: [] };
  const stored = new Map(current.map((i) => [i.name, i]));
  for (const d of declared.values()) {
    const before = stored.get(d.desired.name);
    const place = { file: d.doc.file, line: d.doc.lineOf(d.self) };
    // A revoked integration declared again comes back with a new key: a create, as far as senders go.
    if (!before || before.revoked) {
      plan.changes.push({ action: 'create', ref: d.ref, fields: [], ...place });
      continue;
    }
    const fields = fieldChanges(comparable(before), comparable(d.desired));
    if (before.source !== options.source) fields.push({ field: 'source', from: before.source, to: options.source });
    if (fields.length === 0) plan.unchanged.push(d.ref);
    else if (fields.length === 1 && fields[0]?.field === 'source')
      plan.changes.push({ action: 'adopt', ref: d.ref, fields, ...place });
    else plan.changes.push({ action: 'update', ref: d.ref, fields, ...place });
  }
  if (options.prune) {
    for (const i of current) {
      if (i.source === options.source && !i.revoked && !declared.has(i.name)) {
        plan.changes.push({ action: 'delete', ref: refOf(i.name), fields: [] });
      }
    }
  }
  plan.changes.sort((a, b) => byName(a.ref, b.ref));
  plan.unchanged.sort(byName);
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Export

/** One live integration as a `kind: Integration` document (never its key); the default rate limit is left out. */
export function integrationDocument(i: DesiredIntegration): ExportedDocument {
  const spec: Record<string, unknown> = { service: i.service, type: i.type };
  if (i.rateLimitPerMinute !== DEFAULT_RATE_LIMIT_PER_MINUTE) spec.rateLimitPerMinute = i.rateLimitPerMinute;
  if (i.config.mapping) spec.mapping = i.config.mapping;
  if (i.config.routes) spec.routes = i.config.routes;
  return { apiVersion: VIGIL_V1, kind: 'Integration', metadata: { name: i.name }, spec };
}

export function exportIntegrations(integrations: readonly StoredIntegration[]): ExportedDocument[] {
  return integrations
    .filter((i) => !i.revoked)
    .sort((a, b) => byName(a.name, b.name))
    .map(integrationDocument);
}

// ---------------------------------------------------------------------------------------------
// The handler

async function prepare(
  executor: Executor,
  deps: IntegrationHandlerDeps,
  fragments: ReadonlyArray<Located<IntegrationFragment>>,
  options: PlanOptions,
  context: HandlerContext | undefined,
): Promise<{ current: StoredIntegration[]; declared: Map<string, Declared> }> {
  const declared = assemble(fragments);
  const current = await deps.alerts.integrationSnapshot(executor);
  const services = await finalServices(executor, deps.catalog, context, options);
  const issues = check(declared, services, current);
  if (issues.length > 0) throw manifestError(issues);
  return { current, declared };
}

/** Config as code for integrations: `kind: Integration`. Runs after the catalog's handler, whose services they name. */
export function integrationHandler(deps: IntegrationHandlerDeps): ManifestHandler<IntegrationFragment> {
  return {
    ref: INTEGRATION_HANDLER,

    async plan(executor, fragments, options, context) {
      const { current, declared } = await prepare(executor, deps, fragments, options, context);
      return diff(current, declared, options);
    },

    async apply(trx, principal, fragments, options, context) {
      const { declared } = await prepare(trx, deps, fragments, options, context);
      const desired = [...declared.values()].map((d) => d.desired).sort((a, b) => byName(a.name, b.name));
      try {
        return await deps.alerts.applyDesiredIntegrations(trx, principal, desired, {
          source: options.source,
          prune: options.prune,
        });
      } catch (error) {
        if (error instanceof InputError && error.issues.length > 0) {
          throw manifestError(error.issues.map((i) => locate(declared, i)));
        }
        throw error;
      }
    },

    async export(executor) {
      return exportIntegrations(await deps.alerts.integrationSnapshot(executor));
    },
  };
}
