import { Document, isScalar, visit } from 'yaml';
import type { Principal } from '../auth/principal.ts';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../db/database.ts';
import { type AlertPolicyPort, alertPolicyHandler } from './alert-policy.handler.ts';
import { registerAlertPolicyKinds } from './alert-policy.kinds.ts';
import { type CatalogPort, catalogHandler } from './catalog.handler.ts';
import { registerCatalogKinds } from './catalog.kinds.ts';
import { type IntegrationPort, integrationHandler } from './integration.handler.ts';
import { registerIntegrationKinds } from './integration.kinds.ts';
import {
  type AppliedSecret,
  type ExportFormat,
  type HandlerApplied,
  type HandlerContext,
  type Interpreted,
  KindRegistry,
  type Located,
  type ManifestHandler,
  type PlannedChange,
  type PlanOptions,
} from './kinds.ts';
import { type ManifestFile, parseManifests } from './parse.ts';
import { type ProbePort, probeHandler } from './probe.handler.ts';
import { registerProbeKinds } from './probe.kinds.ts';
import { type SloPort, sloHandler } from './slo.handler.ts';
import { registerSloKinds } from './slo.kinds.ts';

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  /** Objects whose content matches but that another source owns: applying takes them over. */
  adopt: number;
  unchanged: number;
}

/** What applying the manifests would change. */
export interface Plan {
  /** Whether any content differs (a create, update or delete): what CI fails on. */
  drift: boolean;
  /** Creates, updates (with their fields), deletes and adopts; unchanged objects are only counted. */
  changes: PlannedChange[];
  summary: PlanSummary;
}

export interface ApplyResult extends HandlerApplied {
  summary: PlanSummary;
  /** New integration keys, present only when the apply made some: shown this once. */
  secrets?: AppliedSecret[];
}

export interface ManifestServiceDeps {
  db: Db;
  clock: Clock;
  catalog: CatalogPort;
  /** The kinds to read; default: the catalog's (Vigil's own and Backstage's). */
  kinds?: KindRegistry;
  /** Handlers of kinds that later modules register, besides the catalog's. */
  handlers?: ManifestHandler[];
  /** With it, the SLO kinds (OpenSLO v1 and Vigil's) are read too, after the catalog's. */
  slo?: SloPort;
  /** With it, `kind: Probe` is read too, after the catalog's and SLO kinds. */
  probes?: ProbePort;
  /** With it, `kind: Integration` is read too, after the catalog's kinds. */
  alerts?: IntegrationPort;
  /** With it, `kind: AlertPolicy` is read too, after the catalog's kinds. */
  policies?: AlertPolicyPort;
}

const EXPORT_HEADER = '# Vigil catalog, written by `vigil export`. `vigil apply -f` this file to recreate it.\n';
const OPENSLO_HEADER =
  '# Vigil SLOs as OpenSLO v1, written by `vigil export --openslo`. `vigil apply -f` this file to recreate them.\n';

/** Config as code: reads manifests, plans them against the stored state, applies them in one go. */
export class ManifestService {
  readonly #db: Db;
  readonly #kinds: KindRegistry;
  readonly #handlers: ManifestHandler[];

