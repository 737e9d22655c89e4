import type { Insertable } from 'kysely';
import type { Clock } from '../core/clock.ts';
import { NotFoundError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type Logger, silentLogger } from '../core/logger.ts';
import { BatchLoader, BatchWriter } from '../db/coalesce.ts';
import type { Db } from '../db/database.ts';
import { fromJson } from '../db/json.ts';
import type { NotificationAttemptsTable } from '../db/schema.ts';
import { type Job, JobDeferral, JobFailure, type JobQueue } from '../jobs/jobs.ts';
import type { AlertOut, AlertService } from './alert.service.ts';
import {
  type ChannelSpec,
  type DeliveryOutcome,
  deliver,
  type Notification,
  type NotificationAlert,
  type SmtpSettings,
} from './channels/index.ts';
import type { GroupNotifyPayload } from './dispatch.ts';
import type { LinkSigner } from './links.ts';
import { NOTIFY_JOB, NOTIFY_MAX_ATTEMPTS, type NotificationTargets, notifyKey, type TargetRow } from './targets.ts';

/**
 * Delivers notifications: the handler of {@link NOTIFY_JOB} jobs. Each run is one attempt,
 * recorded in `notification_attempts` whatever its outcome. A retryable failure is thrown so
 * the job queue retries it with backoff (no sooner than the receiver's `Retry-After`); a
 * failure that retrying cannot fix makes the job dead at once.
 *
 * When a job is about to die (a permanent failure, or its last attempt failed), the handler
 * itself enqueues a `meta.delivery-failed` notice to every fallback target but the failed one,
 * before the queue marks the job dead. Doing it here rather than in a hook after the job is
 * buried means the notice is durable before the job is: a worker that crashes in between runs
 * the attempt again, and the notice's idempotency key makes the second enqueue a no-op.
 *
 * The notifications of one alert to one target go out in the order of the changes: triggered,
 * then acknowledged, then resolved. Each is a job of its own, so after a failure a later one
 * could otherwise fall due before an earlier one's retry. A job whose alert has an earlier
 * notification to the same target still pending or running is deferred (see
 * {@link JobDeferral}: no attempt is spent) until that one has been delivered or is dead.
 */

export type NotifyPayload =
  | { kind: 'alert.triggered' | 'alert.acknowledged' | 'alert.resolved'; alertId: string; targetId: string }
  | GroupNotifyPayload
  | { kind: 'meta.delivery-failed'; targetId: string; alertId: string | null; failedJobId: string; failedTarget: string };

export interface AttemptOut {
  attempt: number;
  at: number;
  ok: boolean;
  retryable: boolean | null;
  status: number | null;
  durationMs: number;
  detail: string;
}

export interface DeadNotificationOut {
  jobId: string;
  kind: string;
  alertId: string | null;
  /** The target's name; null when it has been deleted since. */
  target: string | null;
  lastError: string | null;
  diedAt: number;
  attempts: AttemptOut[];
}

export interface NotifierDeps {
  db: Db;
  clock: Clock;
  alerts: AlertService;
  targets: NotificationTargets;
  jobs: JobQueue;
  links: LinkSigner;
  /** Vigil's public base URL, without a trailing slash; links in notifications start with it. */
  publicUrl: string;
  logger?: Logger;
  smtpDefaults?: SmtpSettings;
  /** Per delivery attempt. */
  timeoutMs?: number;
}

/** How long after an earlier notification of the same alert is due a later one tries again. */
const ORDER_WAIT_MS = 500;

