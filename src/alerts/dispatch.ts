import type { Clock } from '../core/clock.ts';
import type { Db, Executor } from '../db/database.ts';
import { fromJson } from '../db/json.ts';
import type { Job, JobQueue, JobSpec } from '../jobs/jobs.ts';
import type { Journal, NewJournalEntry } from '../journal/journal.ts';
import { maintenanceIntervals } from '../slo/rrule.ts';
import type { Severity } from './alert.model.ts';
import type { AlertRow } from './alert.store.ts';
import {
  alertLabels,
  detectFlapping,
  flushDue,
  type GroupingState,
  inhibitedBy,
  initialGroupingState,
  isWorkingTime,
  type Labels,
  matches,
  nextFlushAt,
  nextWorkingTime,
  onAlert,
  parseMatchers,
  type Silence,
  silencedBy,
  urgencyOf,
} from './hygiene/index.ts';
import { type AlertPolicy, DEFAULT_ALERT_POLICY, loadPolicies } from './policy.ts';
import { loadTargetRouting, NOTIFY_JOB, NOTIFY_MAX_ATTEMPTS, notifyKey, type TargetRouting, targetsFor } from './targets.ts';

/**
 * What happens between an alert changing and anyone being told: the alerting pipeline's
 * hygiene, applied inside the transaction that changes the alert so that the decision and the
 * notification jobs it leads to commit together with the change.
 *
 * For a new alert, in this order:
 * 1. **Maintenance:** a service in a maintenance window (the same windows that exclude time
 *    from its SLOs) is not notified.
 * 2. **Silences:** an active silence whose matchers all match the alert's labels (its own,
 *    plus `service`, `severity` and `dedup_key`) mutes it.
 * 3. **Inhibition:** an open alert on the service matching a rule's source matchers mutes it
 *    (by default a critical alert mutes the service's warnings and infos).
 * 4. **Flapping:** a dedup key that opened and resolved too often lately stops notifying until
 *    it calms down.
 * 5. **Urgency:** high urgency notifies now; low urgency outside the service's working hours is
 *    deferred to the next working time (a `release` job), and dropped if it resolves before.
 * 6. **Grouping:** a service whose policy groups notifications files the alert into its group
 *    (Alertmanager's `group_by`/`group_wait`/`group_interval`/`repeat_interval`), and a durable
 *    flush job sends one notification per group; otherwise each change notifies each target.
 *
 * The alert is stored whatever is decided, with the reason in `suppressed_by`, so it shows in
 * lists and counts for its SLOs; only the notifications are held back.
 *
 * A mute is judged again when its reason goes away: when an inhibiting alert resolves, and when
 * a silence ends (expired by hand, or at its `ends_at` by a durable job). The alerts it muted
 * that still fire, and that nothing else mutes now, are notified then.
 */

/** Runs a deferred low-urgency alert's notification at its `notify_at`. */
export const RELEASE_JOB = 'alert.release';
/** Flushes a service's due notification groups. */
export const GROUP_FLUSH_JOB = 'alert.group-flush';
/** Judges again, at a silence's `ends_at`, the alerts it muted (payload `{ silenceId }`). */
export const SILENCE_ENDED_JOB = 'alert.silence-ended';
/** The second look after a silence ends, for alerts muted by a transaction that committed late. */
export const SILENCE_STRAGGLER_MS = 60_000;

/** A grouped notification to one target, as the notifier's job payload. */
export interface GroupNotifyPayload {
  kind: 'alert.grouped';
  targetId: string;
  serviceId: string;
  groupKey: string;
  /** `alert.triggered` while anything fires, `alert.resolved` once all have resolved. */
  notice: 'alert.triggered' | 'alert.resolved';
  reason: string;
  firing: string[];
  resolved: string[];
  /** The flush time. */
  at: number;
}

