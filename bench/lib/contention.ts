import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * How much CPU other programs took while a benchmark ran. Benchmarks share the machine with
 * whatever else runs there, and a compile in the background halves the figures without a
 * trace; this puts a number on it. Linux only (reads /proc); elsewhere it reports nothing.
 *
 * Our own process tree and the PostgreSQL server (which the benchmark itself loads) are not
 * counted.
 */
export class CpuWatch {
  readonly #ticksPerSecond = 100; // USER_HZ on every Linux architecture Node runs on
  readonly #baseline = new Map<number, number>();
  readonly #foreign = new Map<number, number>();
  #startedAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #supported = true;

  start(): void {
    this.#startedAt = performance.now();
    const first = this.#sample();
    if (!first) {
      this.#supported = false;
      return;
    }
    for (const [pid, p] of first) this.#baseline.set(pid, p.ticks);
    this.#timer = setInterval(() => this.#update(), 1000);
    this.#timer.unref();
  }

  /** Share of the whole machine's CPU (0–1) that other programs used since `start()`, or null off Linux. */
  stop(): number | null {
    if (this.#timer) clearInterval(this.#timer);
    if (!this.#supported) return null;
    this.#update();
    const seconds = (performance.now() - this.#startedAt) / 1000;
    let ticks = 0;
    for (const t of this.#foreign.values()) ticks += t;
    return ticks / this.#ticksPerSecond / (seconds * os.cpus().length);
  }

  #update(): void {
    const now = this.#sample();
    if (!now) return;
    const ours = ownTree(now);
    for (const [pid, p] of now) {
      // A pid first seen now started during the run: all of its time counts.
      const base = this.#baseline.get(pid) ?? 0;
      if (!this.#baseline.has(pid)) this.#baseline.set(pid, 0);
      if (ours.has(pid) || p.command === 'postgres') continue;
      this.#foreign.set(pid, Math.max(this.#foreign.get(pid) ?? 0, p.ticks - base));
    }
  }

  #sample(): Map<number, { ppid: number; ticks: number; command: string }> | null {
    let entries: string[];
    try {
      entries = readdirSync('/proc');
    } catch {
      return null;
    }
    const out = new Map<number, { ppid: number; ticks: number; command: string }>();
    for (const entry of entries) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        // The command sits in parentheses and may itself contain spaces or parentheses.
        const close = stat.lastIndexOf(')');
        const command = stat.slice(stat.indexOf('(') + 1, close);
        const fields = stat.slice(close + 2).split(' ');
        out.set(Number(entry), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), command });
      } catch {
        // Gone between the listing and the read.
      }
    }
    return out;
  }
}

/** This process and every descendant. */
function ownTree(processes: ReadonlyMap<number, { ppid: number }>): Set<number> {
  const ours = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of processes) {
      if (!ours.has(pid) && ours.has(p.ppid)) {
        ours.add(pid);
        grew = true;
      }
    }
  }
  return ours;
}
