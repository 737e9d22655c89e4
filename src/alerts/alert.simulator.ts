import { systemPrincipal } from '../auth/principal.ts';
import type { Clock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import { type Db, isUniqueViolation } from '../db/database.ts';
import type { AlertsTable } from '../db/schema.ts';
import { seededRandom } from '../slo/simulator.ts';
import type { Severity } from './alert.model.ts';
import type { SilenceService } from './silence.service.ts';

/**
 * Demo alert history for the example organization, so the alert fatigue report has something
 * to say on first start: 28 days of past alerts on the example services, every one resolved.
 * Some fire at night, some resolve themselves within minutes (noise), people acknowledge the
 * real ones, a few were suppressed, and the checkout team is paged too often (more than two pages
 * per 12 hours, mostly a latency alert that resolves itself) and had one especially bad night.
 *
 * It runs once per database: a `settings` row (`demo.alert-history`) is written in the same
 * transaction, so a second call, or a second replica starting at the same time, adds nothing.
 * Services the catalog does not have are skipped.
 */

export const ALERT_HISTORY_SETTING = 'demo.alert-history';
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

interface Profile {
  service: string;
  origin: 'alertmanager' | 'events-api-v2' | 'slo' | 'probe';
  /** Dedup key; `{n}` becomes a per-alert number (generated keys of a sender). */
  key: string;
  /** Alertmanager's alertname. */
  group?: string;
  summary: string;
  severity: Severity;
  /** Alerts per day on average. */
  perDay: number;
  /** Share that a person acknowledges. */
  ack: number;
  /** Share of the others that resolve themselves within a few minutes. */
  flappy: number;
  /** Share suppressed (by a silence or as flapping). */
  suppressed?: number;
  /** Share that fires at night (20:00–08:00 UTC) rather than at any time. */
  night?: number;
}

const PROFILES: Profile[] = [
  {
    service: 'checkout',
    origin: 'alertmanager',
    key: 'am-checkout-latency-{n}',
    group: 'CheckoutLatencyHigh',
    summary: 'p99 latency above 800 ms on checkout',
    severity: 'critical',
    perDay: 4.5,
    ack: 0.1,
    flappy: 0.9,
    suppressed: 0.1,
    night: 0.6,
  },
  {
    service: 'checkout',
    origin: 'slo',
    key: 'slo:checkout-availability:availability:page-fast',
    summary: 'checkout-availability is burning its error budget fast',
    severity: 'critical',
    perDay: 0.15,
    ack: 0.9,
    flappy: 0,
  },
  {
    service: 'cart',
    origin: 'events-api-v2',
    key: 'cart/redis-timeouts',
    summary: 'Cart cannot reach redis-cache',
    severity: 'error',
    perDay: 0.3,
    ack: 0.5,
    flappy: 0.6,
    night: 0.5,
  },
  {
    service: 'payments',
    origin: 'slo',
    key: 'slo:payments-availability:availability:page-slow',
    summary: 'payments-availability is burning its error budget',
    severity: 'critical',
    perDay: 0.2,
    ack: 0.85,
    flappy: 0,
  },
  {
    service: 'fraud-detection',
    origin: 'events-api-v2',
    key: 'fraud/model-stale',
    summary: 'Fraud model older than 24 hours',
    severity: 'warning',
    perDay: 0.35,
    ack: 0.3,
    flappy: 0.2,
  },
  {
    service: 'ledger',
    origin: 'alertmanager',
    key: 'am-ledger-replication-{n}',
    group: 'LedgerReplicationLag',
    summary: 'Ledger replica more than 30 s behind',
    severity: 'error',
    perDay: 0.25,
    ack: 0.2,
    flappy: 0.8,
    night: 0.7,
  },
  {
    service: 'api-gateway',
    origin: 'probe',
    key: 'probe:api-gateway-health',
    summary: 'api-gateway-health is down',
    severity: 'error',
    perDay: 0.3,
    ack: 0.3,
    flappy: 0.7,
    suppressed: 0.15,
  },
  {
    service: 'notifications',
    origin: 'alertmanager',
    key: 'am-kafka-lag-{n}',
    group: 'KafkaConsumerLag',
    summary: 'notifications consumer lag above 10 000 messages',
    severity: 'error',
    perDay: 0.5,
    ack: 0.1,
    flappy: 0.9,
    night: 0.8,
  },
  {
    service: 'web-frontend',
    origin: 'probe',
    key: 'probe:web-frontend-home',
    summary: 'web-frontend-home is down',
    severity: 'error',
    perDay: 0.12,
    ack: 0.8,
    flappy: 0.3,
  },
  {
    service: 'product-catalog',
    origin: 'events-api-v2',
    key: 'catalog/search-index-{n}',
    summary: 'Search index rebuild failed',
    severity: 'warning',
    perDay: 0.15,
    ack: 0.6,
    flappy: 0.2,
  },
  {
    service: 'auth',
    origin: 'slo',
    key: 'slo:auth-logins:success:page-fast',
    summary: 'auth-logins is burning its error budget fast',
    severity: 'critical',
    perDay: 0.08,
    ack: 1,
    flappy: 0,
  },
];

const URGENCY: Record<Severity, 'high' | 'low'> = { critical: 'high', error: 'high', warning: 'low', info: 'low' };

function resolverOf(p: Profile): string {
  return p.origin === 'slo' || p.origin === 'probe' ? `system:${p.origin}` : `integration:${p.service}-${p.origin}`;
}

/**
 * Inserts the demo history unless this database has it already; returns how many alerts it
 * inserted (0 when it had, or when the catalog has none of the example services).
 */
export async function seedAlertHistory(
  db: Db,
  clock: Clock,
  options: { days?: number; random?: () => number } = {},
): Promise<number> {
  const random = options.random ?? seededRandom(2807);
  const days = options.days ?? 28;
  const now = clock.now();
  const ex = db.kysely;
  if (await ex.selectFrom('settings').select('name').where('name', '=', ALERT_HISTORY_SETTING).executeTakeFirst()) return 0;
  const names = [...new Set(PROFILES.map((p) => p.service))];
  const services = await ex
    .selectFrom('catalog_entities')
    .select(['id', 'name'])
    .where('kind', '=', 'service')
    .where('name', 'in', names)
    .execute();
  const idOf = new Map(services.map((s) => [s.name, s.id]));
  if (idOf.size === 0) return 0;

  const start = now - days * DAY_MS;
  // Nothing is still open: every alert is resolved at least an hour before now.
  const latest = now - 2 * HOUR_MS;
  const rows: AlertsTable[] = [];
  let n = 0;
  const add = (p: Profile, createdAt: number, outcome: 'ack' | 'flap' | 'slow' | 'suppressed') => {
    const serviceId = idOf.get(p.service);
    if (!serviceId || createdAt < start || createdAt >= latest) return;
    n++;
    const ackAt = outcome === 'ack' ? createdAt + (2 + Math.floor(random() * 12)) * MINUTE_MS : null;
    const lasts =
      outcome === 'flap'
        ? (1 + Math.floor(random() * 4)) * MINUTE_MS
        : outcome === 'ack'
          ? (15 + Math.floor(random() * 90)) * MINUTE_MS
          : (20 + Math.floor(random() * 100)) * MINUTE_MS;
    const resolvedAt = Math.min(createdAt + lasts, latest);
    const person = random() < 0.5 ? 'user:alice' : 'user:bob';
    rows.push({
      id: newId(createdAt),
      service_id: serviceId,
      integration_id: null,
      origin: p.origin,
      dedup_key: p.key.replace('{n}', String(1000 + n)),
      status: 'resolved',
      severity: p.severity,
      summary: p.summary,
      source: p.origin === 'alertmanager' || p.origin === 'events-api-v2' ? `${p.service}-${(n % 3) + 1}` : p.service,
      component: null,
      grp: p.group ?? null,
      class: null,
      details: '{}',
      links: '[]',
      images: '[]',
      labels: JSON.stringify({ severity: p.severity, service: p.service, ...(p.group ? { alertname: p.group } : {}) }),
      created_at: createdAt,
      last_event_at: resolvedAt,
      event_count: outcome === 'flap' ? 2 : 3,
      acknowledged_at: ackAt,
      acknowledged_by: ackAt === null ? null : person,
      // People resolve most of what they acknowledged; the source resolves the rest.
      resolved_at: resolvedAt,
      resolved_by: outcome === 'ack' && random() < 0.7 ? person : resolverOf(p),
      urgency: URGENCY[p.severity],
      suppressed_by: outcome === 'suppressed' ? (random() < 0.5 ? 'flapping' : 'silence:demo-maintenance') : null,
      notify_at: null,
    });
  };

  for (const p of PROFILES) {
    // Exponential gaps: about `perDay` alerts a day.
    for (let at = start; ; ) {
      at += Math.floor((-Math.log(1 - random()) * DAY_MS) / p.perDay);
      if (at >= latest) break;
      let createdAt = at;
      if (p.night !== undefined && random() < p.night) {
        // Move it into the night around that day: 20:00–08:00 UTC.
        const day = Math.floor(at / DAY_MS) * DAY_MS;
        createdAt = day + 20 * HOUR_MS + Math.floor(random() * 12 * HOUR_MS);
      } else if (p.night === undefined && random() < 0.6) {
        // Most of the others come while people work: 09:00–17:00 UTC on weekdays.
        const day = Math.floor(at / DAY_MS) * DAY_MS;
        const weekday = new Date(day).getUTCDay();
        if (weekday !== 0 && weekday !== 6) createdAt = day + 9 * HOUR_MS + Math.floor(random() * 8 * HOUR_MS);
      }
      const r = random();
      const outcome =
        r < (p.suppressed ?? 0) ? 'suppressed' : random() < p.ack ? 'ack' : random() < p.flappy ? 'flap' : ('slow' as const);
      add(p, createdAt, outcome);
    }
  }

  // The checkout team's bad night three days ago: latency alerts that flap, one person up for hours.
  const [latency] = PROFILES;
  if (latency) {
    const night = Math.floor((now - 3 * DAY_MS) / DAY_MS) * DAY_MS + 22 * HOUR_MS;
    for (const [minutes, outcome] of [
      [0, 'flap'],
      [47, 'flap'],
      [95, 'ack'],
      [190, 'flap'],
      [260, 'flap'],
      [330, 'ack'],
    ] as const) {
      add(latency, night + minutes * MINUTE_MS, outcome);
    }
  }

  rows.sort((a, b) => a.created_at - b.created_at);
  try {
    await ex.transaction().execute(async (trx) => {
      await trx
        .insertInto('settings')
        .values({ name: ALERT_HISTORY_SETTING, value: String(now) })
        .execute();
      for (let i = 0; i < rows.length; i += 200)
        await trx
          .insertInto('alerts')
          .values(rows.slice(i, i + 200))
          .execute();
    });
  } catch (error) {
    // Another replica seeded it first.
    if (isUniqueViolation(error)) return 0;
    throw error;
  }
  return rows.length;
}

/** The demo's standing silence, made once on first start. */
export const DEMO_SILENCE_SETTING = 'demo.silence';

/**
 * A silence for the demo's Silences page: the search team's warnings are muted for a week
 * while they reindex. Made once (a `settings` row marks it), so expiring it in the UI sticks.
 */
export async function seedDemoSilence(db: Db, silences: SilenceService): Promise<boolean> {
  const done = await db.kysely.selectFrom('settings').select('name').where('name', '=', DEMO_SILENCE_SETTING).executeTakeFirst();
  if (done) return false;
  const service = await db.kysely.selectFrom('catalog_entities').select('id').where('name', '=', 'search').executeTakeFirst();
  if (!service) return false;
  try {
    await db.kysely.insertInto('settings').values({ name: DEMO_SILENCE_SETTING, value: 'made' }).execute();
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
  await silences.create(systemPrincipal('demo'), {
    matchers: ['service="search"', 'severity=~"warning|info"'],
    duration: '7d',
    comment: 'Reindexing the catalogue this week: latency warnings are expected',
  });
  return true;
}
