import type { Principal } from '../auth/principal.ts';
import { assertCanWriteService } from '../catalog/catalog.store.ts';
import type { Clock } from '../core/clock.ts';
import { parseDuration } from '../core/duration.ts';
import { ConflictError, InputError, NotFoundError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Db, Executor } from '../db/database.ts';
import { fromJson } from '../db/json.ts';
import type { JobQueue } from '../jobs/jobs.ts';
import type { Journal } from '../journal/journal.ts';
import { Dispatcher, matchLabels } from './dispatch.ts';
import { formatMatcher, matches, quoteLabelValue, type Silence, type SilenceState, silenceState } from './hygiene/index.ts';
import { parseSilence } from './hygiene/silences.ts';

/**
 * Silences: label matchers and a time range during which matching alerts are kept but nobody
 * is notified about them. Creating a silence also mutes the open alerts it matches at once (so
 * their acknowledgements, resolutions and grouped repeats stay quiet). When a silence ends,
 * expired by hand or at its `ends_at`, the open alerts it muted are judged again: those that
 * still fire and that nothing else mutes are notified then, so no page is lost to a silence.
 */

export interface SilenceOut {
  id: string;
  /** Alertmanager's matcher syntax, e.g. `service="checkout"`. */
  matchers: string[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  state: SilenceState;
  createdAt: number;
  updatedAt: number;
}

export interface SilenceCreate {
  matchers: string[];
  /** Default: now. */
  startsAt?: number;
  /** Either `endsAt` or `duration` (e.g. `2h`) from `startsAt`. */
  endsAt?: number;
  duration?: string;
  comment: string;
}

/** How long a silence made with one click from an alert lasts unless told otherwise. */
export const DEFAULT_ALERT_SILENCE = '4h';
const MAX_SILENCE_MS = 366 * 24 * 3_600_000;

export class SilenceService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #journal: Journal;
  readonly #jobs: JobQueue | null;
  readonly #dispatch: Dispatcher;

  /**
   * With `jobs`, the end of each silence is scheduled as a durable job, and the alerts a silence
   * muted are notified when it ends (the queue's handlers are registered by the alert service).
   */
  constructor(deps: { db: Db; clock: Clock; journal: Journal; jobs?: JobQueue; dispatcher?: Dispatcher }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#journal = deps.journal;
    this.#jobs = deps.jobs ?? null;
    // The alert service's own, when there is one: one pipeline, one cached configuration.
    this.#dispatch =
      deps.dispatcher ?? new Dispatcher({ db: deps.db, clock: deps.clock, journal: deps.journal, jobs: this.#jobs });
  }

  async create(p: Principal, input: SilenceCreate): Promise<SilenceOut> {
    const now = this.#clock.now();
    const startsAt = input.startsAt ?? now;
    const endsAt = this.#endsAt(input, startsAt);
    const id = newId(now);
    const silence = parseSilence(
      { id, matchers: input.matchers, startsAt, endsAt, createdBy: p.actor, comment: input.comment },
      now,
    );
    await this.#db.kysely.transaction().execute(async (trx) => this.#insert(trx, silence, now, null));
    return this.get(id);
  }

  /** One click from an alert: silence its service and dedup key, for `duration` (default 4h). */
  async fromAlert(p: Principal, alertId: string, input: { duration?: string; comment?: string }): Promise<SilenceOut> {
    const now = this.#clock.now();
    const id = newId(now);
    await this.#db.kysely.transaction().execute(async (trx) => {
      const alert = await trx.selectFrom('alerts').selectAll().where('id', '=', alertId).executeTakeFirst();
      if (!alert) throw new NotFoundError(`no alert with id "${alertId}"`);
      const service = await assertCanWriteService(trx, p, alert.service_id);
      const endsAt = this.#endsAt({ duration: input.duration ?? DEFAULT_ALERT_SILENCE }, now);
      const silence = parseSilence(
        {
          id,
          matchers: [`service=${quoteLabelValue(service?.name ?? '')}`, `dedup_key=${quoteLabelValue(alert.dedup_key)}`],
          startsAt: now,
          endsAt,
          createdBy: p.actor,
          comment: input.comment?.trim() || `Silenced from alert: ${alert.summary}`.slice(0, 1000),
        },
        now,
      );
      await this.#insert(trx, silence, now, alert.service_id);
    });
    return this.get(id);
  }