/** Per transaction: what the pipeline reads once however many alerts change in it. */
export interface DispatchContext {
  hygiene?: Promise<HygieneSnapshot>;
  names?: Map<string, string>;
  ids?: Map<string, string | null>;
  /** Set by a batch: journal entries and notification jobs written once at its end. */
  journal?: NewJournalEntry[];
  jobs?: JobSpec[];
  /** Set by a batch: its keys' open alerts, and their alerts created since `historySince`. */
  open?: Map<string, AlertRow | null>;
  history?: Map<string, AlertRow[]>;
  historySince?: number;
  /** Set by a batch that inserts its new alerts together at its end: those alerts, by id. */
  pending?: Map<string, AlertRow>;
  /**
   * Each service's stored open alerts, read once per transaction for inhibition (a flood of
   * warnings on one service reads them once); forgotten when the transaction changes one.
   */
  serviceOpen?: Map<string, Array<Pick<AlertRow, 'id' | 'labels' | 'severity' | 'dedup_key' | 'status'>>>;
  /**
   * Set by a batch that tries to do without a transaction (one statement writes it all at its
   * end): anything that would write on the way throws {@link NeedsTransaction} instead.
   */
  readOnly?: boolean;
}

/** The batch wanted to write before its end; it is run again in a transaction. */
export class NeedsTransaction extends Error {}

/** The transaction changed a stored alert of the service: its open alerts are read again when needed. */
export function forgetServiceOpen(ctx: DispatchContext, serviceId: string): void {
  ctx.serviceOpen?.delete(serviceId);
}

/** Throws {@link NeedsTransaction} when the context may not write now. */
export function writing(ctx: DispatchContext): void {
  if (ctx.readOnly) throw new NeedsTransaction('this change writes before the end of its batch');
}

interface HygieneSnapshot {
  silences: Silence[];
  maintenance: Array<{ name: string; services: string[]; start: string; duration: string; rrule: string | null }>;
  policies: Map<string, AlertPolicy>;
  routing: TargetRouting;
}

/** The generation of what {@link HygieneSnapshot} is made of; triggers bump it on every change. */
async function configGeneration(ex: Executor): Promise<number> {
  const row = await ex.selectFrom('alert_config_generation').select('generation').where('id', '=', 1).executeTakeFirst();
  return Number(row?.generation ?? 0);
}

/** What the pipeline decided for a new alert. */
export interface Assessment {
  urgency: 'high' | 'low';
  suppressedBy: string | null;
  notifyAt: number | null;
}

/** An alert's labels as matchers, silences, inhibition and grouping see them. */
export function matchLabels(row: Pick<AlertRow, 'labels' | 'severity' | 'dedup_key'>, service: string): Labels {
  return {
    ...alertLabels({ labels: fromJson<Record<string, string>>(row.labels, {}), service, severity: row.severity as Severity }),
    dedup_key: row.dedup_key,
  };
}

/** Silences as stored, parsed; one that no longer parses is skipped. */
export async function loadLiveSilences(ex: Executor, now: number): Promise<Silence[]> {
  const rows = await ex.selectFrom('silences').selectAll().where('ends_at', '>', now).execute();
  const out: Silence[] = [];
  for (const r of rows) {
    try {
      out.push({
        id: r.id,
        matchers: fromJson<string[]>(r.matchers, []).flatMap((m) => parseMatchers(m)),
        startsAt: Number(r.starts_at),
        endsAt: Number(r.ends_at),
        createdBy: r.created_by,
        comment: r.comment,
      });
    } catch {
      // Validated when created.
    }
  }
  return out;
}

/** How far back flap detection looks under these policies (and the default one). */
function horizonOf(policies: Iterable<AlertPolicy>): number {
  let ms = DEFAULT_ALERT_POLICY.flapping ? DEFAULT_ALERT_POLICY.flapping.windowMs + DEFAULT_ALERT_POLICY.flapping.quietMs : 0;
  for (const p of policies) if (p.flapping) ms = Math.max(ms, p.flapping.windowMs + p.flapping.quietMs);
  return ms;
}

export class Dispatcher {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #journal: Journal;
  readonly #jobs: JobQueue | null;
  readonly #names = new Map<string, string>();
  /** The last snapshot read, kept while the configuration's generation stays the same. */
  #cached: { generation: number; snapshot: HygieneSnapshot } | null = null;

