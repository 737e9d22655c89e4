import { systemPrincipal } from '../auth/principal.ts';
import type { Clock } from '../core/clock.ts';
import type { SliEvent, SliSummary, SloService } from './slo.service.ts';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const BATCH = 10_000;

export interface SloSimulatorOptions {
  slo: Pick<SloService, 'listSlis' | 'ingest'>;
  clock: Clock;
  /** How often live traffic is sent (default 5 s). */
  intervalMs?: number;
  /** History written on first start for SLIs that have no data yet (default 3 days). */
  backfillDays?: number;
  /** Source of randomness in [0, 1); a seeded one makes runs repeatable. */
  random?: () => number;
  /** Called when a tick fails (the next tick tries again). */
  onError?: (error: unknown) => void;
}

export interface SloSimulator {
  /** Resolves once the backfill is written. */
  ready: Promise<void>;
  /** Sends the traffic since the last tick now (the timer calls it; tests call it directly). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** How one SLI behaves: its traffic, its usual error share, and a bad spell when one is on. */
interface Profile {
  perMinute: number;
  errorShare: number;
  spellUntil: number;
  spellErrorShare: number;
  lastAt: number;
}

/** A small deterministic generator (mulberry32) for repeatable demo data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * Demo traffic for the example organization: every SLI fed by events gets steady traffic with a
 * small error share, now and then a bad spell of 5–20 minutes, and on first start a few days of
 * history so budgets have already moved when the UI first opens.
 */
export function startSloSimulator(opts: SloSimulatorOptions): SloSimulator {
  const { slo, clock } = opts;
  const random = opts.random ?? Math.random;
  const intervalMs = opts.intervalMs ?? 5_000;
  const backfillDays = opts.backfillDays ?? 3;
  const principal = systemPrincipal('simulator');
  const profiles = new Map<string, Profile>();
  let stopped = false;
  let running: Promise<void> | null = null;

  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const binomial = (n: number, p: number): number => {
    // Normal approximation: enough for demo traffic and far cheaper than n draws.
    const mean = n * p;
    return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p)) * normal())));
  };

  const profileOf = (sli: SliSummary, now: number): Profile => {
    let p = profiles.get(sli.name);
    if (!p) {
      const h = hash(sli.name);
      p = {
        perMinute: 200 + (h % 800),
        errorShare: 0.0001 + (h % 5) * 0.00005,
        spellUntil: 0,
        spellErrorShare: 0,
        lastAt: now,
      };
      profiles.set(sli.name, p);
    }
    return p;
  };

  /**
   * Bad spells start rarely (about two a day per SLI) and last 5–20 minutes at 0.5–3 % errors:
   * a 99.9 % SLO loses a good part of its budget over a few days without running out.
   */
  const maybeSpell = (p: Profile, at: number, elapsedMs: number): void => {
    if (p.spellUntil > at) return;
    if (random() < elapsedMs / (12 * 3_600_000)) {
      p.spellUntil = at + (5 + Math.floor(random() * 16)) * MINUTE_MS;
      p.spellErrorShare = 0.005 + random() * 0.025;
    }
  };

  const errorShareAt = (p: Profile, at: number): number => (p.spellUntil > at ? p.spellErrorShare : p.errorShare);

  /** A latency around a third of the threshold; in a bad spell a share of requests is far slower. */
  const latency = (threshold: number, slow: boolean): number => {
    const base = threshold * 0.3 * Math.exp(0.45 * normal());
    return Math.max(0.1, Math.round((slow ? base * 4 : base) * 10) / 10);
  };

  async function send(sli: string, events: SliEvent[], batchId?: string): Promise<void> {
    for (let i = 0; i < events.length; i += BATCH) {
      const chunk = events.slice(i, i + BATCH);
      await slo.ingest(principal, sli, { events: chunk, ...(batchId ? { batchId: `${batchId}:${i / BATCH}` } : {}) });
    }
  }

  async function backfill(): Promise<void> {
    const now = clock.now();
    for (const sli of await slo.listSlis()) {
      if (stopped) return;
      if (sli.source !== 'events' || sli.lastEventAt !== null) continue;
      const p = profileOf(sli, now);
      const first = Math.floor((now - backfillDays * DAY_MS) / MINUTE_MS);
      const last = Math.floor(now / MINUTE_MS);
      const events: SliEvent[] = [];
      for (let minute = first; minute < last; minute++) {
        const at = minute * MINUTE_MS;
        maybeSpell(p, at, MINUTE_MS);
        // Traffic follows the day: busier in the afternoon (UTC), quieter at night.
        const daily = 1 + 0.4 * Math.sin(((minute % 1440) / 1440) * 2 * Math.PI - Math.PI / 2);
        const total = Math.max(1, Math.round(p.perMinute * daily));
        const bad = binomial(total, errorShareAt(p, at));
        events.push({ timestamp: at, good: total - bad, total });
      }
      p.spellUntil = 0;
      p.lastAt = now;
      // A fixed batch id per SLI and start minute: a restart during backfill does not count twice.
      await send(sli.name, events, `simulator-backfill:${sli.name}:${first}`);
    }
  }

  async function tick(): Promise<void> {
    const now = clock.now();
    for (const sli of await slo.listSlis()) {
      if (stopped) return;
      if (sli.source !== 'events') continue;
      const p = profileOf(sli, now);
      const elapsed = Math.min(Math.max(now - p.lastAt, 0), 10 * MINUTE_MS);
      p.lastAt = now;
      if (elapsed === 0) continue;
      maybeSpell(p, now, elapsed);
      const share = errorShareAt(p, now);
      if (sli.threshold && (sli.threshold.op === 'lt' || sli.threshold.op === 'lte')) {
        // Raw observations, a sample of the traffic, so latency histograms fill too.
        const n = Math.max(1, Math.min(200, Math.round((p.perMinute * elapsed) / MINUTE_MS / 10)));
        const events: SliEvent[] = [];
        for (let i = 0; i < n; i++) {
          const slow = random() < share * 5;
          events.push({ timestamp: now - Math.floor(random() * elapsed), value: latency(sli.threshold.value, slow) });
        }
        await send(sli.name, events);
      } else {
        const total = Math.max(1, Math.round((p.perMinute * elapsed) / MINUTE_MS));
        const bad = binomial(total, share);
        await send(sli.name, [{ timestamp: now, good: total - bad, total }]);
      }
    }
  }

  const ready = backfill().catch((error: unknown) => opts.onError?.(error));
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = ready
      .then(tick)
      .catch((error: unknown) => opts.onError?.(error))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();

  return {
    ready,
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ready;
      await running;
    },
  };
}