  #endsAt(input: { endsAt?: number; duration?: string }, startsAt: number): number {
    if (input.endsAt !== undefined && input.duration !== undefined) {
      throw InputError.field('duration', 'give either endsAt or duration, not both');
    }
    if (input.endsAt !== undefined) return input.endsAt;
    if (input.duration === undefined) throw InputError.field('endsAt', 'give endsAt or a duration such as 2h');
    let ms: number;
    try {
      ms = parseDuration(input.duration, 'duration');
    } catch {
      throw InputError.field('duration', `"${input.duration}" is not a duration (examples: 30m, 2h, 1d)`);
    }
    if (ms <= 0) throw InputError.field('duration', 'must be longer than zero');
    if (ms > MAX_SILENCE_MS) throw InputError.field('duration', 'must be at most a year');
    return startsAt + ms;
  }

  async #insert(trx: Executor, s: Silence, now: number, serviceId: string | null): Promise<void> {
    await trx
      .insertInto('silences')
      .values({
        id: s.id,
        matchers: JSON.stringify(s.matchers.map(formatMatcher)),
        starts_at: s.startsAt,
        ends_at: s.endsAt,
        created_by: s.createdBy,
        comment: s.comment,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await this.#dispatch.silenceScheduled(trx, s.id, s.endsAt);
    const muted = silenceState(s, now) === 'active' ? await this.#muteOpen(trx, s) : 0;
    await this.#journal.append(trx, {
      kind: 'silence.created',
      actor: s.createdBy,
      serviceId,
      subjectType: 'silence',
      subjectId: s.id,
      data: { matchers: s.matchers.map(formatMatcher), startsAt: s.startsAt, endsAt: s.endsAt, comment: s.comment, muted },
    });
  }

  /** Marks the open, not yet muted alerts the silence matches as muted by it; how many. */
  async #muteOpen(trx: Executor, s: Silence): Promise<number> {
    const open = await trx
      .selectFrom('alerts')
      .innerJoin('catalog_entities', 'catalog_entities.id', 'alerts.service_id')
      .select(['alerts.id', 'alerts.labels', 'alerts.severity', 'alerts.dedup_key', 'catalog_entities.name as service'])
      .where('alerts.status', '<>', 'resolved')
      .where('alerts.suppressed_by', 'is', null)
      .execute();
    const ids = open.filter((a) => matches(s.matchers, matchLabels(a, a.service))).map((a) => a.id);
    for (let i = 0; i < ids.length; i += 500) {
      await trx
        .updateTable('alerts')
        .set({ suppressed_by: `silence:${s.id}` })
        .where('id', 'in', ids.slice(i, i + 500))
        .execute();
    }
    return ids.length;
  }

  /**
   * Ends a silence now. The open alerts it muted are judged again in the same transaction:
   * those still firing that nothing else mutes are notified.
   */
  async expire(p: Principal, id: string): Promise<SilenceOut & { notifiedAlerts: string[] }> {
    const now = this.#clock.now();
    let notified: string[] = [];
    await this.#db.kysely.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('silences').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw new NotFoundError(`no silence with id "${id}"`);
      if (Number(row.ends_at) <= now) throw new ConflictError('the silence has already expired');
      const endsAt = Math.max(now, Number(row.starts_at));
      await trx.updateTable('silences').set({ ends_at: endsAt, updated_at: now }).where('id', '=', id).execute();
      await this.#journal.append(trx, {
        kind: 'silence.expired',
        actor: p.actor,
        serviceId: null,
        subjectType: 'silence',
        subjectId: id,
        data: { matchers: fromJson<string[]>(row.matchers, []) },
      });
      // Its new end has its job too: it catches an alert muted by a change that commits meanwhile.
      await this.#dispatch.silenceScheduled(trx, id, endsAt);
      notified = await this.#dispatch.silenceEnded(trx, id, now);
    });
    if (notified.length > 0) this.#jobs?.wake();
    return { ...(await this.get(id)), notifiedAlerts: notified };
  }

  async get(id: string): Promise<SilenceOut> {
    const row = await this.#db.kysely.selectFrom('silences').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFoundError(`no silence with id "${id}"`);
    return this.#out(row, this.#clock.now());
  }

  /** Silences in a state (default: active and pending), soonest ending first; expired ones most recent first. */
  async list(q: { state?: SilenceState | 'all'; limit?: number; offset?: number } = {}) {
    const now = this.#clock.now();
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 500);
    const offset = Math.max(q.offset ?? 0, 0);
    let base = this.#db.kysely.selectFrom('silences');
    const state = q.state;
    if (state === 'active') base = base.where('starts_at', '<=', now).where('ends_at', '>', now);
    else if (state === 'pending') base = base.where('starts_at', '>', now);
    else if (state === 'expired') base = base.where('ends_at', '<=', now);
    else if (state === undefined) base = base.where('ends_at', '>', now);
    const [rows, count] = await Promise.all([
      base
        .selectAll()
        .orderBy('ends_at', state === 'expired' || state === 'all' ? 'desc' : 'asc')
        .orderBy('id')
        .limit(limit)
        .offset(offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map((r) => this.#out(r, now)), total: Number(count.n), limit, offset };
  }

  #out(
    r: {
      id: string;
      matchers: string;
      starts_at: number;
      ends_at: number;
      created_by: string;
      comment: string;
      created_at: number;
      updated_at: number;
    },
    now: number,
  ): SilenceOut {
    const startsAt = Number(r.starts_at);
    const endsAt = Number(r.ends_at);
    return {
      id: r.id,
      matchers: fromJson<string[]>(r.matchers, []),
      startsAt,
      endsAt,
      createdBy: r.created_by,
      comment: r.comment,
      state: silenceState({ startsAt, endsAt }, now),
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    };
  }
}
