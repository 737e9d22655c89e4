/**
 * The SLO benchmark's dataset: 1,000 SLIs and SLOs over 100 catalog services, each with 28 days
 * of per-minute good/total counts (40,320 minutes). Deterministic: the same seed gives the same
 * counts, so Vigil and the Prometheus peer are loaded with identical data.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { type CatalogState, EntitySpec, TeamSpec } from '../src/catalog/index.ts';
import { SliSpec, SloSpec } from '../src/slo/slo.model.ts';
import type { DesiredSloState } from '../src/slo/slo.service.ts';

export const SLO_COUNT = 1000;
export const SERVICE_COUNT = 100;
export const MINUTES = 28 * 1440;
export const TARGET = 0.999;
/** Every this-many-th SLO budgets by Timeslices (5-minute slices, good at ≥ 99 % good events). */
export const TIMESLICES_EVERY = 100;
const SEED = 0x5eed_510;

const pad = (i: number): string => String(i).padStart(4, '0');
export const sloName = (i: number): string => `bench-slo-${pad(i)}`;
export const sliName = (i: number): string => `bench-sli-${pad(i)}`;
export const serviceName = (i: number): string => `bench-svc-${String(i % SERVICE_COUNT).padStart(3, '0')}`;

/** Small, fast, deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Series {
  good: Uint32Array;
  total: Uint32Array;
}

/**
 * SLO `i`'s counts, minute 0 being the oldest of the 28 days. Traffic of 100–1,300 events a
 * minute with a daily cycle; a background error rate of 0.01–0.07 % (inside a 99.9 % objective);
 * three bad spells of 10–90 minutes at 2–15 % errors; every 50th SLO also burns hard (20 %)
 * over the last 40 minutes, so the page alerts fire.
 */
export function series(i: number, into?: Series): Series {
  const out = into ?? { good: new Uint32Array(MINUTES), total: new Uint32Array(MINUTES) };
  const rnd = random(SEED + i * 7919);
  const base = 100 + Math.floor(rnd() * 1200);
  const phase = rnd() * 1440;
  const errorRate = 0.0001 + rnd() * 0.0006;
  const spells: Array<{ from: number; to: number; rate: number }> = [];
  for (let s = 0; s < 3; s++) {
    const from = Math.floor(rnd() * (MINUTES - 100));
    spells.push({ from, to: from + 10 + Math.floor(rnd() * 80), rate: 0.02 + rnd() * 0.13 });
  }
  if (i % 50 === 0) spells.push({ from: MINUTES - 40, to: MINUTES, rate: 0.2 });
  for (let m = 0; m < MINUTES; m++) {
    const daily = 1 + 0.3 * Math.sin(((m + phase) / 1440) * 2 * Math.PI);
    const total = Math.max(1, Math.round(base * daily * (0.9 + 0.2 * rnd())));
    let rate = errorRate;
    for (const spell of spells) if (m >= spell.from && m < spell.to) rate = spell.rate;
    const bad = Math.min(total, Math.floor(total * rate * 2 * rnd() + rnd()));
    out.total[m] = total;
    out.good[m] = total - bad;
  }
  return out;
}

/** The team and services the SLOs belong to. */
export function catalogState(): CatalogState {
  const teams = [{ ...TeamSpec.parse({ name: 'bench-sre', members: [] }), source: 'bench' }];
  const entities = Array.from({ length: SERVICE_COUNT }, (_, i) => ({
    ...EntitySpec.parse({ name: serviceName(i), owner: 'bench-sre' }),
    source: 'bench',
  }));
  return { users: [], teams, entities };
}

/** 1,000 event-fed SLIs and one SLO on each: Occurrences (Timeslices for every 100th), 99.9 %, rolling 28 days. */
export function sloState(): DesiredSloState {
  const slis = [];
  const slos = [];
  for (let i = 0; i < SLO_COUNT; i++) {
    slis.push({ ...SliSpec.parse({ name: sliName(i), service: serviceName(i), source: 'events' }), configSource: 'bench' });
    const timeslices = i % TIMESLICES_EVERY === TIMESLICES_EVERY - 1;
    slos.push({
      ...SloSpec.parse({
        name: sloName(i),
        service: serviceName(i),
        sli: sliName(i),
        timeWindow: { type: 'rolling', duration: '28d' },
        budgetingMethod: timeslices ? 'Timeslices' : 'Occurrences',
        objectives: [timeslices ? { target: TARGET, timeSliceTarget: 0.99, timeSliceWindow: '5m' } : { target: TARGET }],
      }),
      source: 'bench',
    });
  }
  return { slis, slos, slas: [], dataSources: [], policies: [], maintenanceWindows: [] };
}

/**
 * Writes the same data as OpenMetrics counters for `promtool tsdb create-blocks-from openmetrics`:
 * `slo_good_total{slo="…"}` and `slo_requests_total{slo="…"}`, cumulative, one sample per minute
 * stamped at the minute's end (seconds), after a 0 at the first minute's start, so
 * `increase(…[28d])` at the end time covers exactly the 40,320 minutes. Returns the sample count.
 */
export async function writeOpenMetrics(file: string, endMinute: number, count: number): Promise<number> {
  const out = createWriteStream(file, { highWaterMark: 8 * 1024 * 1024 });
  const firstMinute = endMinute - MINUTES + 1;
  const scratch: Series = { good: new Uint32Array(MINUTES), total: new Uint32Array(MINUTES) };
  let samples = 0;
  for (const metric of ['good', 'requests'] as const) {
    for (let i = 0; i < count; i++) {
      series(i, scratch);
      const values = metric === 'good' ? scratch.good : scratch.total;
      const prefix = `slo_${metric}_total{slo="${sloName(i)}"} `;
      const lines: string[] = [`${prefix}0 ${firstMinute * 60}`];
      let sum = 0;
      for (let m = 0; m < MINUTES; m++) {
        sum += values[m] ?? 0;
        lines.push(`${prefix}${sum} ${(firstMinute + m + 1) * 60}`);
      }
      samples += lines.length;
      if (!out.write(`${lines.join('\n')}\n`)) await once(out, 'drain');
    }
  }
  out.end('# EOF\n');
  await once(out, 'finish');
  return samples;
}
