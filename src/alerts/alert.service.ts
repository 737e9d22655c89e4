import { createHash } from 'node:crypto';
import { assertCanWriteOwned, type Principal } from '../auth/principal.ts';
import { assertCanWriteService } from '../catalog/catalog.store.ts';
import type { Clock } from '../core/clock.ts';
import { ConflictError, type FieldIssue, InputError, NotFoundError, UnauthenticatedError } from '../core/errors.ts';
import { newId, newSecret } from '../core/ids.ts';
import { type Db, type Executor, isUniqueViolation, PRIORITY_CONNECTIONS } from '../db/database.ts';
import type { JobQueue } from '../jobs/jobs.ts';
import type { Journal } from '../journal/journal.ts';
import { services as catalogServices } from '../slo/slo.store.ts';
import { type AlertStatus, type IntegrationType, type NormalizedEvent, SEVERITIES, type Severity } from './alert.model.ts';
import * as store from './alert.store.ts';
import { type DispatchContext, Dispatcher, forgetServiceOpen, NeedsTransaction, writing } from './dispatch.ts';
import { type IntegrationConfig, parseIntegrationConfig, routeFor, storedConfig } from './integration.config.ts';

/**
 * Alerts: integrations that let other tools send them, ingestion that makes every accepted
 * event durable before it is acknowledged, deduplication by key, and acknowledge/resolve.
 *
 * Events are applied through a small group commit: events arriving within a couple of
 * milliseconds share one transaction, applied in arrival order, and every sender's request
 * returns only after that transaction commits. Batches are applied one after another, so events
 * with the same dedup key are applied in the order they were received.
 */

export interface AlertOut {
  id: string;
  service: string;
  integration: string | null;
  origin: string;
  dedupKey: string;
  status: AlertStatus;
  severity: Severity;
  summary: string;
  source: string | null;
  component: string | null;
  group: string | null;
  class: string | null;
  details: Record<string, unknown>;
  links: Array<{ href: string; text?: string }>;
  images: Array<{ src: string; href?: string; alt?: string }>;
  labels: Record<string, string>;
  createdAt: number;
  lastEventAt: number;
  eventCount: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  /** `high` pages at once; `low` waits for the service's working hours. */
  urgency: 'high' | 'low';
  /** Why nobody was notified: `silence:<id>`, `maintenance:<window>`, `inhibited:<alert id>` or `flapping`. */
  suppressedBy: string | null;
  /** When a deferred low-urgency alert is (or was) notified. */
  notifyAt: number | null;
}

export interface IntegrationOut {
  name: string;
  service: string;
  type: IntegrationType;
  /** The key's first characters, to tell keys apart. */
  keyHint: string;
  rateLimitPerMinute: number;
  createdAt: number;
  revokedAt: number | null;
  source: string | null;
  /** The webhook mapping and the routes (see `integration.config.ts`); `{}` when there are none. */
  config: IntegrationConfig;
}

/** An integration as manifests declare it: everything but its key. */
export interface DesiredIntegration {
  name: string;
  service: string;
  type: IntegrationType;
  rateLimitPerMinute: number;
  config: IntegrationConfig;
}

export interface StoredIntegration extends DesiredIntegration {
  source: string | null;
  revoked: boolean;
}

/** A key made by applying manifests: shown once, in the apply's result. */
export interface IntegrationSecret {
  ref: string;
  key: string;
  path: string;
}

export interface IntegrationKeyOut {
  integration: IntegrationOut;
  /** Shown once: only its hash is stored. */
  key: string;
  /** Where the sender posts, relative to Vigil's URL. */
  path: string;
}

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;
const KEY_CACHE_MS = 5_000;
const BATCH_MAX = 500;
const BATCH_WAIT_MS = 2;

const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

function pathFor(type: IntegrationType, key: string): string {
  switch (type) {
    case 'events-api-v2':
      return '/v2/enqueue';
    case 'alertmanager':
      return `/api/v1/integrations/alertmanager/${key}`;
    case 'webhook':
      return `/api/v1/integrations/webhook/${key}`;
  }
}

interface Pending {
  serviceId: string;
  integration: store.IntegrationRow | null;
  origin: string;
  actor: string;
  event: NormalizedEvent;
  receivedAt: number;
  settle: (error: unknown, alertId?: string | null) => void;
  /** The service an integration's routing rules send the event to instead of its own. */
  routeTo?: string;
}

/** A batch's key for one service's dedup key. */
/** A batch's bulk insert met an alert another replica opened meanwhile; the batch is applied again one by one. */
class BulkConflict extends Error {}

/** The stored form of an event that was applied to the alert `alertId` (null: none). */
function eventRow(item: Pending, alertId: string | null): store.EventRow {
  return {
    id: newId(item.receivedAt),
    alert_id: alertId,
    integration_id: item.integration?.id ?? null,
    received_at: item.receivedAt,
    action: item.event.action,
    dedup_key: item.event.dedupKey,
    payload: JSON.stringify(item.event.raw ?? null),
  };
}

/** PostgreSQL rolled the transaction back for a deadlock or a serialization failure: run it again. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

const openKey = (serviceId: string, dedupKey: string): string => `${serviceId}\u0000${dedupKey}`;

/** Parsed integration configs, per cached row, so routing rules compile once. */
const configs = new WeakMap<store.IntegrationRow, IntegrationConfig>();
function configOf(row: store.IntegrationRow): IntegrationConfig {
  let config = configs.get(row);
  if (!config) {
    config = storedConfig(row.config);
    configs.set(row, config);
  }
  return config;
}

