import { assertCanWriteOwned, type Principal } from '../auth/principal.ts';
import type { Clock } from '../core/clock.ts';
import { InputError, NotFoundError } from '../core/errors.ts';
import type { Db, Executor } from '../db/database.ts';
import { fromJson } from '../db/json.ts';
import type { Journal } from '../journal/journal.ts';
import { services as catalogServices } from '../slo/slo.store.ts';
import { type AlertPolicy, alertPolicyToInput, DEFAULT_ALERT_POLICY, parseAlertPolicy } from './policy.ts';

/** Each service's alert policy, as stored and as the API shows it. */
export interface AlertPolicyOut {
  service: string;
  /** False when the service has no policy of its own and gets the defaults shown. */
  custom: boolean;
  policy: Record<string, unknown>;
  source: string | null;
  updatedAt: number | null;
}

export class AlertPolicyService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #journal: Journal;

  constructor(deps: { db: Db; clock: Clock; journal: Journal }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#journal = deps.journal;
  }

  async get(service: string): Promise<AlertPolicyOut> {
    const svc = (await catalogServices(this.#db.kysely, [service])).get(service);
    if (!svc) throw new NotFoundError(`no catalog service named "${service}"`);
    const row = await this.#db.kysely
      .selectFrom('alert_policies')
      .selectAll()
      .where('service_id', '=', svc.id)
      .executeTakeFirst();
    if (!row) return { service, custom: false, policy: alertPolicyToInput(DEFAULT_ALERT_POLICY), source: null, updatedAt: null };
    return {
      service,
      custom: true,
      policy: alertPolicyToInput(parseAlertPolicy(fromJson<unknown>(row.spec, {}))),
      source: row.source,
      updatedAt: Number(row.updated_at),
    };
  }

  /** Every service with a policy of its own. */
  async list(ex: Executor = this.#db.kysely): Promise<AlertPolicyOut[]> {
    const rows = await ex
      .selectFrom('alert_policies')
      .innerJoin('catalog_entities', 'catalog_entities.id', 'alert_policies.service_id')
      .select(['catalog_entities.name as service', 'alert_policies.spec', 'alert_policies.source', 'alert_policies.updated_at'])
      .orderBy('catalog_entities.name')
      .execute();
    return rows.map((r) => ({
      service: r.service,
      custom: true,
      policy: alertPolicyToInput(parseAlertPolicy(fromJson<unknown>(r.spec, {}))),
      source: r.source,
      updatedAt: Number(r.updated_at),
    }));
  }

  /** Validates and stores a service's policy (all-or-nothing); `trx` lets an apply compose it. */
  async set(
    p: Principal,
    service: string,
    input: unknown,
    opts: { source?: string | null; trx?: Executor } = {},
  ): Promise<AlertPolicy> {
    const policy = parseAlertPolicy(input, 'policy');
    const run = async (trx: Executor) => {
      const svc = (await catalogServices(trx, [service])).get(service);
      if (!svc) throw InputError.field('service', `no catalog service named "${service}"`);
      assertCanWriteOwned(p, svc.ownerTeamId, `service:${service}`);
      const now = this.#clock.now();
      const spec = JSON.stringify(alertPolicyToInput(policy));
      await trx
        .insertInto('alert_policies')
        .values({ service_id: svc.id, spec, source: opts.source ?? null, updated_at: now })
        .onConflict((oc) => oc.column('service_id').doUpdateSet({ spec, source: opts.source ?? null, updated_at: now }))
        .execute();
      await this.#journal.append(trx, {
        kind: 'alert-policy.updated',
        actor: p.actor,
        serviceId: svc.id,
        subjectType: 'service',
        subjectId: svc.id,
        data: { service },
      });
    };
    if (opts.trx) await run(opts.trx);
    else await this.#db.kysely.transaction().execute(run);
    return policy;
  }

  /** Back to the defaults. */
  async remove(p: Principal, service: string, trx?: Executor): Promise<void> {
    const run = async (ex: Executor) => {
      const svc = (await catalogServices(ex, [service])).get(service);
      if (!svc) throw new NotFoundError(`no catalog service named "${service}"`);
      assertCanWriteOwned(p, svc.ownerTeamId, `service:${service}`);
      await ex.deleteFrom('alert_policies').where('service_id', '=', svc.id).execute();
      await this.#journal.append(ex, {
        kind: 'alert-policy.removed',
        actor: p.actor,
        serviceId: svc.id,
        subjectType: 'service',
        subjectId: svc.id,
        data: { service },
      });
    };
    if (trx) await run(trx);
    else await this.#db.kysely.transaction().execute(run);
  }
}
