import type { Clock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/database.ts';
import { LatencyHistogram } from '../slo/histogram.ts';
import { seededRandom } from '../slo/simulator.ts';
import { heartbeatTimings, probeTimings } from './probe.model.ts';
import { emptyState, type ProbeService, specOf } from './probe.service.ts';
import * as store from './probe.store.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from './probe.store.ts';

/**
 * Demo history for the example organization's probes, so the probe pages are alive on first
 * start: 90 days of hourly uptime with a handful of outages (each with its transitions and a
 * resolved alert, so MTBF/MTTF/MTTR have values), the last two days per minute with latency
 * histograms, and jobs behind the heartbeats. Live results come from the real runner.
 *
 * Heartbeats of hourly or slower jobs are pinged on time by a stand-in job. Faster ones are
 * left alone and backfilled as last pinged hours ago, so the demo shows a missed heartbeat too.
 */

export interface ProbeSimulatorOptions {
  db: Db;
  clock: Clock;
  probes: ProbeService;
  days?: number;
  random?: () => number;
  onError?: (error: unknown) => void;
  /** How often the stand-in jobs look for heartbeats due a ping (default 30 s). */
  intervalMs?: number;
}

export interface ProbeSimulator {
  ready: Promise<void>;
  tick(): Promise<void>;
  stop(): Promise<void>;
}

interface Outage {
  from: number;
  to: number;
}

export function startProbeSimulator(opts: ProbeSimulatorOptions): ProbeSimulator {
  const { db, clock, probes } = opts;
  const random = opts.random ?? seededRandom(4600);
  const days = opts.days ?? 90;
  let stopped = false;
  let running: Promise<void> | null = null;

  async function backfill(): Promise<void> {
    const now = clock.now();
    const rows = await store.allProbes(db.kysely);
    const states = await store.statesOf(
      db.kysely,
      rows.map((r) => r.id),
    );
    for (const row of rows) {
      if (stopped) return;
      if (states.has(row.id)) continue;
      const spec = specOf(row);
      if (!spec.enabled) continue;
      const hb = heartbeatTimings(spec);
      if (hb) {
        // Jobs the demo stands in for pinged within their period; the others stopped hours ago.
        const lastPing = hb.periodMs >= HOUR_MS ? now - Math.floor(random() * hb.periodMs * 0.5) : now - 3 * HOUR_MS;
        await store.upsertStates(db.kysely, [
          {
            ...emptyState(row.id),
            status: 'up',
            since: now - 30 * DAY_MS,
            last_ping_at: lastPing,
            last_check_at: lastPing,
            last_ok: 1,
          },
        ]);
        continue;
      }
      await backfillProbe(row, probeTimings(spec).intervalMs, now);
    }
  }

  async function backfillProbe(row: store.ProbeRow, intervalMs: number, now: number): Promise<void> {
    const start = Math.floor((now - days * DAY_MS) / HOUR_MS) * HOUR_MS;
    const end = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    const outages: Outage[] = [];
    for (let at = start; at < end - 6 * HOUR_MS; ) {
      // About one outage every two weeks, 4 to 40 minutes long.
      at += Math.floor(-Math.log(1 - random()) * 14 * DAY_MS);
      if (at >= end - 6 * HOUR_MS) break;
      outages.push({ from: at, to: at + (4 + Math.floor(random() * 37)) * MINUTE_MS });
    }
    const down = (at: number) => outages.some((o) => at >= o.from && at < o.to);
    const checksPerMinute = MINUTE_MS / intervalMs;
    const base = 25 + random() * 60;
    const latency = () =>
      Math.max(1, base * Math.exp(0.35 * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())));

    const minutes: store.Bucket[] = [];
    const hours = new Map<number, store.Bucket>();
    const minuteFrom = end - store.MINUTE_RETENTION_MS;
    // SLIs that read the probe get its last three days, as the SLO demo backfills its SLIs.
    const sliFrom = end - 3 * DAY_MS;
    const checks: Array<{ probe: string; at: number; ok: boolean; durationMs: number }> = [];
    let carry = 0;
    for (let at = start; at < end; at += MINUTE_MS) {
      carry += checksPerMinute;
      const total = Math.floor(carry);
      carry -= total;
      if (total === 0) continue;
      const ok = down(at) ? 0 : total;
      const hour = Math.floor(at / HOUR_MS);
      let h = hours.get(hour);
      if (!h) {
        h = { probeId: row.id, at: hour, total: 0, ok: 0, histogram: new LatencyHistogram() };
        hours.set(hour, h);
      }
      const m = new LatencyHistogram();
      for (let i = 0; i < total; i++) {
        const ms = Math.round(latency() * 10) / 10;
        if (i < ok) m.record(ms);
        if (at >= sliFrom) checks.push({ probe: row.name, at: at + i * intervalMs, ok: i < ok, durationMs: ms });
      }
      h.total += total;
      h.ok += ok;
      h.histogram?.absorb(m);
      if (at >= minuteFrom) minutes.push({ probeId: row.id, at: Math.floor(at / MINUTE_MS), total, ok, histogram: m });
    }
    await db.kysely.transaction().execute(async (trx) => {
      await store.putHours(trx, [...hours.values()]);
      await store.mergeMinutes(trx, minutes);
      let from: 'unknown' | 'up' | 'down' = 'unknown';
      await store.insertTransition(trx, { id: newId(start), probeId: row.id, at: start, from, to: 'up', reason: 'checks pass' });
      from = 'up';
      for (const o of outages) {
        await store.insertTransition(trx, {
          id: newId(o.from),
          probeId: row.id,
          at: o.from,
          from,
          to: 'down',
          reason: 'timed out after 5s',
        });
        await store.insertTransition(trx, {
          id: newId(o.to),
          probeId: row.id,
          at: o.to,
          from: 'down',
          to: 'up',
          reason: 'checks pass again',
        });
        await store.insertAlert(trx, {
          id: newId(o.from),
          probe_id: row.id,
          kind: 'down',
          state: 'firing',
          opened_at: o.from,
          resolved_at: null,
          reason: 'timed out after 5s',
          excerpt: '',
        });
        const open = await store.openAlert(trx, row.id);
        if (open) await store.resolveAlert(trx, open.id, o.to);
      }
      await probes.feedSlis(trx, checks);
      const lastUp = outages.at(-1)?.to ?? start;
      await store.upsertStates(trx, [
        { ...emptyState(row.id), status: 'up', since: lastUp, last_check_at: end, last_ok: 1, seq: 0 },
      ]);
    });
  }

  async function tick(): Promise<void> {
    const now = clock.now();
    const rows = await store.enabledProbes(db.kysely, ['heartbeat']);
    const states = await store.statesOf(
      db.kysely,
      rows.map((r) => r.id),
    );
    for (const row of rows) {
      if (stopped) return;
      const hb = heartbeatTimings(specOf(row));
      if (!hb || hb.periodMs < HOUR_MS || !row.heartbeat_key) continue;
      const last = states.get(row.id)?.last_ping_at ?? null;
      if (last !== null && now - last < hb.periodMs - MINUTE_MS) continue;
      await probes.ping(row.heartbeat_key, true, `demo job finished in ${(20 + random() * 40).toFixed(1)} s`);
    }
  }

  const ready = backfill().catch((error: unknown) => opts.onError?.(error));
  const run = () => {
    if (running || stopped) return;
    running = ready
      .then(tick)
      .catch((error: unknown) => opts.onError?.(error))
      .finally(() => {
        running = null;
      });
  };
  run();
  const timer = setInterval(run, opts.intervalMs ?? 30_000);
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