export class AlertService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #journal: Journal;
  readonly #jobs: JobQueue | null;
  readonly #dispatch: Dispatcher;
  readonly #keys = new Map<string, { row: store.IntegrationRow | null; until: number }>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  #queue: Pending[] = [];
  #timer: NodeJS.Timeout | null = null;
  /** Batches commit one after another, so each key's events apply in the order received. */
  /** Batches in flight, and how many events of each dedup key they hold. */
  #inFlight = 0;
  /** Batches left to run in a transaction before trying {@link #applyAtOnce} again. */
  #skipAtOnce = 0;
  readonly #busy = new Map<string, number>();
  readonly #maxInFlight: number;
  /** Resolved when nothing is queued or in flight (for {@link drain}). */
  readonly #idle: Array<() => void> = [];

  /**
   * With `jobs`, every alert that is triggered, acknowledged or resolved enqueues one
   * notification job per target of its service, in the transaction that changes the alert.
   */
  constructor(deps: { db: Db; clock: Clock; journal: Journal; jobs?: JobQueue }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#journal = deps.journal;
    this.#jobs = deps.jobs ?? null;
    this.#maxInFlight = deps.db.dialect === 'postgres' ? PRIORITY_CONNECTIONS : 1;
    this.#dispatch = new Dispatcher({ db: deps.db, clock: deps.clock, journal: deps.journal, jobs: this.#jobs });
  }

  /** The pipeline's hygiene and notification decisions, shared with the silences. */
  get dispatcher(): Dispatcher {
    return this.#dispatch;
  }

  /** Registers the pipeline's own jobs (deferred releases, group flushes) with the queue. */
  registerJobs(): void {
    this.#dispatch.register();
  }

  // -------------------------------------------------------------------------------------------
  // Integrations

  async createIntegration(
    p: Principal,
    input: {
      name: string;
      service: string;
      type: IntegrationType;
      rateLimitPerMinute?: number;
      source?: string | null;
      config?: IntegrationConfig;
    },
  ): Promise<IntegrationKeyOut> {
    const now = this.#clock.now();
    const key = newSecret('vik', 24);
    const config = parseIntegrationConfig(input.config ?? {}, input.type);
    try {
      await this.#db.kysely.transaction().execute(async (trx) => {
        const service = (await catalogServices(trx, [input.service])).get(input.service);
        if (!service) throw InputError.field('service', `no catalog service named "${input.service}"`);
        assertCanWriteOwned(p, service.ownerTeamId, `service:${service.name}`);
        if (await store.integrationByName(trx, input.name))
          throw new ConflictError(`an integration named "${input.name}" already exists`);
        await checkRouteServices(trx, config);
        const id = newId(now);
        await store.insertIntegration(trx, {
          id,
          name: input.name,
          service_id: service.id,
          type: input.type,
          key_hash: hashKey(key),
          key_hint: key.slice(0, 8),
          config: JSON.stringify(config),
          rate_limit_per_minute: input.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
          source: input.source ?? null,
          created_at: now,
          updated_at: now,
          revoked_at: null,
        });
        await this.#journal.append(trx, {
          kind: 'integration.created',
          actor: p.actor,
          serviceId: service.id,
          subjectType: 'integration',
          subjectId: id,
          data: { name: input.name, type: input.type },
        });
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`an integration named "${input.name}" already exists`);
      throw error;
    }
    return { integration: await this.integration(input.name), key, path: pathFor(input.type, key) };
  }

  async integration(name: string): Promise<IntegrationOut> {
    const found = (await store.listIntegrations(this.#db.kysely)).find((i) => i.name === name);
    if (!found) throw new NotFoundError(`no integration named "${name}"`);
    return integrationOut(found, found.service ?? '');
  }

  async listIntegrations(): Promise<IntegrationOut[]> {
    return (await store.listIntegrations(this.#db.kysely)).map((r) => integrationOut(r, r.service ?? ''));
  }

  /** A new key for the integration; the old one stops working at once (within the key cache on other replicas). */
  async rotateIntegration(p: Principal, name: string): Promise<IntegrationKeyOut> {
    const key = newSecret('vik', 24);
    const row = await this.#changeIntegration(p, name, 'integration.rotated', {
      key_hash: hashKey(key),
      key_hint: key.slice(0, 8),
      revoked_at: null,
    });
    return { integration: await this.integration(name), key, path: pathFor(row.type, key) };
  }

  async revokeIntegration(p: Principal, name: string): Promise<IntegrationOut> {
    await this.#changeIntegration(p, name, 'integration.revoked', { revoked_at: this.#clock.now() });
    return this.integration(name);
  }

  /** Replaces the integration's mapping and routes; its key stays the same. */
  async updateIntegrationConfig(p: Principal, name: string, input: IntegrationConfig): Promise<IntegrationOut> {
    const found = await store.integrationByName(this.#db.kysely, name);
    if (!found) throw new NotFoundError(`no integration named "${name}"`);
    const config = parseIntegrationConfig(input, found.type);
    await checkRouteServices(this.#db.kysely, config);
    await this.#changeIntegration(p, name, 'integration.configured', { config: JSON.stringify(config) });
    return this.integration(name);
  }

  /** Every integration as manifests see it, sorted by name. */
  async integrationSnapshot(executor?: Executor): Promise<StoredIntegration[]> {
    return (await store.listIntegrations(executor ?? this.#db.kysely)).map((r) => ({
      name: r.name,
      service: r.service ?? '',
      type: r.type,
      rateLimitPerMinute: r.rate_limit_per_minute,
      config: storedConfig(r.config),
      source: r.source,
      revoked: r.revoked_at !== null,
    }));
  }

  /**
   * Makes the integrations match `desired`, in the caller's transaction, recording `opts.source`
   * on what it writes. New integrations (and revoked ones declared again) get a fresh key,
   * returned once in `secrets`; changes keep the key. With prune, live integrations of that
   * source that are no longer declared are revoked, not deleted, so their alerts keep their name.
   * Throws InputError with issues at `integrations[<name>].<field>`.
   */
  async applyDesiredIntegrations(
    trx: Executor,
    p: Principal,
    desired: readonly DesiredIntegration[],
    opts: { source: string; prune: boolean },
  ): Promise<{
    created: string[];
    updated: string[];
    deleted: string[];
    adopted: string[];
    unchanged: string[];
    secrets: IntegrationSecret[];
  }> {
    const result = {
      created: [] as string[],
      updated: [] as string[],
      deleted: [] as string[],
      adopted: [] as string[],
      unchanged: [] as string[],
      secrets: [] as IntegrationSecret[],
    };
    const now = this.#clock.now();
    const rows = new Map((await store.listIntegrations(trx)).map((r) => [r.name, r]));
    const refs = await catalogServices(trx, [
      ...desired.map((d) => d.service),
      ...desired.flatMap((d) => (d.config.routes ?? []).map((r) => r.service)),
    ]);
    const issues: FieldIssue[] = [];
    const configs = new Map<string, IntegrationConfig>();
    for (const d of desired) {
      const at = `integrations[${d.name}]`;
      if (!refs.has(d.service)) issues.push({ path: `${at}.service`, message: `no catalog service named "${d.service}"` });
      const row = rows.get(d.name);
      if (row && row.revoked_at === null && row.type !== d.type) {
        issues.push({
          path: `${at}.type`,
          message: `an integration's type cannot change (${row.type} → ${d.type}): its senders use a ${row.type} URL; declare a new integration instead`,
        });
      }
      try {
        const config = parseIntegrationConfig(d.config, d.type, `${at}.config`);
        for (const [i, route] of (config.routes ?? []).entries()) {
          if (!refs.has(route.service))
            issues.push({ path: `${at}.config.routes[${i}].service`, message: `no catalog service named "${route.service}"` });
        }
        configs.set(d.name, config);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        issues.push(...error.issues);
      }
    }
    if (issues.length > 0) throw new InputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);

    const journal = (kind: string, id: string, serviceId: string, name: string, type: IntegrationType) =>
      this.#journal.append(trx, {
        kind,
        actor: p.actor,
        serviceId,
        subjectType: 'integration',
        subjectId: id,
        data: { name, type, source: opts.source },
      });
    for (const d of desired) {
      const service = refs.get(d.service) as NonNullable<ReturnType<typeof refs.get>>;
      assertCanWriteOwned(p, service.ownerTeamId, `service:${service.name}`);
      const config = JSON.stringify(configs.get(d.name) ?? {});
      const ref = `integration:${d.name}`;
      const row = rows.get(d.name);
      const content = { service_id: service.id, type: d.type, rate_limit_per_minute: d.rateLimitPerMinute, config };
      if (!row || row.revoked_at !== null) {
        const key = newSecret('vik', 24);
        const keyed = { key_hash: hashKey(key), key_hint: key.slice(0, 8), source: opts.source, updated_at: now };
        if (row) {
          await trx
            .updateTable('integrations')
            .set({ ...content, ...keyed, revoked_at: null })
            .where('id', '=', row.id)
            .execute();
        } else {
          await store.insertIntegration(trx, {
            id: newId(now),
            name: d.name,
            ...content,
            ...keyed,
            created_at: now,
            revoked_at: null,
          });
        }
        const id = row?.id ?? (await store.integrationByName(trx, d.name))?.id ?? '';
        await journal(row ? 'integration.rotated' : 'integration.created', id, service.id, d.name, d.type);
        result.created.push(ref);
        result.secrets.push({ ref, key, path: pathFor(d.type, key) });
        continue;
      }
      if (row.service_id !== service.id) {
        await assertCanWriteService(trx, p, row.service_id);
      }
      const same =
        row.service_id === content.service_id &&
        row.rate_limit_per_minute === content.rate_limit_per_minute &&
        JSON.stringify(storedConfig(row.config)) === config;
      if (same && row.source === opts.source) {
        result.unchanged.push(ref);
        continue;
      }
      await trx
        .updateTable('integrations')
        .set({ ...content, source: opts.source, updated_at: now })
        .where('id', '=', row.id)
        .execute();
      await journal(same ? 'integration.adopted' : 'integration.updated', row.id, service.id, d.name, d.type);
      (same ? result.adopted : result.updated).push(ref);
    }
    if (opts.prune) {
      const wanted = new Set(desired.map((d) => d.name));
      for (const row of rows.values()) {
        if (row.source !== opts.source || row.revoked_at !== null || wanted.has(row.name)) continue;
        await assertCanWriteService(trx, p, row.service_id);
        await store.updateIntegration(trx, row.id, { revoked_at: now, updated_at: now });
        await journal('integration.revoked', row.id, row.service_id, row.name, row.type);
        result.deleted.push(`integration:${row.name}`);
      }
    }
    // Keys and configs are cached for a few seconds; drop them so the next event reads the new ones.
    this.#keys.clear();
    return result;
  }

  async #changeIntegration(
    p: Principal,
    name: string,
    kind: string,
    patch: Parameters<typeof store.updateIntegration>[2],
  ): Promise<store.IntegrationRow> {
    const row = await this.#db.kysely.transaction().execute(async (trx) => {
      const found = await store.integrationByName(trx, name);
      if (!found) throw new NotFoundError(`no integration named "${name}"`);
      await assertCanWriteService(trx, p, found.service_id);
      await store.updateIntegration(trx, found.id, { ...patch, updated_at: this.#clock.now() });
      await this.#journal.append(trx, {
        kind,
        actor: p.actor,
        serviceId: found.service_id,
        subjectType: 'integration',
        subjectId: found.id,
        data: { name },
      });
      return found;
    });
    this.#keys.clear();
    return row;
  }

  /** The live integration a key belongs to; unknown and revoked keys are refused alike. */
  async authenticate(key: string, type?: IntegrationType): Promise<store.IntegrationRow> {
    const now = this.#clock.now();
    const hash = hashKey(key);
    let cached = this.#keys.get(hash);
    if (!cached || cached.until <= now) {
      const row = (await store.integrationByHash(this.#db.kysely, hash)) ?? null;
      cached = { row, until: now + KEY_CACHE_MS };
      if (this.#keys.size > 10_000) this.#keys.clear();
      this.#keys.set(hash, cached);
    }
    const row = cached.row;
    if (!row || row.revoked_at !== null) throw new UnauthenticatedError('unknown or revoked integration key');
    if (type && row.type !== type && !(type === 'events-api-v2' && row.type === 'alertmanager')) {
      throw new UnauthenticatedError(`this key belongs to a ${row.type} integration`);
    }
    return row;
  }

  /**
   * Takes `n` events from the integration's token bucket (its per-minute limit, refilled
   * continuously); when the bucket is short, how many seconds until it holds enough.
   */
  admit(integration: store.IntegrationRow, n = 1): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.#clock.now();
    const capacity = Math.max(1, integration.rate_limit_per_minute);
    const perMs = capacity / 60_000;
    const b = this.#buckets.get(integration.id) ?? { tokens: capacity, at: now };
    b.tokens = Math.min(capacity, b.tokens + (now - b.at) * perMs);
    b.at = now;
    this.#buckets.set(integration.id, b);
    if (b.tokens >= n) {
      b.tokens -= n;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((n - b.tokens) / perMs / 1000)) };
  }

  // -------------------------------------------------------------------------------------------
  // Ingestion

  /** Applies events from an integration; resolves once they are committed (durable). */
  submit(integration: store.IntegrationRow, events: readonly NormalizedEvent[], origin: string): Promise<Array<string | null>> {
    const config = configOf(integration);
    return Promise.all(
      events.map((event) =>
        this.#enqueue(
          integration.service_id,
          integration,
          origin,
          `integration:${integration.name}`,
          event,
          config.routes?.length
            ? (routeFor(config, { ...event.labels, ...(event.severity ? { severity: event.severity } : {}) }) ?? undefined)
            : undefined,
        ),
      ),
    );
  }

  /**
   * Raises or resolves an alert from one of Vigil's own sources (probes, SLO burn rates,
   * heartbeats) inside the caller's transaction, so the source's own record and its alert
   * commit together.
   */
  async applyWithin(trx: Executor, input: { serviceId: string; origin: string; event: NormalizedEvent }): Promise<string | null> {
    const receivedAt = this.#clock.now();
    const item: Pending = {
      serviceId: input.serviceId,
      integration: null,
      origin: input.origin,
      actor: `system:${input.origin}`,
      event: input.event,
      receivedAt,
      settle: () => {},
    };
    const id = await this.#applyOne(trx, item, {});
    await store.insertEvents(trx, [
      {
        id: newId(receivedAt),
        alert_id: id,
        integration_id: null,
        received_at: receivedAt,
        action: input.event.action,
        dedup_key: input.event.dedupKey,
        payload: JSON.stringify(input.event.raw ?? null),
      },
    ]);
    return id;
  }

  #enqueue(
    serviceId: string,
    integration: store.IntegrationRow | null,
    origin: string,
    actor: string,
    event: NormalizedEvent,
    routeTo?: string,
  ): Promise<string | null> {
    return new Promise((resolve, reject) => {
      this.#queue.push({
        routeTo,
        serviceId,
        integration,
        origin,
        actor,
        event,
        receivedAt: this.#clock.now(),
        settle: (error, id) => (error ? reject(error) : resolve(id ?? null)),
      });
      if (this.#queue.length >= BATCH_MAX) this.#flushSoon(0);
      else this.#flushSoon(BATCH_WAIT_MS);
    });
  }

  #flushSoon(ms: number): void {
    if (this.#timer && ms > 0) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pump();
    }, ms);
  }

  /**
   * Starts batches while transactions are free (group commit): each takes everything queued
   * then, so a slow commit makes the next batch bigger rather than the queue of batches
   * longer. Batches run side by side (on PostgreSQL) only with different dedup keys, and an
   * event waits while an earlier event of its key is queued or in flight: each key's events
   * apply one after another, in the order they arrived.
   */
  #pump(): void {
    while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      const held = new Set<string>();
      for (const item of this.#queue) {
        const key = item.event.dedupKey;
        if (batch.length < BATCH_MAX && !this.#busy.has(key) && !held.has(key)) batch.push(item);
        else {
          rest.push(item);
          held.add(key);
        }
      }
      this.#queue = rest;
      if (batch.length === 0) return;
      this.#inFlight++;
      for (const item of batch) this.#busy.set(item.event.dedupKey, (this.#busy.get(item.event.dedupKey) ?? 0) + 1);
      void this.#apply(batch).finally(() => {
        this.#inFlight--;
        for (const item of batch) {
          const key = item.event.dedupKey;
          const n = (this.#busy.get(key) ?? 1) - 1;
          if (n > 0) this.#busy.set(key, n);
          else this.#busy.delete(key);
        }
        this.#pump();
        if (this.#inFlight === 0 && this.#queue.length === 0) for (const done of this.#idle.splice(0)) done();
      });
    }
  }

  /** Waits until every event handed in so far is committed. */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight > 0) {
      const idle = new Promise<void>((resolve) => this.#idle.push(resolve));
      this.#pump();
      await idle;
    }
  }

  async #apply(batch: Pending[]): Promise<void> {
    try {
      let result: { out: Array<string | null>; notified: boolean } | null = null;
      for (let attempt = 1; result === null; attempt++) {
        try {
          result = (await this.#tryAtOnce(batch)) ?? (await this.#applyBatch(batch, true));
        } catch (error) {
          if (error instanceof BulkConflict) {
            // Another replica opened one of these keys while the batch ran: apply it again, one
            // insert at a time, so that event joins the other replica's alert.
            result = await this.#applyBatch(batch, false);
          } else if (attempt < 3 && isTransient(error)) {
          } else throw error;
        }
      }
      // Only a batch that queued notifications needs the workers now.
      if (result.notified) this.#jobs?.wake();
      const ids = result.out;
      for (const [i, item] of batch.entries()) item.settle(null, ids[i]);
    } catch (error) {
      for (const item of batch) item.settle(error);
    }
  }

  /**
   * {@link #applyAtOnce} where it may work: on PostgreSQL, for batches of triggers only, and
   * not for a while after a batch turned out to need a transaction (its reads were wasted),
   * as batch after batch of events for open alerts would.
   */
  async #tryAtOnce(batch: Pending[]): Promise<{ out: Array<string | null>; notified: boolean } | null> {
    if (this.#db.dialect !== 'postgres') return null;
    if (this.#skipAtOnce > 0) {
      this.#skipAtOnce--;
      return null;
    }
    if (!batch.every((item) => item.event.action === 'trigger')) return null;
    const result = await this.#applyAtOnce(batch);
    if (result === null) this.#skipAtOnce = 16;
    return result;
  }

  /**
   * PostgreSQL: the batch without a transaction, when all it writes are new rows (new alerts,
   * their events, journal entries and notification jobs, as a burst of distinct alerts is):
   * the reads, then one statement that writes everything, atomic by itself. Two round trips
   * or three instead of seven. Null when the batch would write anything else on the way (an
   * event for an open alert, grouping, a deferral): it runs in a transaction instead.
   */
  async #applyAtOnce(batch: Pending[]): Promise<{ out: Array<string | null>; notified: boolean } | null> {
    const ex = this.#db.priority;
    const notify: DispatchContext = { journal: [], jobs: [], pending: new Map(), readOnly: true };
    const out: Array<string | null> = [];
    const events: store.EventRow[] = [];
    try {
      await this.#prefetch(ex, batch, notify);
      for (const item of batch) {
        const id = await this.#applyOne(ex, item, notify);
        out.push(id);
        events.push(eventRow(item, id));
      }
    } catch (error) {
      if (error instanceof NeedsTransaction) return null;
      throw error;
    }
    const alerts = [...(notify.pending?.values() ?? [])];
    const journal = this.#journal.rows(notify.journal ?? []);
    const jobs = this.#jobs?.rows(notify.jobs ?? []) ?? [];
    // PostgreSQL takes at most 65,535 parameters per statement.
    const parameters = alerts.length * 25 + events.length * 7 + journal.length * 8 + jobs.length * 13;
    if (parameters > 60_000) return null;
    try {
      await store.writeBatch(ex, { alerts, events, journal, jobs });
    } catch (error) {
      // Another replica opened one of these keys meanwhile; nothing was written.
      if (isUniqueViolation(error)) throw new BulkConflict();
      throw error;
    }
    if (journal.length > 0) this.#journal.notifyAppended();
    return { out, notified: jobs.length > 0 };
  }

  /**
   * One transaction for the batch. With `bulk`, new alerts are kept in memory until the end of
   * the batch and inserted together (one statement instead of one round trip each, which is
   * what PostgreSQL's ingestion rate hangs on); should any of them meet an alert another replica
   * just opened, the transaction is rolled back with {@link BulkConflict}.
   */
  async #applyBatch(batch: Pending[], bulk: boolean): Promise<{ out: Array<string | null>; notified: boolean }> {
    return this.#db.priority.transaction().execute(async (trx) => {
      const out: Array<string | null> = [];
      const events: store.EventRow[] = [];
      const notify: DispatchContext = { journal: [], jobs: [], ...(bulk ? { pending: new Map() } : {}) };
      await this.#prefetch(trx, batch, notify);
      for (const item of batch) {
        const id = await this.#applyOne(trx, item, notify);
        out.push(id);
        events.push(eventRow(item, id));
      }
      if (notify.pending && notify.pending.size > 0) {
        const rows = [...notify.pending.values()];
        const inserted = await store.insertAlerts(trx, rows);
        if (inserted < rows.length) throw new BulkConflict();
      }
      await store.insertEvents(trx, events);
      const notified = (notify.jobs?.length ?? 0) > 0;
      await this.#flushBuffers(trx, notify);
      return { out, notified };
    });
  }

  /** The service an event lands on: its integration's, unless a routing rule names another. */
  async #serviceOf(trx: Executor, item: Pending, notify: DispatchContext): Promise<string> {
    return (item.routeTo && (await this.#dispatch.serviceId(trx, notify, item.routeTo))) || item.serviceId;
  }

  /**
   * Reads, in one query for the whole batch, what applying it needs per dedup key: the open
   * alert, and the key's recent alerts for flap detection. Without it every event costs two
   * queries more.
   */
  async #prefetch(trx: Executor, batch: readonly Pending[], notify: DispatchContext): Promise<void> {
    const services = new Set<string>();
    const keys = new Set<string>();
    for (const item of batch) {
      services.add(await this.#serviceOf(trx, item, notify));
      keys.add(item.event.dedupKey);
    }
    // From the batch's earliest event: each event looks back from the time it was received.
    // The flap horizon comes from the policies last read; the same query reads the generation
    // of the configuration, which says whether they are still current (usually: no other query).
    const earliest = Math.min(...batch.map((item) => item.receivedAt));
    const assumed = this.#dispatch.assumedFlapHorizonMs();
    let since = earliest - assumed;
    const read = async () =>
      (
        await trx
          .selectFrom('alert_config_generation as g')
          .leftJoin('alerts as a', (join) =>
            join
              .on('a.service_id', 'in', [...services])
              .on('a.dedup_key', 'in', [...keys])
              .on((eb) => eb.or([eb('a.status', '<>', 'resolved'), eb('a.created_at', '>=', since)])),
          )
          .selectAll('a')
          .select('g.generation as config_generation')
          .where('g.id', '=', 1)
          .execute()
      ).map(({ config_generation, ...row }) => ({ generation: Number(config_generation), row }));
    let result = await read();
    if (!this.#dispatch.prime(notify, result[0]?.generation ?? Number.NaN)) {
      const horizon = await this.#dispatch.flapHorizonMs(trx, notify);
      if (horizon > assumed) {
        since = earliest - horizon;
        result = await read();
      }
    }
    const rows = result.flatMap(({ row }) => (row.id === null ? [] : [row as store.AlertRow]));
    const open = new Map<string, store.AlertRow | null>();
    const history = new Map<string, store.AlertRow[]>();
    for (const service of services) for (const key of keys) open.set(openKey(service, key), null);
    for (const row of rows) {
      const k = openKey(row.service_id, row.dedup_key);
      if (row.status !== 'resolved') open.set(k, row);
      const list = history.get(k) ?? [];
      list.push(row);
      history.set(k, list);
    }
    notify.open = open;
    notify.history = history;
    notify.historySince = since;
  }

  async #openAlert(
    trx: Executor,
    notify: DispatchContext,
    serviceId: string,
    dedupKey: string,
  ): Promise<store.AlertRow | undefined> {
    const k = openKey(serviceId, dedupKey);
    if (notify.open?.has(k)) return notify.open.get(k) ?? undefined;
    return store.openAlert(trx, serviceId, dedupKey);
  }

  /**
   * Updates the alert, and the batch's copy of it so later events in the batch see the change.
   * An alert this batch opened is not in the table yet: its copy is what gets inserted.
   */
  async #update(
    trx: Executor,
    notify: DispatchContext,
    row: store.AlertRow,
    patch: Partial<store.AlertRow>,
    addLabels?: Readonly<Record<string, string>>,
  ): Promise<void> {
    if (!notify.pending?.has(row.id)) {
      writing(notify);
      await store.updateAlert(trx, row.id, patch, addLabels && { labels: addLabels, dialect: this.#db.dialect });
      forgetServiceOpen(notify, row.service_id);
    }
    Object.assign(row, patch);
  }

  /** Writes what the batch buffered: its journal entries and notification jobs. */
  async #flushBuffers(trx: Executor, notify: DispatchContext): Promise<void> {
    if (notify.journal?.length) await this.#journal.appendMany(trx, notify.journal);
    if (notify.jobs?.length && this.#jobs) await this.#jobs.enqueueMany(trx, notify.jobs);
    notify.journal = [];
    notify.jobs = [];
  }

  async #applyOne(trx: Executor, item: Pending, notify: DispatchContext): Promise<string | null> {
    const { event: e } = item;
    const serviceId = await this.#serviceOf(trx, item, notify);
    const now = item.receivedAt;
    const k = openKey(serviceId, e.dedupKey);
    const open = await this.#openAlert(trx, notify, serviceId, e.dedupKey);
    if (e.action === 'trigger') {
      if (open) {
        await this.#update(
          trx,
          notify,
          open,
          {
            last_event_at: now,
            event_count: open.event_count + 1,
            severity: e.severity ?? open.severity,
            summary: e.summary ?? open.summary,
            details: JSON.stringify(e.details),
            labels: JSON.stringify({ ...JSON.parse(open.labels), ...e.labels }),
          },
          // Merged in SQL: another replica may have added labels since this copy was read.
          e.labels,
        );
        return open.id;
      }
      const row: store.AlertRow = {
        id: newId(now),
        service_id: serviceId,
        integration_id: item.integration?.id ?? null,
        origin: item.origin,
        dedup_key: e.dedupKey,
        status: 'triggered',
        severity: e.severity ?? 'error',
        summary: e.summary ?? e.dedupKey,
        source: e.source,
        component: e.component,
        grp: e.group,
        class: e.class,
        details: JSON.stringify(e.details),
        links: JSON.stringify(e.links),
        images: JSON.stringify(e.images),
        labels: JSON.stringify(e.labels),
        created_at: now,
        last_event_at: now,
        event_count: 1,
        acknowledged_at: null,
        acknowledged_by: null,
        resolved_at: null,
        resolved_by: null,
        urgency: 'high',
        suppressed_by: null,
        notify_at: null,
      };
      const decided = await this.#dispatch.assess(trx, notify, row, now);
      row.urgency = decided.urgency;
      row.suppressed_by = decided.suppressedBy;
      row.notify_at = decided.notifyAt;
      if (notify.pending) {
        notify.pending.set(row.id, row);
      } else if (await store.insertAlert(trx, row)) {
        forgetServiceOpen(notify, serviceId);
      } else {
        // Another replica opened it between our read and insert: this event joins that alert.
        const winner = await store.openAlert(trx, serviceId, e.dedupKey);
        if (winner) await this.#update(trx, notify, winner, { last_event_at: now, event_count: winner.event_count + 1 });
        if (notify.open) notify.open.set(k, winner ?? null);
        return winner?.id ?? null;
      }
      if (notify.open) notify.open.set(k, row);
      notify.history?.set(k, [...(notify.history.get(k) ?? []), row]);
      await this.#journalAlert(trx, 'triggered', row, item.actor, notify, now);
      return row.id;
    }
    if (!open) return null;
    if (e.action === 'acknowledge') {
      if (open.status === 'triggered') {
        await this.#update(trx, notify, open, {
          status: 'acknowledged',
          acknowledged_at: now,
          acknowledged_by: item.actor,
          last_event_at: now,
          event_count: open.event_count + 1,
        });
        await this.#journalAlert(
          trx,
          'acknowledged',
          { ...open, status: 'acknowledged', acknowledged_at: now, acknowledged_by: item.actor },
          item.actor,
          notify,
          now,
        );
      }
      return open.id;
    }
    await this.#update(trx, notify, open, {
      status: 'resolved',
      resolved_at: now,
      resolved_by: item.actor,
      last_event_at: now,
      event_count: open.event_count + 1,
    });
    if (notify.open) notify.open.set(k, null);
    await this.#journalAlert(
      trx,
      'resolved',
      { ...open, status: 'resolved', resolved_at: now, resolved_by: item.actor },
      item.actor,
      notify,
      now,
    );
    return open.id;
  }

  /** Journals the change and enqueues its notifications, in the transaction that makes it. */
  async #journalAlert(
    trx: Executor,
    verb: 'triggered' | 'acknowledged' | 'resolved',
    row: store.AlertRow,
    actor: string,
    notify: DispatchContext,
    now: number,
  ): Promise<void> {
    const entry = {
      kind: `alert.${verb}`,
      actor,
      serviceId: row.service_id,
      subjectType: 'alert',
      subjectId: row.id,
      data: {
        dedupKey: row.dedup_key,
        summary: row.summary,
        severity: row.severity,
        origin: row.origin,
        ...(verb === 'triggered' ? { urgency: row.urgency, suppressedBy: row.suppressed_by, notifyAt: row.notify_at } : {}),
      },
    };
    if (notify.journal) notify.journal.push(entry);
    else await this.#journal.append(trx, entry);
    await this.#dispatch.onChange(trx, notify, verb, row, now);
  }

  // -------------------------------------------------------------------------------------------
  // People acting on alerts

  async acknowledge(p: Principal, id: string): Promise<AlertOut> {
    return this.#act(p, id, 'acknowledged');
  }

  async resolve(p: Principal, id: string): Promise<AlertOut> {
    return this.#act(p, id, 'resolved');
  }

  async #act(p: Principal, id: string, to: 'acknowledged' | 'resolved'): Promise<AlertOut> {
    await this.drain();
    await this.#db.kysely.transaction().execute(async (trx) => {
      const row = await store.alertById(trx, id);
      if (!row) throw new NotFoundError(`no alert with id "${id}"`);
      if (row.status === 'resolved') throw new ConflictError('the alert is already resolved');
      if (to === 'acknowledged' && row.status === 'acknowledged') return;
      const now = this.#clock.now();
      const patch =
        to === 'acknowledged'
          ? { status: to, acknowledged_at: now, acknowledged_by: p.actor }
          : { status: to, resolved_at: now, resolved_by: p.actor };
      await store.updateAlert(trx, id, patch);
      await this.#journalAlert(trx, to, { ...row, ...patch }, p.actor, {}, now);
    });
    this.#jobs?.wake();
    return this.get(id);
  }

  /** One alert, with its service's and integration's names, in one query (every notification reads one). */
  async get(id: string): Promise<AlertOut> {
    const row = await this.#db.kysely
      .selectFrom('alerts')
      .leftJoin('catalog_entities', 'catalog_entities.id', 'alerts.service_id')
      .leftJoin('integrations', 'integrations.id', 'alerts.integration_id')
      .selectAll('alerts')
      .select(['catalog_entities.name as service_name', 'integrations.name as integration_name'])
      .where('alerts.id', '=', id)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`no alert with id "${id}"`);
    return toOut(row, row.service_name ?? '', row.integration_name ?? null);
  }

  /** The alerts with these ids that exist, in the order given. */
  async getMany(ids: readonly string[]): Promise<AlertOut[]> {
    if (ids.length === 0) return [];
    const byId = new Map<string, AlertOut>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.#db.kysely
        .selectFrom('alerts')
        .leftJoin('catalog_entities', 'catalog_entities.id', 'alerts.service_id')
        .leftJoin('integrations', 'integrations.id', 'alerts.integration_id')
        .selectAll('alerts')
        .select(['catalog_entities.name as service_name', 'integrations.name as integration_name'])
        .where('alerts.id', 'in', unique.slice(i, i + 500))
        .execute();
      for (const row of rows) byId.set(row.id, toOut(row, row.service_name ?? '', row.integration_name ?? null));
    }
    return ids.map((id) => byId.get(id)).filter((a): a is AlertOut => a !== undefined);
  }

  async list(
    q: { status?: readonly AlertStatus[]; service?: string; limit?: number; offset?: number } = {},
  ): Promise<{ items: AlertOut[]; total: number; limit: number; offset: number }> {
    const ex = this.#db.kysely;
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
    const offset = Math.max(q.offset ?? 0, 0);
    let serviceIds: string[] | undefined;
    if (q.service !== undefined) {
      const found = (await catalogServices(ex, [q.service])).get(q.service);
      serviceIds = found ? [found.id] : [];
    }
    const page = await store.listAlerts(ex, { status: q.status, serviceIds }, { limit, offset });
    return { items: await this.#out(page.rows), total: page.total, limit, offset };
  }

  async #out(rows: readonly store.AlertRow[]): Promise<AlertOut[]> {
    const ex = this.#db.kysely;
    const serviceIds = [...new Set(rows.map((r) => r.service_id))];
    const integrationIds = [...new Set(rows.map((r) => r.integration_id).filter((x): x is string => x !== null))];
    const [services, integrations] = await Promise.all([
      serviceIds.length ? ex.selectFrom('catalog_entities').select(['id', 'name']).where('id', 'in', serviceIds).execute() : [],
      integrationIds.length
        ? ex.selectFrom('integrations').select(['id', 'name']).where('id', 'in', integrationIds).execute()
        : [],
    ]);
    const sName = new Map(services.map((s) => [s.id, s.name]));
    const iName = new Map(integrations.map((i) => [i.id, i.name]));
    return rows.map((r) =>
      toOut(r, sName.get(r.service_id) ?? '', r.integration_id ? (iName.get(r.integration_id) ?? null) : null),
    );
  }

  async stop(): Promise<void> {
    await this.drain();
  }
}

