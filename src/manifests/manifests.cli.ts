import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ApiClient, CliError, EXIT, type GlobalOptions, globalOptions, printJson } from '../cli/context.ts';
import { readManifestFiles } from './files.ts';
import type { PlannedChange } from './kinds.ts';
import type { ApplyResult, Plan, PlanSummary } from './manifests.service.ts';

interface ManifestOptions {
  file: string[];
  prune: boolean;
  source: string;
}

const MAX_VALUE = 60;

/** A stored or desired value, short enough for one line of a plan. */
export function formatValue(value: unknown): string {
  let text: string;
  if (value === null || value === undefined) text = '(none)';
  else if (typeof value === 'string') text = /^[\w.:/@+-]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
  else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) text = `[${value.join(', ')}]`;
  else text = JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

const SIGNS: Record<PlannedChange['action'], string> = { create: '+', update: '~', delete: '-', adopt: '=' };

/** `+ service:checkout`, `~ team:payments (members: [a] → [a, b])`, `- user:carol`, `= user:admin (source: …)`. */
export function formatChange(change: PlannedChange): string {
  const sign = SIGNS[change.action];
  const fields = change.fields.map((f) => `${f.field}: ${formatValue(f.from)} → ${formatValue(f.to)}`).join('; ');
  return `${sign} ${change.ref}${fields ? ` (${fields})` : ''}`;
}

function formatSummary(s: PlanSummary, verb: 'plan' | 'apply'): string {
  const parts =
    verb === 'plan'
      ? [`${s.create} to create`, `${s.update} to update`, `${s.delete} to delete`]
      : [`${s.create} created`, `${s.update} updated`, `${s.delete} deleted`];
  if (s.adopt > 0) parts.push(verb === 'plan' ? `${s.adopt} to take over from other sources` : `${s.adopt} taken over`);
  parts.push(`${s.unchanged} unchanged`);
  return `${verb === 'plan' ? 'Plan' : 'Applied'}: ${parts.join(', ')}.`;
}

function withManifestOptions(cmd: Command): Command {
  return cmd
    .requiredOption('-f, --file <path...>', 'manifest files or folders (*.yaml and *.yml, recursively)')
    .option('--prune', 'also delete objects of this source that the files no longer declare', false)
    .option('--source <name>', 'which set of manifests this is; prune only ever deletes objects of this source', 'default')
    .option('--json', 'print machine-readable JSON');
}

async function send<T>(g: GlobalOptions, path: string, opts: ManifestOptions): Promise<T> {
  // Files are read here, where relative Location targets make sense; the server gets contents.
  const files = await readManifestFiles(opts.file);
  return new ApiClient(g).post<T>(path, { files, source: opts.source, prune: opts.prune });
}

/** `vigil apply`, `vigil plan` and `vigil export`. */
export function registerManifestCommands(program: Command): void {
  withManifestOptions(program.command('apply'))
    .description('make the server match manifest files (Vigil or Backstage YAML), all or nothing')
    .action(async (opts: ManifestOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      const result = await send<ApplyResult>(g, '/api/v1/manifests/apply', opts);
      if (g.json) return printJson(result);
      const lines = [
        ...result.created.map((r) => `+ ${r}`),
        ...result.updated.map((r) => `~ ${r}`),
        ...result.deleted.map((r) => `- ${r}`),
        ...result.adopted.map((r) => `= ${r}`),
        formatSummary(result.summary, 'apply'),
        // Only hashes are stored: this is the one time the keys are shown.
        ...(result.secrets ?? []).flatMap((s) => [
          '',
          `${s.ref}: key ${s.key} (shown only now; vigil integration rotate makes a new one)`,
          `  URL: ${g.server}${s.path}`,
        ]),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  withManifestOptions(program.command('plan'))
    .description(`show what apply would change; exits ${EXIT.drift} when there is drift, ${EXIT.ok} when there is none`)
    .action(async (opts: ManifestOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      const plan = await send<Plan>(g, '/api/v1/manifests/plan', opts);
      if (g.json) printJson(plan);
      else {
        const { adopt, unchanged } = plan.summary;
        const last = plan.drift
          ? formatSummary(plan.summary, 'plan')
          : `No drift: the server matches the manifests (${adopt + unchanged} objects${adopt > 0 ? `; applying takes ${adopt} over from other sources` : ''}).`;
        process.stdout.write(`${[...plan.changes.map(formatChange), last].join('\n')}\n`);
      }
      // Drift is an answer, not a failure: the output above stands, and CI reads the exit code.
      if (plan.drift) process.exitCode = EXIT.drift;
    });

  program
    .command('export')
    .description('write the catalog and SLOs as vigil.dev/v1 YAML that apply accepts unchanged')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--openslo', 'write SLIs, SLOs and their DataSources as OpenSLO v1 instead')
    .action(async (opts: { output?: string; openslo?: boolean }, cmd: Command) => {
      const yaml = await fetchYaml(globalOptions(cmd), `/api/v1/manifests/export${opts.openslo ? '?format=openslo' : ''}`);
      if (!opts.output) return void process.stdout.write(yaml);
      await writeFile(opts.output, yaml, 'utf8');
      const count = (yaml.match(/^---$/gm) ?? []).length;
      process.stderr.write(`wrote ${count} documents to ${opts.output}\n`);
    });
}

/** The API client speaks JSON; export answers YAML, so it is fetched here. */
async function fetchYaml(g: GlobalOptions, path: string): Promise<string> {
  const headers: Record<string, string> = { accept: 'application/yaml, application/problem+json' };
  if (g.token) headers.authorization = `Bearer ${g.token}`;
  let response: Response;
  try {
    response = await fetch(`${g.server}${path}`, { headers });
  } catch (error) {
    throw new CliError(`cannot reach ${g.server}: ${(error as Error).cause ?? (error as Error).message}`);
  }
  const text = await response.text();
  if (response.ok) return text;
  let detail = `${response.status} ${response.statusText}`;
  try {
    detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
  } catch {
    // Not problem+json: the status line says enough.
  }
  const code = response.status === 401 ? EXIT.unauthenticated : response.status < 500 ? EXIT.invalid : EXIT.failure;
  throw new CliError(detail, code);
}