export class Notifier {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #alerts: AlertService;
  readonly #targets: NotificationTargets;
  readonly #jobs: JobQueue;
  readonly #links: LinkSigner;
  readonly #publicUrl: string;
  readonly #logger: Logger;
  readonly #smtpDefaults: SmtpSettings | undefined;
  readonly #timeoutMs: number | undefined;
  /**
   * The workers deliver many notifications at once; what each reads and writes goes in one
   * statement per turn of the event loop instead of one each (targets, alerts, attempts).
   */
  readonly #targetLoader = new BatchLoader<string, TargetRow>((ids) => this.#targets.byIds(ids));
  readonly #alertLoader = new BatchLoader<string, AlertOut>(
    async (ids) => new Map((await this.#alerts.getMany(ids)).map((a) => [a.id, a])),
  );
  readonly #attempts = new BatchWriter<Insertable<NotificationAttemptsTable>>(async (rows) => {
    for (let i = 0; i < rows.length; i += 200) {
      await this.#db.kysely
        .insertInto('notification_attempts')
        .values(rows.slice(i, i + 200))
        .execute();
    }
    return undefined;
  });

  constructor(deps: NotifierDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#alerts = deps.alerts;
    this.#targets = deps.targets;
    this.#jobs = deps.jobs;
    this.#links = deps.links;
    this.#publicUrl = deps.publicUrl.replace(/\/+$/, '');
    this.#logger = deps.logger ?? silentLogger;
    this.#smtpDefaults = deps.smtpDefaults;
    this.#timeoutMs = deps.timeoutMs;
  }

  /** Registers the handler with the queue. */
  register(): void {
    this.#jobs.handle(NOTIFY_JOB, (job) => this.run(job));
  }

  /** One attempt of a notification job; see the class comment for what it throws. */
  async run(job: Job): Promise<void> {
    const payload = job.payload as NotifyPayload;
    const target = await this.#targetLoader.load(payload.targetId);
    if (!target) {
      // Deleted since the job was enqueued: there is no one left to tell.
      this.#logger.info({ jobId: job.id, targetId: payload.targetId }, 'notification target is gone; dropping the job');
      return;
    }
    if (payload.kind === 'alert.acknowledged' || payload.kind === 'alert.resolved') await this.#waitForEarlier(payload);
    let notification: Notification | null;
    try {
      notification = await this.#notification(job, payload);
    } catch (error) {
      if (error instanceof NotFoundError) throw new JobFailure(error.message, { permanent: true });
      throw error;
    }
    if (notification === null) {
      this.#logger.info({ jobId: job.id }, 'the alert was muted after this notification was queued; not sending it');
      return;
    }
    const alertId = alertIdOf(payload);
    const outcome = await this.#deliver(target.channel, notification);
    await this.#attempts.write({
      id: newId(this.#clock.now()),
      job_id: job.id,
      target_id: target.id,
      alert_id: alertId,
      kind: payload.kind,
      attempt: job.attempt,
      at: this.#clock.now(),
      ok: outcome.ok ? 1 : 0,
      retryable: outcome.ok ? null : outcome.retryable ? 1 : 0,
      status: outcome.status ?? null,
      duration_ms: outcome.durationMs,
      detail: outcome.detail.slice(0, 2000),
    });
    if (outcome.ok) return;
    const permanent = !outcome.retryable;
    if ((permanent || job.attempt >= job.maxAttempts) && payload.kind !== 'meta.delivery-failed') {
      await this.#noticeFailure(job, payload, target);
    }
    throw new JobFailure(`${target.name}: ${outcome.detail}`, { permanent, retryAfterMs: outcome.retryAfterMs });
  }

  /** Sends a `test` notification to the target now, without a job, and says how it went. */
  async test(name: string): Promise<DeliveryOutcome> {
    const target = await this.#targets.byName(name);
    const now = this.#clock.now();
    return this.#deliver(target.channel, {
      idempotencyKey: `test:${target.id}:${newId(now)}`,
      kind: 'test',
      alerts: [],
      urls: { alert: `${this.#publicUrl}/alerts` },
      sentAt: now,
    });
  }

  /** Dead notification jobs, most recent first, with every attempt recorded for each. */
  async listDead(limit = 100): Promise<DeadNotificationOut[]> {
    const kysely = this.#db.kysely;
    const rows = await kysely
      .selectFrom('jobs')
      .select(['id', 'payload', 'last_error', 'updated_at'])
      .where('status', '=', 'dead')
      .where('kind', '=', NOTIFY_JOB)
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(Math.max(Math.floor(limit), 1), 1000))
      .execute();
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const attempts = await kysely
      .selectFrom('notification_attempts')
      .selectAll()
      .where('job_id', 'in', ids)
      .orderBy('at')
      .orderBy('id')
      .execute();
    const payloads = rows.map((r) => fromJson<NotifyPayload | null>(r.payload, null));
    const targetIds = [...new Set(payloads.map((p) => p?.targetId).filter((x): x is string => typeof x === 'string'))];
    const names = new Map(
      targetIds.length
        ? (await kysely.selectFrom('notification_targets').select(['id', 'name']).where('id', 'in', targetIds).execute()).map(
            (t) => [t.id, t.name],
          )
        : [],
    );
    return rows.map((r, i) => {
      const payload = payloads[i];
      return {
        jobId: r.id,
        kind: payload?.kind ?? 'unknown',
        alertId: payload ? alertIdOf(payload) : null,
        target: (payload && names.get(payload.targetId)) ?? null,
        lastError: r.last_error,
        diedAt: Number(r.updated_at),
        attempts: attempts
          .filter((a) => a.job_id === r.id)
          .map((a) => ({
            attempt: Number(a.attempt),
            at: Number(a.at),
            ok: Number(a.ok) === 1,
            retryable: a.retryable === null ? null : Number(a.retryable) === 1,
            status: a.status === null ? null : Number(a.status),
            durationMs: Number(a.duration_ms),
            detail: a.detail,
          })),
      };
    });
  }

  /** Runs a dead notification job again, with a fresh set of attempts. */
  async retryDead(jobId: string): Promise<void> {
    const job = await this.#db.kysely.selectFrom('jobs').select('kind').where('id', '=', jobId).executeTakeFirst();
    if (!job || job.kind !== NOTIFY_JOB) throw new NotFoundError(`no notification job with id "${jobId}"`);
    await this.#jobs.retryDead(jobId);
  }

  /**
   * Throws a {@link JobDeferral} while a notification of an earlier change of the same alert to
   * the same target is pending or running; one that is done or dead does not hold the later
   * ones back. Their keys are known exactly, so the lookup uses the unique index on `key`.
   */
  async #waitForEarlier(payload: { kind: string; alertId: string; targetId: string }): Promise<void> {
    const earlier: readonly string[] =
      payload.kind === 'alert.acknowledged' ? ['alert.triggered'] : ['alert.triggered', 'alert.acknowledged'];
    const blocking = await this.#db.kysely
      .selectFrom('jobs')
      .select(['key', 'status', 'run_at'])
      .where(
        'key',
        'in',
        earlier.map((kind) => notifyKey(payload.alertId, kind, payload.targetId)),
      )
      .where('status', 'in', ['pending', 'running'])
      .execute();
    if (blocking.length === 0) return;
    const now = this.#clock.now();
    // Try again a moment after the earlier one is due; a running one is usually done by then.
    const due = Math.max(now, ...blocking.map((b) => (b.status === 'pending' ? Number(b.run_at) : now)));
    throw new JobDeferral(`waiting for ${blocking.map((b) => b.key).join(', ')}`, due - now + ORDER_WAIT_MS);
  }

  #deliver(channel: ChannelSpec, n: Notification): Promise<DeliveryOutcome> {
    return deliver(channel, n, { clock: this.#clock, smtpDefaults: this.#smtpDefaults, timeoutMs: this.#timeoutMs });
  }

  /** What to send; null when the alert has been muted (silenced, say) since the job was queued. */
  async #notification(job: Job, payload: NotifyPayload): Promise<Notification | null> {
    const sentAt = this.#clock.now();
    const idempotencyKey = job.key ?? `job:${job.id}`;
    if (payload.kind === 'meta.delivery-failed') {
      const alert = payload.alertId ? await this.#alerts.get(payload.alertId).catch(() => null) : null;
      const failed = await this.#db.kysely
        .selectFrom('notification_attempts')
        .select(['detail'])
        .where('job_id', '=', payload.failedJobId)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirst();
      const notice: NotificationAlert = {
        id: payload.failedJobId,
        summary: `Notifications to "${payload.failedTarget}" are failing${alert ? `: ${alert.summary}` : ''}`,
        severity: 'error',
        status: 'triggered',
        service: alert?.service ?? 'vigil',
        source: 'vigil',
        dedupKey: `delivery-failed:${payload.failedJobId}`,
        createdAt: sentAt,
        details: {
          target: payload.failedTarget,
          job: payload.failedJobId,
          ...(alert ? { alert: alert.id } : {}),
          ...(failed ? { lastError: failed.detail } : {}),
        },
        links: [],
      };
      return {
        idempotencyKey,
        kind: 'meta.delivery-failed',
        alerts: [notice],
        urls: { alert: alert ? this.#alertUrl(alert.id) : `${this.#publicUrl}/alerts` },
        sentAt,
      };
    }
    if (payload.kind === 'alert.grouped') {
      const ids = [...payload.firing, ...payload.resolved];
      const found = await this.#alerts.getMany(ids);
      if (found.length === 0) throw new NotFoundError('the alerts of this group no longer exist');
      // Alerts muted (silenced, say) since the flush was queued are left out, as single
      // notifications are; with none left there is nothing to send.
      const alerts = found.filter((a) => a.suppressedBy === null);
      if (alerts.length === 0) return null;
      const firing = new Set(payload.firing);
      const notice = alerts.some((a) => firing.has(a.id)) ? payload.notice : 'alert.resolved';
      const single = alerts.length === 1 ? alerts[0] : undefined;
      const base = single ? `${this.#publicUrl}/api/v1/alerts/${encodeURIComponent(single.id)}/act?` : '';
      return {
        idempotencyKey,
        kind: notice,
        alerts: alerts.map(notificationAlert),
        groupKey: payload.groupKey,
        urls: single
          ? {
              alert: this.#alertUrl(single.id),
              acknowledge: base + (await this.#links.query(single.id, 'acknowledge')),
              resolve: base + (await this.#links.query(single.id, 'resolve')),
            }
          : { alert: `${this.#publicUrl}/alerts?service=${encodeURIComponent(alerts[0]?.service ?? '')}` },
        sentAt,
      };
    }
    const alert = await this.#alertLoader.load(payload.alertId);
    if (!alert) throw new NotFoundError(`no alert with id "${payload.alertId}"`);
    if (alert.suppressedBy !== null) return null;
    const base = `${this.#publicUrl}/api/v1/alerts/${encodeURIComponent(alert.id)}/act?`;
    return {
      idempotencyKey,
      kind: payload.kind,
      alerts: [notificationAlert(alert)],
      urls: {
        alert: this.#alertUrl(alert.id),
        acknowledge: base + (await this.#links.query(alert.id, 'acknowledge')),
        resolve: base + (await this.#links.query(alert.id, 'resolve')),
      },
      sentAt,
    };
  }

  #alertUrl(id: string): string {
    return `${this.#publicUrl}/alerts/${encodeURIComponent(id)}`;
  }

  async #noticeFailure(job: Job, payload: NotifyPayload, failed: TargetRow): Promise<void> {
    const fallback = await this.#db.kysely
      .selectFrom('notification_targets')
      .select('id')
      .where('service_id', 'is', null)
      .where('id', '<>', failed.id)
      .orderBy('id')
      .execute();
    for (const { id: targetId } of fallback) {
      const notice: NotifyPayload = {
        kind: 'meta.delivery-failed',
        targetId,
        alertId: alertIdOf(payload),
        failedJobId: job.id,
        failedTarget: failed.name,
      };
      await this.#jobs.enqueue(this.#db.kysely, {
        kind: NOTIFY_JOB,
        payload: notice,
        key: `meta:${job.id}:${targetId}`,
        maxAttempts: NOTIFY_MAX_ATTEMPTS,
      });
    }
  }
}

/** The alert a notification is about; a group's first alert. */
function alertIdOf(payload: NotifyPayload): string | null {
  return payload.kind === 'alert.grouped' ? (payload.firing[0] ?? payload.resolved[0] ?? null) : payload.alertId;
}

function notificationAlert(a: AlertOut): NotificationAlert {
  return {
    id: a.id,
    summary: a.summary,
    severity: a.severity,
    status: a.status,
    service: a.service,
    source: a.source,
    dedupKey: a.dedupKey,
    createdAt: a.createdAt,
    details: a.details,
    links: a.links,
  };
}