function toOut(r: store.AlertRow, service: string, integration: string | null): AlertOut {
  return {
    id: r.id,
    service,
    integration,
    origin: r.origin,
    dedupKey: r.dedup_key,
    status: r.status,
    severity: SEVERITIES.includes(r.severity) ? r.severity : 'error',
    summary: r.summary,
    source: r.source,
    component: r.component,
    group: r.grp,
    class: r.class,
    details: JSON.parse(r.details) as Record<string, unknown>,
    links: JSON.parse(r.links) as AlertOut['links'],
    images: JSON.parse(r.images) as AlertOut['images'],
    labels: JSON.parse(r.labels) as Record<string, string>,
    createdAt: r.created_at,
    lastEventAt: r.last_event_at,
    eventCount: r.event_count,
    acknowledgedAt: r.acknowledged_at,
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: r.resolved_at,
    resolvedBy: r.resolved_by,
    urgency: r.urgency === 'low' ? 'low' : 'high',
    suppressedBy: r.suppressed_by,
    notifyAt: r.notify_at === null ? null : Number(r.notify_at),
  };
}

function integrationOut(r: store.IntegrationRow, service: string): IntegrationOut {
  return {
    name: r.name,
    service,
    type: r.type,
    keyHint: r.key_hint,
    rateLimitPerMinute: r.rate_limit_per_minute,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    source: r.source,
    config: storedConfig(r.config),
  };
}

/** Routes send events to other services; each must be in the catalog. */
async function checkRouteServices(ex: Executor, config: IntegrationConfig): Promise<void> {
  const routes = config.routes ?? [];
  if (routes.length === 0) return;
  const found = await catalogServices(
    ex,
    routes.map((r) => r.service),
  );
  const issues: FieldIssue[] = routes.flatMap((r, i) =>
    found.has(r.service) ? [] : [{ path: `config.routes[${i}].service`, message: `no catalog service named "${r.service}"` }],
  );
  if (issues.length > 0) throw new InputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}
