import { assertCanWriteOwned, type Principal } from '../auth/principal.ts';
import { assertCanWriteService } from '../catalog/catalog.store.ts';
import type { Clock } from '../core/clock.ts';
import { ConflictError, InputError, NotFoundError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type Db, type Executor, isUniqueViolation } from '../db/database.ts';
import type { Journal } from '../journal/journal.ts';
import { services as catalogServices } from '../slo/slo.store.ts';
import { type ChannelSpec, parseChannelSpec } from './channels/index.ts';

/**
 * Notification targets: where a service's alerts are sent until on-call schedules exist. A
 * target belongs to one service, or is a fallback (no service): fallback targets receive the
 * alerts of services that have no target of their own, and notices of failed deliveries.
 */

export interface TargetOut {
  name: string;
  /** The service whose alerts go here; null for a fallback target. */
  service: string | null;
  fallback: boolean;
  /** The channel with its secrets masked. */
  channel: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface TargetRow {
  id: string;
  name: string;
  serviceId: string | null;
  channel: ChannelSpec;
}

/** Which targets an alert of each service goes to. */
export interface TargetRouting {
  byService: ReadonlyMap<string, readonly string[]>;
  fallback: readonly string[];
}

export const MASK = '********';

/** The job kind that delivers one notification to one target. */
export const NOTIFY_JOB = 'alert.notify';

/**
 * Attempts per notification before it is dead: with the queue's backoff (1 s doubling, capped
 * at 10 min, with jitter) a receiver may be down for 35 to 70 minutes and still get everything.
 */
export const NOTIFY_MAX_ATTEMPTS = 16;

/** The idempotency key of an alert's notification of one change to one target. */
export function notifyKey(alertId: string, kind: string, targetId: string): string {
  return `notify:${alertId}:${kind}:${targetId}`;
}

/** The channel as the API shows it: signing secrets, passwords and header values masked. */
export function maskChannel(channel: ChannelSpec): Record<string, unknown> {
  switch (channel.type) {
    case 'webhook':
      return {
        ...channel,
        secret: MASK,
        ...(channel.headers ? { headers: Object.fromEntries(Object.keys(channel.headers).map((name) => [name, MASK])) } : {}),
      };
    case 'slack':
    case 'teams':
      // An incoming-webhook URL is itself the credential: only its origin is shown.
      return { ...channel, url: `${new URL(channel.url).origin}/${MASK}` };
    case 'email':
      return channel.smtp?.password !== undefined ? { ...channel, smtp: { ...channel.smtp, password: MASK } } : { ...channel };
  }
}

/** Every target's id by service, and the fallback targets, read once for a batch of alerts. */
export async function loadTargetRouting(ex: Executor): Promise<TargetRouting> {
  const rows = await ex.selectFrom('notification_targets').select(['id', 'service_id']).orderBy('id').execute();
  const byService = new Map<string, string[]>();
  const fallback: string[] = [];
  for (const row of rows) {
    if (row.service_id === null) fallback.push(row.id);
    else byService.set(row.service_id, [...(byService.get(row.service_id) ?? []), row.id]);
  }
  return { byService, fallback };
}

/** The targets an alert of the service goes to: its own, else the fallback targets. */
export function targetsFor(routing: TargetRouting, serviceId: string): readonly string[] {
  return routing.byService.get(serviceId) ?? routing.fallback;
}

export class NotificationTargets {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #journal: Journal;

  constructor(deps: { db: Db; clock: Clock; journal: Journal }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#journal = deps.journal;
  }

  async list(): Promise<TargetOut[]> {
    const rows = await this.#db.kysely
      .selectFrom('notification_targets as t')
      .leftJoin('catalog_entities as s', 's.id', 't.service_id')
      .select(['t.name', 't.service_id', 't.channel', 't.created_at', 't.updated_at', 's.name as service'])
      .orderBy('t.name')
      .execute();
    return rows.map((r) => ({
      name: r.name,
      service: r.service_id === null ? null : (r.service ?? null),
      fallback: r.service_id === null,
      channel: maskChannel(JSON.parse(r.channel) as ChannelSpec),
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    }));
  }