  constructor(deps: ManifestServiceDeps) {
    this.#db = deps.db;
    const kinds = deps.kinds ?? registerCatalogKinds(new KindRegistry());
    if (deps.slo && !deps.kinds) registerSloKinds(kinds);
    if (deps.probes && !deps.kinds) registerProbeKinds(kinds);
    if (deps.alerts && !deps.kinds) registerIntegrationKinds(kinds);
    if (deps.policies && !deps.kinds) registerAlertPolicyKinds(kinds);
    this.#kinds = kinds;
    // SLOs and probes name services, so their handlers run after the catalog's, in the same transaction.
    const slo = deps.slo ? [sloHandler({ slo: deps.slo, catalog: deps.catalog }) as ManifestHandler] : [];
    const probes = deps.probes ? [probeHandler({ probes: deps.probes, catalog: deps.catalog }) as ManifestHandler] : [];
    const integrations = deps.alerts
      ? [integrationHandler({ alerts: deps.alerts, catalog: deps.catalog }) as ManifestHandler]
      : [];
    const policies = deps.policies
      ? [alertPolicyHandler({ policies: deps.policies, catalog: deps.catalog }) as ManifestHandler]
      : [];
    this.#handlers = [
      catalogHandler(deps.catalog) as ManifestHandler,
      ...slo,
      ...probes,
      ...integrations,
      ...policies,
      ...(deps.handlers ?? []),
    ];
  }

  /** The kinds this service reads (for docs and error messages). */
  get kinds(): KindRegistry {
    return this.#kinds;
  }

  async plan(files: readonly ManifestFile[], options: PlanOptions): Promise<Plan> {
    const interpreted = this.#interpret(files);
    const context = contextOf(interpreted);
    const changes: PlannedChange[] = [];
    let unchanged = 0;
    for (const handler of this.#handlers) {
      const planned = await handler.plan(this.#db.kysely, interpreted.get(handler.ref.name) ?? [], options, context);
      changes.push(...planned.changes);
      unchanged += planned.unchanged.length;
    }
    const count = (action: PlannedChange['action']): number => changes.filter((c) => c.action === action).length;
    return {
      drift: changes.some((c) => c.action !== 'adopt'),
      changes,
      summary: { create: count('create'), update: count('update'), delete: count('delete'), adopt: count('adopt'), unchanged },
    };
  }

  /** All or nothing: every handler works in one transaction, so one bad reference writes nothing. */
  async apply(principal: Principal, files: readonly ManifestFile[], options: PlanOptions): Promise<ApplyResult> {
    const interpreted = this.#interpret(files);
    const context = contextOf(interpreted);
    const result = await this.#db.kysely.transaction().execute(async (trx) => {
      const total: HandlerApplied = { created: [], updated: [], deleted: [], adopted: [], unchanged: [], secrets: [] };
      for (const handler of this.#handlers) {
        const applied = await handler.apply(trx, principal, interpreted.get(handler.ref.name) ?? [], options, context);
        total.created.push(...applied.created);
        total.updated.push(...applied.updated);
        total.deleted.push(...applied.deleted);
        total.adopted.push(...applied.adopted);
        total.unchanged.push(...applied.unchanged);
        total.secrets?.push(...(applied.secrets ?? []));
      }
      return total;
    });
    const { secrets, ...applied } = result;
    return {
      ...applied,
      // Only when there are some, so that applies without new keys answer as they always have.
      ...(secrets && secrets.length > 0 ? { secrets } : {}),
      summary: {
        create: result.created.length,
        update: result.updated.length,
        delete: result.deleted.length,
        adopt: result.adopted.length,
        unchanged: result.unchanged.length,
      },
    };
  }

  #interpret(files: readonly ManifestFile[]): Interpreted {
    const interpreted = this.#kinds.interpret(parseManifests(files));
    for (const name of interpreted.keys()) {
      // A kind registered without its handler would be accepted and then silently dropped.
      if (!this.#handlers.some((h) => h.ref.name === name)) throw new Error(`no manifest handler "${name}" is installed`);
    }
    return interpreted;
  }

  /** Everything the handlers manage, as multi-document `vigil.dev/v1` YAML; or what they can write in another format. */
  async exportYaml(format: 'vigil' | ExportFormat = 'vigil'): Promise<string> {
    const docs = [];
    for (const handler of this.#handlers) {
      if (format === 'vigil') docs.push(...(await handler.export(this.#db.kysely)));
      else if (handler.exportAs) docs.push(...(await handler.exportAs(this.#db.kysely, format)));
    }
    return (format === 'vigil' ? EXPORT_HEADER : OPENSLO_HEADER) + docs.map((d) => `---\n${toYaml(d)}`).join('');
  }
}

function contextOf(interpreted: Interpreted): HandlerContext {
  return { fragmentsOf: <F>(ref: { name: string }) => (interpreted.get(ref.name) ?? []) as Array<Located<F>> };
}

/** Lists of plain values on one line (`tags: [a, b]`), as people write them by hand. */
function toYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  // lineWidth 0: folded long descriptions would parse the same, but diff badly in review.
  return doc.toString({ lineWidth: 0 });
}