  constructor(deps: { db: Db; clock: Clock; journal: Journal; jobs: JobQueue | null }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#journal = deps.journal;
    this.#jobs = deps.jobs;
  }

  /** Registers the release, group-flush and silence-ended handlers. */
  register(): void {
    if (!this.#jobs) return;
    this.#jobs.handle(RELEASE_JOB, (job) => this.#release(job));
    this.#jobs.handle(GROUP_FLUSH_JOB, (job) => this.#flush(job));
    this.#jobs.handle(SILENCE_ENDED_JOB, (job) => this.#silenceEndedJob(job));
  }

  async serviceName(trx: Executor, ctx: DispatchContext, serviceId: string): Promise<string> {
    ctx.names ??= new Map();
    let name = ctx.names.get(serviceId) ?? this.#names.get(serviceId);
    if (name === undefined) {
      const row = await trx.selectFrom('catalog_entities').select('name').where('id', '=', serviceId).executeTakeFirst();
      name = row?.name ?? '';
      // A service's name never changes (a rename is a new service), so it is kept across batches.
      if (row) {
        if (this.#names.size > 10_000) this.#names.clear();
        this.#names.set(serviceId, name);
      }
    }
    ctx.names.set(serviceId, name);
    return name;
  }

  /** The id of the catalog service with this name, or null. */
  async serviceId(trx: Executor, ctx: DispatchContext, name: string): Promise<string | null> {
    ctx.ids ??= new Map();
    let id = ctx.ids.get(name);
    if (id === undefined) {
      const row = await trx
        .selectFrom('catalog_entities')
        .select('id')
        .where('name', '=', name)
        .where('kind', '=', 'service')
        .executeTakeFirst();
      id = row?.id ?? null;
      ctx.ids.set(name, id);
    }
    return id;
  }

  /** How far back flap detection looks, for the longest flapping window of any policy. */
  async flapHorizonMs(trx: Executor, ctx: DispatchContext): Promise<number> {
    return horizonOf((await this.#snapshot(trx, ctx)).policies.values());
  }

  /**
   * The flap horizon of the policies last read, which may have changed since (see
   * {@link prime}); the default policy's before anything was read.
   */
  assumedFlapHorizonMs(): number {
    return horizonOf(this.#cached?.snapshot.policies.values() ?? []);
  }

  /**
   * Tells the context the configuration's current generation, read by the caller with other
   * things: when it is the one last read, the transaction uses that snapshot without reading
   * anything. False when the snapshot is out of date (it is then read on first use).
   */
  prime(ctx: DispatchContext, generation: number): boolean {
    const cached = this.#cached;
    if (ctx.hygiene || cached?.generation !== generation) return false;
    ctx.hygiene = Promise.resolve(cached.snapshot);
    return true;
  }

  async policyOf(trx: Executor, ctx: DispatchContext, serviceId: string): Promise<AlertPolicy> {
    return (await this.#snapshot(trx, ctx)).policies.get(serviceId) ?? DEFAULT_ALERT_POLICY;
  }

  /**
   * Silences, maintenance windows, policies and targets, read once per transaction and kept
   * across transactions until a change to any of them bumps the generation (one small read
   * instead of four). Silences are kept until they end, not only while active: each use
   * checks the time.
   */
  #snapshot(trx: Executor, ctx: DispatchContext): Promise<HygieneSnapshot> {
    ctx.hygiene ??= (async () => {
      const generation = await configGeneration(trx);
      if (this.#cached?.generation === generation) return this.#cached.snapshot;
      const snapshot = await this.#load(trx);
      // Read after the generation, so at least as new as it: kept under it.
      this.#cached = { generation, snapshot };
      return snapshot;
    })();
    return ctx.hygiene;
  }

  async #load(trx: Executor): Promise<HygieneSnapshot> {
    const now = this.#clock.now();
    const [silences, windows, policies, routing] = await Promise.all([
      loadLiveSilences(trx, now),
      trx.selectFrom('maintenance_windows').select(['name', 'spec']).execute(),
      loadPolicies(trx),
      loadTargetRouting(trx),
    ]);
    return {
      silences,
      maintenance: windows.map((w) => {
        const spec = fromJson<Record<string, unknown>>(w.spec, {});
        return {
          name: w.name,
          services: Array.isArray(spec.services) ? (spec.services as string[]) : [],
          start: String(spec.start ?? ''),
          duration: String(spec.duration ?? '0s'),
          rrule: typeof spec.rrule === 'string' ? spec.rrule : null,
        };
      }),
      policies,
      routing,
    };
  }

  /** Decides a new alert's urgency, whether it is muted and why, and whether it waits. */
  async assess(trx: Executor, ctx: DispatchContext, row: AlertRow, now: number): Promise<Assessment> {
    const snap = await this.#snapshot(trx, ctx);
    const service = await this.serviceName(trx, ctx, row.service_id);
    const policy = snap.policies.get(row.service_id) ?? DEFAULT_ALERT_POLICY;
    const urgency = urgencyOf(row.severity as Severity, policy.urgency);
    const labels = matchLabels(row, service);
    const suppressedBy = await this.#suppression(trx, ctx, snap, policy, row, service, labels, now);
    const notifyAt =
      urgency === 'low' && suppressedBy === null && !isWorkingTime(policy.workingHours, now)
        ? nextWorkingTime(policy.workingHours, now)
        : null;
    return { urgency, suppressedBy, notifyAt };
  }

  async #suppression(
    trx: Executor,
    ctx: DispatchContext,
    snap: HygieneSnapshot,
    policy: AlertPolicy,
    row: AlertRow,
    service: string,
    labels: Labels,
    now: number,
  ): Promise<string | null> {
    for (const w of snap.maintenance) {
      if (!w.services.includes(service)) continue;
      try {
        if (maintenanceIntervals(w, now, now + 1).length > 0) return `maintenance:${w.name}`;
      } catch {
        // Validated on apply; a window that cannot be expanded mutes nothing.
      }
    }
    const silenced = silencedBy(snap.silences, labels, now);
    if (silenced[0]) return `silence:${silenced[0]}`;
    // Only an alert some rule could mute needs the service's open alerts.
    if (policy.inhibitRules.some((r) => matches(r.targetMatchers, labels))) {
      ctx.serviceOpen ??= new Map();
      let stored = ctx.serviceOpen.get(row.service_id);
      if (!stored) {
        stored = await trx
          .selectFrom('alerts')
          .select(['id', 'labels', 'severity', 'dedup_key', 'status'])
          .where('service_id', '=', row.service_id)
          .where('status', '<>', 'resolved')
          .limit(1000)
          .execute();
        ctx.serviceOpen.set(row.service_id, stored);
      }
      const open = stored.filter((a) => a.id !== row.id);
      // Alerts this batch opened are not in the table yet.
      for (const p of ctx.pending?.values() ?? []) {
        if (p.service_id === row.service_id && p.status !== 'resolved' && p.id !== row.id) open.push(p);
      }
      if (open.length > 0) {
        const by = inhibitedBy(
          policy.inhibitRules,
          { id: row.id, labels, status: row.status },
          open.map((a) => ({ id: a.id, labels: matchLabels(a, service), status: a.status })),
        );
        if (by[0]) return `inhibited:${by[0]}`;
      }
    }
    if (policy.flapping) {
      const since = now - policy.flapping.windowMs - policy.flapping.quietMs;
      const known = ctx.history && ctx.historySince !== undefined && ctx.historySince <= since;
      const history = known
        ? (ctx.history?.get(`${row.service_id}\u0000${row.dedup_key}`) ?? []).filter(
            (h) => h.created_at >= since && h.id !== row.id,
          )
        : await trx
            .selectFrom('alerts')
            .select(['created_at', 'resolved_at'])
            .where('service_id', '=', row.service_id)
            .where('dedup_key', '=', row.dedup_key)
            .where('created_at', '>=', since)
            .where('id', '<>', row.id)
            .execute();
      if (history.length > 0) {
        const changes: number[] = [];
        for (const h of history) {
          changes.push(Number(h.created_at));
          if (h.resolved_at !== null) changes.push(Number(h.resolved_at));
        }
        changes.push(now);
        if (detectFlapping(changes, now, policy.flapping).flapping) return 'flapping';
      }
    }
    return null;
  }

  /**
   * After an alert changed (its row as it now is): enqueues what should be sent about it. A
   * muted alert notifies nobody; a deferred one waits for its release.
   */
  async onChange(
    trx: Executor,
    ctx: DispatchContext,
    verb: 'triggered' | 'acknowledged' | 'resolved',
    row: AlertRow,
    now: number,
  ): Promise<void> {
    await this.#announce(trx, ctx, verb, row, now);
    if (verb === 'resolved') await this.#uninhibit(trx, ctx, row, now);
  }

  async #announce(
    trx: Executor,
    ctx: DispatchContext,
    verb: 'triggered' | 'acknowledged' | 'resolved',
    row: AlertRow,
    now: number,
  ): Promise<void> {
    if (!this.#jobs || row.suppressed_by !== null) return;
    if (row.notify_at !== null && row.notify_at > now) {
      if (verb === 'triggered') {
        writing(ctx);
        await this.#jobs.enqueue(trx, {
          kind: RELEASE_JOB,
          payload: { alertId: row.id },
          key: `release:${row.id}`,
          runAt: row.notify_at,
        });
      }
      // Nobody has been told yet; the release finds the alert closed and says nothing.
      return;
    }
    await this.#notify(trx, ctx, verb, row, now);
  }

  /**
   * An alert that muted others by inhibition resolved: the alerts it muted that still fire are
   * judged again, and notified now if nothing else mutes them (as Alertmanager does at their
   * next flush).
   */
  async #uninhibit(trx: Executor, ctx: DispatchContext, source: AlertRow, now: number): Promise<void> {
    // Only an alert some rule takes as a source can have muted anything (most resolutions).
    const policy = await this.policyOf(trx, ctx, source.service_id);
    const labels = matchLabels(source, await this.serviceName(trx, ctx, source.service_id));
    if (!policy.inhibitRules.some((r) => matches(r.sourceMatchers, labels))) return;
    // Inhibition is judged among one service's open alerts, so the alerts it muted are that service's.
    const muted = await trx
      .selectFrom('alerts')
      .selectAll()
      .where('service_id', '=', source.service_id)
      .where('status', '<>', 'resolved')
      .where('suppressed_by', '=', `inhibited:${source.id}`)
      .execute();
    for (const p of ctx.pending?.values() ?? []) {
      if (p.suppressed_by === `inhibited:${source.id}` && p.status !== 'resolved') muted.push(p);
    }
    await this.#rejudge(trx, ctx, muted, now);
  }

  /**
   * Open alerts whose mute's reason went away, judged again as new: each is stored with the new
   * decision (muted by something else, or not), and those no longer muted that still fire are
   * announced as triggered (an acknowledged one is only updated). The alerts announced.
   */
  async #rejudge(trx: Executor, ctx: DispatchContext, muted: AlertRow[], now: number): Promise<AlertRow[]> {
    if (muted.length > 0) writing(ctx);
    const announced: AlertRow[] = [];
    for (const row of muted) {
      const decided = await this.assess(trx, ctx, row, now);
      const patch = { urgency: decided.urgency, suppressed_by: decided.suppressedBy, notify_at: decided.notifyAt };
      const next: AlertRow = { ...row, ...patch };
      const mine = ctx.pending?.get(row.id);
      if (mine) Object.assign(mine, patch);
      else {
        await trx.updateTable('alerts').set(patch).where('id', '=', row.id).execute();
        forgetServiceOpen(ctx, row.service_id);
      }
      if (next.suppressed_by === null && next.status === 'triggered') {
        await this.#announce(trx, ctx, 'triggered', next, now);
        if (this.#jobs) announced.push(next);
      }
    }
    return announced;
  }

  /**
   * Schedules, in the transaction that sets a silence's end, the job that judges its alerts
   * again at `endsAt` (one per end: a changed end has a job of its own).
   */
  async silenceScheduled(trx: Executor, silenceId: string, endsAt: number): Promise<void> {
    if (!this.#jobs) return;
    await this.#jobs.enqueueMany(trx, [
      { kind: SILENCE_ENDED_JOB, payload: { silenceId }, key: `silence-ended:${silenceId}:${endsAt}`, runAt: endsAt },
      // Once more a minute later, for an alert that an ingestion batch judged muted by the silence
      // just before it ended but committed after the first run.
      {
        kind: SILENCE_ENDED_JOB,
        payload: { silenceId },
        key: `silence-ended:${silenceId}:${endsAt}:again`,
        runAt: endsAt + SILENCE_STRAGGLER_MS,
      },
    ]);
  }