  async get(name: string): Promise<TargetOut> {
    const found = (await this.list()).find((t) => t.name === name);
    if (!found) throw new NotFoundError(`no notification target named "${name}"`);
    return found;
  }

  /** The target with its channel unmasked, for delivery; undefined once deleted. */
  async byId(id: string): Promise<TargetRow | undefined> {
    return (await this.byIds([id])).get(id);
  }

  /** {@link byId} for many targets in one query; deleted ones are missing from the map. */
  async byIds(ids: readonly string[]): Promise<Map<string, TargetRow>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db.kysely
      .selectFrom('notification_targets')
      .selectAll()
      .where('id', 'in', [...ids])
      .execute();
    return new Map(
      rows.map((row) => [
        row.id,
        { id: row.id, name: row.name, serviceId: row.service_id, channel: JSON.parse(row.channel) as ChannelSpec },
      ]),
    );
  }

  async byName(name: string): Promise<TargetRow> {
    const row = await this.#db.kysely.selectFrom('notification_targets').select('id').where('name', '=', name).executeTakeFirst();
    const target = row && (await this.byId(row.id));
    if (!target) throw new NotFoundError(`no notification target named "${name}"`);
    return target;
  }

  async create(
    p: Principal,
    input: { name: string; service?: string | null; fallback?: boolean; channel: unknown },
  ): Promise<TargetOut> {
    // `service: null` and `fallback: true` both ask for a fallback target; leaving both out is
    // refused rather than guessed, since a fallback target hears about every unrouted service.
    const service = input.service ?? null;
    if (service !== null && input.fallback === true)
      throw InputError.field('fallback', 'a target is either for a service or a fallback, not both');
    if (input.service === undefined && input.fallback !== true)
      throw InputError.field('service', 'name a service, or set fallback: true for a fallback target');
    const channel = parseChannelSpec(input.channel, 'channel.');
    const now = this.#clock.now();
    try {
      await this.#db.kysely.transaction().execute(async (trx) => {
        let serviceId: string | null = null;
        if (service !== null) {
          const found = (await catalogServices(trx, [service])).get(service);
          if (!found) throw InputError.field('service', `no catalog service named "${service}"`);
          assertCanWriteOwned(p, found.ownerTeamId, `service:${found.name}`);
          serviceId = found.id;
        }
        if (await trx.selectFrom('notification_targets').select('id').where('name', '=', input.name).executeTakeFirst())
          throw new ConflictError(`a notification target named "${input.name}" already exists`);
        const id = newId(now);
        await trx
          .insertInto('notification_targets')
          .values({
            id,
            name: input.name,
            service_id: serviceId,
            channel: JSON.stringify(channel),
            created_at: now,
            updated_at: now,
          })
          .execute();
        await this.#journal.append(trx, {
          kind: 'notification-target.created',
          actor: p.actor,
          serviceId,
          subjectType: 'notification-target',
          subjectId: id,
          data: { name: input.name, type: channel.type },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a notification target named "${input.name}" already exists`);
      throw error;
    }
    return this.get(input.name);
  }

  async delete(p: Principal, name: string): Promise<void> {
    await this.#db.kysely.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('notification_targets').selectAll().where('name', '=', name).executeTakeFirst();
      if (!row) throw new NotFoundError(`no notification target named "${name}"`);
      if (row.service_id !== null) {
        await assertCanWriteService(trx, p, row.service_id);
      }
      await trx.deleteFrom('notification_targets').where('id', '=', row.id).execute();
      await this.#journal.append(trx, {
        kind: 'notification-target.deleted',
        actor: p.actor,
        serviceId: row.service_id,
        subjectType: 'notification-target',
        subjectId: row.id,
        data: { name },
      });
    });
  }
}
