import { type Principal, systemPrincipal } from '../auth/principal.ts';
import { type CatalogService, EntitySpec, TeamSpec, UserSpec } from '../catalog/index.ts';
import type { Db } from '../db/database.ts';
import { DataSourceSpec, ErrorBudgetPolicySpec, MaintenanceWindowSpec, SlaSpec, SliSpec, SloSpec } from './slo.model.ts';
import type { ApplyResult, DesiredSloState, SliEvent, SloService } from './slo.service.ts';

/** Test fixtures shared by the SLO module's suites. */

export const admin: Principal = systemPrincipal('test');

/** Teams `payments` (alice) and `search` (bob); services `checkout` and `ledger` (payments) and `search` (search). */
export async function seedCatalog(db: Db, catalog: CatalogService): Promise<void> {
  await db.kysely.transaction().execute((trx) =>
    catalog.applyDesired(
      trx,
      admin,
      {
        users: [UserSpec.parse({ name: 'alice' }), UserSpec.parse({ name: 'bob' })].map((u) => ({ ...u, source: null })),
        teams: [
          TeamSpec.parse({ name: 'payments', members: ['alice'] }),
          TeamSpec.parse({ name: 'search', members: ['bob'] }),
        ].map((t) => ({ ...t, source: null })),
        entities: [
          EntitySpec.parse({ name: 'checkout', title: 'Checkout', owner: 'payments', tier: 'tier-1' }),
          EntitySpec.parse({ name: 'ledger', owner: 'payments' }),
          EntitySpec.parse({ name: 'search', owner: 'search', tier: 'tier-2' }),
        ].map((e) => ({ ...e, source: null })),
      },
      { source: 'test', prune: false },
    ),
  );
}

/** A desired state from loose input, parsed as the manifests layer would. */
export function sloState(input: {
  slis?: object[];
  slos?: object[];
  slas?: object[];
  dataSources?: object[];
  policies?: object[];
  maintenanceWindows?: object[];
}): DesiredSloState {
  return {
    slis: (input.slis ?? []).map((s) => SliSpec.parse(s)),
    slos: (input.slos ?? []).map((s) => ({ ...SloSpec.parse(s), source: null })),
    slas: (input.slas ?? []).map((s) => ({ ...SlaSpec.parse(s), source: null })),
    dataSources: (input.dataSources ?? []).map((s) => ({ ...DataSourceSpec.parse(s), source: null })),
    policies: (input.policies ?? []).map((s) => ({ ...ErrorBudgetPolicySpec.parse(s), source: null })),
    maintenanceWindows: (input.maintenanceWindows ?? []).map((s) => ({ ...MaintenanceWindowSpec.parse(s), source: null })),
  };
}

export function applySlo(
  db: Db,
  slo: SloService,
  state: DesiredSloState,
  opts: { source?: string; prune?: boolean; principal?: Principal } = {},
): Promise<ApplyResult> {
  return db.kysely
    .transaction()
    .execute((trx) =>
      slo.applyDesired(trx, opts.principal ?? admin, state, { source: opts.source ?? 'repo', prune: opts.prune ?? false }),
    );
}

/** Sends `events` in batches of 10,000. */
export async function ingestAll(slo: SloService, sli: string, events: SliEvent[]): Promise<number> {
  let accepted = 0;
  for (let i = 0; i < events.length; i += 10_000) {
    const r = await slo.ingest(admin, sli, { events: events.slice(i, i + 10_000) });
    if (r.rejected.length > 0) throw new Error(`rejected: ${JSON.stringify(r.rejected.slice(0, 3))}`);
    accepted += r.accepted;
  }
  return accepted;
}

/** One count event per minute over `[from, to)`; `bad(minuteStartMs)` says how many of `total` failed. */
export function minuteCounts(from: number, to: number, total: number, bad: (at: number) => number = () => 0): SliEvent[] {
  const out: SliEvent[] = [];
  for (let at = Math.ceil(from / 60_000) * 60_000; at < to; at += 60_000) {
    const b = bad(at);
    out.push({ timestamp: at, good: total - b, total });
  }
  return out;
}