  /**
   * A silence ended (expired by hand, in this transaction, or reached its `ends_at`): the open
   * alerts it muted are judged again, and those nothing else mutes now that still fire are
   * notified (as Alertmanager does at their next flush). Journals one `silence.ended` entry
   * when any was notified. The ids of the alerts notified (or deferred to working hours).
   */
  async silenceEnded(trx: Executor, silenceId: string, now: number): Promise<string[]> {
    const muted = await trx
      .selectFrom('alerts')
      .selectAll()
      .where('status', '<>', 'resolved')
      .where('suppressed_by', '=', `silence:${silenceId}`)
      .execute();
    if (muted.length === 0) return [];
    // Read afresh and not kept: the transaction may just have changed the silence, and may yet roll back.
    const ctx: DispatchContext = { hygiene: this.#load(trx) };
    const announced = await this.#rejudge(trx, ctx, muted, now);
    if (announced.length > 0) {
      const services = new Set(announced.map((a) => a.service_id));
      await this.#journal.append(trx, {
        kind: 'silence.ended',
        actor: 'system:alerting',
        serviceId: services.size === 1 ? (announced[0]?.service_id ?? null) : null,
        subjectType: 'silence',
        subjectId: silenceId,
        data: {
          alertIds: announced.map((a) => a.id),
          deferred: announced.filter((a) => a.notify_at !== null && a.notify_at > now).map((a) => a.id),
        },
      });
    }
    return announced.map((a) => a.id);
  }

  /** A silence's `ends_at` has come: judge its alerts again, unless it was extended or is gone. */
  async #silenceEndedJob(job: Job): Promise<void> {
    const { silenceId } = job.payload as { silenceId: string };
    let notified = 0;
    await this.#db.kysely.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('silences').select('ends_at').where('id', '=', silenceId).executeTakeFirst();
      const now = this.#clock.now();
      if (!row || Number(row.ends_at) > now) return;
      notified = (await this.silenceEnded(trx, silenceId, now)).length;
    });
    if (notified > 0) this.#jobs?.wake();
  }

  async #notify(
    trx: Executor,
    ctx: DispatchContext,
    verb: 'triggered' | 'acknowledged' | 'resolved',
    row: AlertRow,
    now: number,
  ): Promise<void> {
    const jobs = this.#jobs;
    if (!jobs) return;
    const policy = await this.policyOf(trx, ctx, row.service_id);
    if (policy.grouping) {
      // Groups know firing and resolved; an acknowledgement changes neither.
      if (verb !== 'acknowledged') await this.#file(trx, ctx, row, policy, now);
      return;
    }
    const { routing } = await this.#snapshot(trx, ctx);
    const kind = `alert.${verb}` as const;
    for (const targetId of targetsFor(routing, row.service_id)) {
      const spec = {
        kind: NOTIFY_JOB,
        payload: { alertId: row.id, targetId, kind },
        key: notifyKey(row.id, kind, targetId),
        maxAttempts: NOTIFY_MAX_ATTEMPTS,
      };
      if (ctx.jobs) ctx.jobs.push(spec);
      else {
        writing(ctx);
        await jobs.enqueue(trx, spec);
      }
    }
  }

  /** Files the alert into its service's grouping state and schedules the next flush. */
  async #file(trx: Executor, ctx: DispatchContext, row: AlertRow, policy: AlertPolicy, now: number): Promise<void> {
    const grouping = policy.grouping;
    if (!grouping) return;
    writing(ctx);
    const service = await this.serviceName(trx, ctx, row.service_id);
    let state = (await this.#lockState(trx, row.service_id)) ?? initialGroupingState(`service:${service}`, grouping);
    state = onAlert(
      { ...state, policy: grouping },
      { id: row.id, status: row.status, labels: matchLabels(row, service), createdAt: Number(row.created_at) },
      now,
    );
    await this.#saveState(trx, row.service_id, state, now);
  }

  async #lockState(trx: Executor, serviceId: string): Promise<GroupingState | null> {
    let q = trx.selectFrom('alert_groups').select('state').where('service_id', '=', serviceId);
    if (this.#db.dialect === 'postgres') q = q.forUpdate();
    const row = await q.executeTakeFirst();
    return row ? fromJson<GroupingState | null>(row.state, null) : null;
  }

  async #saveState(trx: Executor, serviceId: string, state: GroupingState, now: number): Promise<void> {
    const text = JSON.stringify(state);
    await trx
      .insertInto('alert_groups')
      .values({ service_id: serviceId, state: text, updated_at: now })
      .onConflict((oc) => oc.column('service_id').doUpdateSet({ state: text, updated_at: now }))
      .execute();
    const next = nextFlushAt(state);
    if (next !== null && this.#jobs) {
      await this.#jobs.enqueue(trx, {
        kind: GROUP_FLUSH_JOB,
        payload: { serviceId },
        key: `group-flush:${serviceId}:${next}`,
        runAt: next,
      });
    }
  }

  /** A deferred alert's working time has come: notify, unless it closed or was muted meanwhile. */
  async #release(job: Job): Promise<void> {
    const { alertId } = job.payload as { alertId: string };
    await this.#db.kysely.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('alerts').selectAll().where('id', '=', alertId).executeTakeFirst();
      if (row?.status !== 'triggered' || row.suppressed_by !== null) return;
      const now = this.#clock.now();
      const ctx: DispatchContext = {};
      const snap = await this.#snapshot(trx, ctx);
      const service = await this.serviceName(trx, ctx, row.service_id);
      const silenced = silencedBy(snap.silences, matchLabels(row, service), now);
      if (silenced[0]) {
        await trx
          .updateTable('alerts')
          .set({ suppressed_by: `silence:${silenced[0]}` })
          .where('id', '=', row.id)
          .execute();
        return;
      }
      await this.#journal.append(trx, {
        kind: 'alert.released',
        actor: 'system:alerting',
        serviceId: row.service_id,
        subjectType: 'alert',
        subjectId: row.id,
        data: { dedupKey: row.dedup_key, deferredUntil: row.notify_at },
      });
      await this.#notify(trx, ctx, 'triggered', row, now);
    });
    this.#jobs?.wake();
  }

  /** Sends every due group of a service: one notification job per group and target. */
  async #flush(job: Job): Promise<void> {
    const { serviceId } = job.payload as { serviceId: string };
    const jobs = this.#jobs;
    if (!jobs) return;
    await this.#db.kysely.transaction().execute(async (trx) => {
      const state = await this.#lockState(trx, serviceId);
      if (!state) return;
      const now = this.#clock.now();
      const { state: next, notifications } = flushDue(state, now);
      if (notifications.length > 0) {
        const routing = await loadTargetRouting(trx);
        for (const n of notifications) {
          const notice = n.firing.length > 0 ? 'alert.triggered' : 'alert.resolved';
          for (const targetId of targetsFor(routing, serviceId)) {
            const payload: GroupNotifyPayload = {
              kind: 'alert.grouped',
              targetId,
              serviceId,
              groupKey: n.groupKey,
              notice,
              reason: n.reason,
              firing: n.firing,
              resolved: n.resolved,
              at: now,
            };
            await jobs.enqueue(trx, {
              kind: NOTIFY_JOB,
              payload,
              key: `notify-group:${serviceId}:${n.groupKey}:${now}:${targetId}`,
              maxAttempts: NOTIFY_MAX_ATTEMPTS,
            });
          }
        }
      }
      if (Object.keys(next.groups).length === 0) {
        await trx.deleteFrom('alert_groups').where('service_id', '=', serviceId).execute();
      } else {
        await this.#saveState(trx, serviceId, next, now);
      }
    });
    jobs.wake();
  }
}
