/**
 * The benchmark harness: `npm run bench -- <name> [more names]` runs `bench/<name>.bench.ts`,
 * prints its table (with ratios against its peers) and rewrites its section of RESULTS.md.
 * `npm run bench` alone lists the benchmarks.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CpuWatch } from './lib/contention.ts';
import {
  conditionsLine,
  consoleReport,
  describeMachine,
  loadAverage,
  machineLine,
  resultsSection,
  verdict,
  writeResultsSection,
} from './lib/report.ts';
import type { BenchContext, BenchModule } from './lib/types.ts';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
const SUFFIX = '.bench.ts';

interface Options {
  names: string[];
  durationSeconds: number;
  warmupSeconds: number;
  write: boolean;
}

const USAGE = `usage: npm run bench -- <name> [more names] [--duration <s>] [--warmup <s>] [--no-write]

  --duration <s>  measured seconds per load run (default 10)
  --warmup <s>    unmeasured seconds before each load run (default 2)
  --no-write      print the figures but leave bench/RESULTS.md alone`;

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { names: [], durationSeconds: 10, warmupSeconds: 2, write: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const seconds = (): number => {
      const value = Number(argv[++i]);
      if (!Number.isFinite(value) || value < 0) throw new Error(`${arg} needs a number of seconds\n\n${USAGE}`);
      return value;
    };
    if (arg === '--duration') options.durationSeconds = Math.max(1, seconds());
    else if (arg === '--warmup') options.warmupSeconds = seconds();
    else if (arg === '--no-write') options.write = false;
    else if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}\n\n${USAGE}`);
    else options.names.push(arg);
  }
  return options;
}

function available(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length))
    .sort();
}

/** First sentence of the file's leading doc comment, read without importing the module. */
function describe(name: string): string {
  const text = readFileSync(join(BENCH_DIR, `${name}${SUFFIX}`), 'utf8');
  const comment = /\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? '';
  const prose = comment
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trim())
    .join(' ')
    .trim();
  return /^(.*?\.)(\s|$)/.exec(prose)?.[1] ?? prose;
}

function list(): void {
  const names = available();
  process.stdout.write(`${USAGE}\n\nbenchmarks:\n`);
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) process.stdout.write(`  ${name.padEnd(width)}  ${describe(name)}\n`);
}

async function runOne(name: string, options: Options): Promise<{ missed: number }> {
  const started = Date.now();
  const loadBefore = loadAverage();
  const watch = new CpuWatch();
  watch.start();
  const tmpDir = mkdtempSync(join(tmpdir(), `vigil-bench-${name}-`));
  const cleanups: Array<() => Promise<void> | void> = [];
  const ctx: BenchContext = {
    root: ROOT,
    tmpDir,
    durationSeconds: options.durationSeconds,
    warmupSeconds: options.warmupSeconds,
    log: (message) => process.stderr.write(`[${name} ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}\n`),
    defer: (cleanup) => void cleanups.push(cleanup),
  };
  try {
    const module = (await import(pathToFileURL(join(BENCH_DIR, `${name}${SUFFIX}`)).href)) as Partial<BenchModule>;
    if (typeof module.run !== 'function') throw new Error(`bench/${name}${SUFFIX} does not export run(ctx)`);
    const report = await module.run(ctx);
    const conditions = { loadBefore, foreignCpu: watch.stop() };
    process.stdout.write(consoleReport(name, report));
    process.stdout.write(`\n${conditionsLine(conditions)}\n`);
    if ((conditions.foreignCpu ?? 0) > 0.05) {
      process.stderr.write('warning: other programs took a noticeable share of the CPU; these figures understate Vigil\n');
    }
    if (options.write) {
      const section = resultsSection(name, report, describeMachine(), new Date(), conditions);
      const results = join(BENCH_DIR, 'RESULTS.md');
      writeResultsSection(results, name, section);
      // The repository's formatter checks Markdown too: leave the file as it would write it.
      execFileSync(join(BENCH_DIR, '..', 'node_modules', '.bin', 'biome'), ['format', '--write', results], { stdio: 'ignore' });
      ctx.log('section written to bench/RESULTS.md');
    }
    return { missed: report.rows.filter((r) => verdict(r) === 'FAIL').length };
  } finally {
    watch.stop();
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        ctx.log(`clean-up failed: ${(error as Error).message}`);
      }
    }
    rmSync(tmpDir, { recursive: true, force: true });
    ctx.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (options.names.length === 0) {
    list();
    return 0;
  }
  const known = new Set(available());
  const unknown = options.names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark ${unknown.join(', ')}; there are: ${[...known].join(', ')}\n`);
    return 2;
  }
  const machine = describeMachine();
  process.stderr.write(`machine: ${machineLine(machine)}\n`);
  const load = loadAverage();
  if (load > machine.cores * 0.25) {
    process.stderr.write(
      `warning: 1-minute load average is ${load.toFixed(2)} on ${machine.cores} cores; other work will skew the figures\n`,
    );
  }
  let failed = 0;
  let missed = 0;
  for (const name of options.names) {
    try {
      missed += (await runOne(name, options)).missed;
    } catch (error) {
      failed++;
      process.stderr.write(`\n${name} failed: ${(error as Error).stack ?? error}\n`);
    }
  }
  if (failed > 0) return 1;
  if (missed > 0) {
    process.stderr.write(`\n${missed} target(s) missed (see the FAIL rows)\n`);
    return 3;
  }
  return 0;
}

process.exitCode = await main();
