import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { BenchReport, BenchRow, Target } from './types.ts';

/** The machine a run happened on; RESULTS.md figures mean nothing without it. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** The 1-minute load average: other work on the machine skews every figure. */
export function loadAverage(): number {
  return os.loadavg()[0] ?? 0;
}

export function machineLine(m: Machine): string {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.os}`;
}

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '–');

function targetText(t: Target | undefined): string {
  if (!t) return '–';
  return `${t.metric.replace('_', '.')} < ${t.belowMs} ms`;
}

/** `pass`, `FAIL`, or `–` without a target. */
export function verdict(row: BenchRow): string {
  if (!row.target) return '–';
  return row.result.latency[row.target.metric] < row.target.belowMs ? 'pass' : 'FAIL';
}

/** Rows of strings as a Markdown table whose columns line up, so it reads in a terminal too. */
export function markdownTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  rightAligned: ReadonlySet<number>,
): string {
  const widths = header.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (rightAligned.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function resultsTable(report: BenchReport): string {
  const header = [
    'scenario',
    'backend',
    'system',
    'conns',
    'req/s',
    'p50 ms',
    'p97.5 ms',
    'p99 ms',
    'max ms',
    'target',
    'result',
  ];
  const rows = report.rows.map((r) => [
    r.scenario,
    r.backend,
    r.system,
    String(r.result.connections),
    r.result.requestsPerSecond.toFixed(r.result.requestsPerSecond < 10 ? 1 : 0),
    ms(r.result.latency.p50),
    ms(r.result.latency.p97_5),
    ms(r.result.latency.p99),
    ms(r.result.latency.max),
    targetText(r.target),
    verdict(r),
  ]);
  return markdownTable(header, rows, new Set([3, 4, 5, 6, 7, 8]));
}

/**
 * Each peer row against the Vigil row of the same scenario and backend: throughput as
 * Vigil ÷ peer (above 1: Vigil serves more) and p99 as peer ÷ Vigil (above 1: Vigil answers faster).
 * Null when the report has no peer rows.
 */
export function ratioTable(report: BenchReport): string | null {
  const rows: string[][] = [];
  for (const peer of report.rows.filter((r) => r.system !== 'Vigil')) {
    const vigil = report.rows.find((r) => r.system === 'Vigil' && r.scenario === peer.scenario && r.backend === peer.backend);
    if (!vigil) continue;
    rows.push([
      peer.scenario,
      peer.backend,
      peer.system,
      `${(vigil.result.requestsPerSecond / peer.result.requestsPerSecond).toFixed(2)}×`,
      `${(peer.result.latency.p99 / vigil.result.latency.p99).toFixed(2)}×`,
    ]);
  }
  if (rows.length === 0) return null;
  return markdownTable(['scenario', 'backend', 'peer', 'req/s Vigil ÷ peer', 'p99 peer ÷ Vigil'], rows, new Set([3, 4]));
}

/** What the console shows after a benchmark. */
export function consoleReport(name: string, report: BenchReport): string {
  const parts = [`\n${name}: ${report.title}\n`, resultsTable(report)];
  const ratios = ratioTable(report);
  parts.push(ratios ? `\nRatios against peers:\n${ratios}` : `\nPeers: ${report.peers}`);
  if (report.notes.length > 0) parts.push(`\nNotes:\n${report.notes.map((n) => `  - ${n}`).join('\n')}`);
  return `${parts.join('\n')}\n`;
}

/** The benchmark's section of RESULTS.md, between markers so a later run replaces only it. */
/** What else the machine was doing: the load average before the run and other programs' share of the CPU during it. */
export interface RunConditions {
  loadBefore: number;
  /** 0–1, or null where it cannot be measured. */
  foreignCpu: number | null;
}

export function conditionsLine(c: RunConditions): string {
  const during = c.foreignCpu === null ? '' : `; other programs used ${(c.foreignCpu * 100).toFixed(0)}% of the CPU during it`;
  return `1-minute load average before the run ${c.loadBefore.toFixed(2)}${during}`;
}

export function resultsSection(name: string, report: BenchReport, machine: Machine, at: Date, conditions: RunConditions): string {
  const ratios = ratioTable(report);
  const lines = [
    startMarker(name),
    `## ${name}: ${report.title}`,
    '',
    `Run ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine(machine)}; ${conditionsLine(conditions)}.`,
    `Command: \`npm run bench -- ${name}\`.`,
    '',
    report.summary,
    '',
    `**Peers.** ${report.peers}`,
    '',
    '**Setup.**',
    '',
    ...report.setup.map((s) => `- ${s}`),
    '',
    resultsTable(report),
  ];
  if (ratios) lines.push('', 'Ratios against peers:', '', ratios);
  if (report.notes.length > 0) lines.push('', '**Notes.**', '', ...report.notes.map((n) => `- ${n}`));
  lines.push(endMarker(name));
  return lines.join('\n');
}

const startMarker = (name: string): string => `<!-- bench:${name} -->`;
const endMarker = (name: string): string => `<!-- /bench:${name} -->`;

const HEADER = `# Benchmark results

The latest figures of each benchmark in \`bench/\`, with the machine they ran on. Each
\`npm run bench -- <name>\` rewrites its own section and keeps the others. How to run them and
what they measure: [README.md](README.md).
`;

/** Replaces (or appends) the benchmark's section in RESULTS.md, leaving every other section as it was. */
export function writeResultsSection(file: string, name: string, section: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : HEADER;
  const start = current.indexOf(startMarker(name));
  const end = current.indexOf(endMarker(name));
  let next: string;
  if (start >= 0 && end > start) {
    next = current.slice(0, start) + section + current.slice(end + endMarker(name).length);
  } else {
    next = `${current.trimEnd()}\n\n${section}\n`;
  }
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
}
