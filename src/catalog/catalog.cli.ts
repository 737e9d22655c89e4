import { type Command, InvalidArgumentError, Option } from 'commander';
import { ApiClient, CliError, EXIT, globalOptions, printJson, printTable } from '../cli/context.ts';
import {
  type BlastRadius,
  type ConwayFinding,
  ENTITY_KINDS,
  type EntityDetail,
  EntityRef,
  type EntitySummary,
  splitRef,
} from './catalog.model.ts';
import type { TeamDetail, TeamSummary } from './catalog.service.ts';

function integer(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer of at least ${min}`);
    return n;
  };
}

function entityPath(ref: string): string {
  if (!EntityRef.safeParse(ref).success) {
    throw new CliError(`"${ref}" is not an entity reference; write [kind:]name, e.g. checkout or api:payments-api`, EXIT.invalid);
  }
  const { kind, name } = splitRef(ref);
  return `/api/v1/entities/${kind}/${encodeURIComponent(name)}`;
}

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function client(cmd: Command): { api: ApiClient; json: boolean } {
  const options = globalOptions(cmd);
  return { api: new ApiClient(options), json: options.json };
}

const summaryRow = (e: EntitySummary) => ({
  entity: `${e.kind}:${e.name}`,
  owner: e.owner,
  tier: e.tier,
  lifecycle: e.lifecycle,
  title: e.title,
});
const SUMMARY_COLUMNS = ['entity', 'owner', 'tier', 'lifecycle', 'title'];

function printEntity(e: EntityDetail): void {
  say(`${e.kind}:${e.name}${e.title ? `  ${e.title}` : ''}`);
  const fields: Array<[string, string | null]> = [
    ['owner', e.owner],
    ['type', e.type],
    ['part of', e.partOf],
    ['lifecycle', e.lifecycle],
    ['tier', e.tier],
    ['tags', e.tags.length > 0 ? e.tags.join(', ') : null],
    ['runbook', e.runbookUrl],
    ['source', e.source],
  ];
  for (const [label, value] of fields) if (value !== null) say(`  ${`${label}:`.padEnd(12)}${value}`);
  for (const link of e.links) say(`  ${'link:'.padEnd(12)}${link.title ? `${link.title} ` : ''}${link.url}`);
  if (e.description) say(`\n  ${e.description}`);
  const related = (list: EntityDetail['dependsOn']) => list.map((r) => ({ entity: `${r.kind}:${r.name}`, owner: r.owner }));
  say('\nDepends on:');
  if (e.dependsOn.length === 0) say('  nothing in the catalog');
  else printTable(related(e.dependsOn), ['entity', 'owner']);
  say('\nDependents:');
  if (e.dependents.length === 0) say('  nothing depends on it');
  else printTable(related(e.dependents), ['entity', 'owner']);
}

function printBlastRadius(r: BlastRadius): void {
  const root = `${r.root.kind}:${r.root.name}`;
  if (r.impacted.length === 0) {
    say(`Nothing depends on ${root}: a failure there stays there.`);
    return;
  }
  const teams = r.teams.length === 1 ? '1 team' : `${r.teams.length} teams`;
  say(`Blast radius of ${root}: ${r.impacted.length} impacted ${r.impacted.length === 1 ? 'entity' : 'entities'}, ${teams}\n`);
  printTable(
    r.impacted.map((e) => ({ entity: `${e.kind}:${e.name}`, depth: e.depth, owner: e.owner, tier: e.tier, via: e.via })),
    ['entity', 'depth', 'owner', 'tier', 'via'],
  );
  say('\nTeams:');
  if (r.teams.length === 0) say('  none of the impacted entities has an owner');
  else
    printTable(
      r.teams.map((t) => ({ team: t.name, entities: t.count })),
      ['team', 'entities'],
    );
}

function printTeam(t: TeamDetail): void {
  say(`${t.name}${t.title ? `  ${t.title}` : ''}  (${t.type})`);
  if (t.description) say(`  ${t.description}`);
  for (const link of t.links) say(`  link: ${link.title ? `${link.title} ` : ''}${link.url}`);
  say('\nMembers:');
  if (t.members.length === 0) say('  no members yet');
  else
    printTable(
      t.members.map((m) => ({ name: m.name, 'display name': m.displayName, role: m.role })),
      ['name', 'display name', 'role'],
    );
  say('\nInteractions:');
  if (t.interactions.length === 0) say('  none declared');
  else {
    printTable(
      t.interactions.map((i) => ({ team: i.team, mode: i.mode, direction: i.direction, description: i.description })),
      ['team', 'mode', 'direction', 'description'],
    );
  }
  say('\nEntities:');
  if (t.entities.length === 0) say('  owns nothing in the catalog');
  else printTable(t.entities.map(summaryRow), SUMMARY_COLUMNS);
}

export function registerCatalogCommands(program: Command): void {
  const catalog = program.command('catalog').description('Browse the service catalog: entities, dependencies, blast radius');

  catalog
    .command('list')
    .description('List catalog entities')
    .addOption(new Option('--kind <kind>', 'only this kind').choices(ENTITY_KINDS))
    .option('--owner <team>', 'only entities owned by this team')
    .option('--search <text>', 'search name, title and description')
    .option('--tier <tier>', 'only this tier, e.g. tier-1')
    .option('--lifecycle <lifecycle>', 'only this lifecycle, e.g. production')
    .option('--tag <tag>', 'only entities with this tag')
    .option('--limit <n>', 'at most this many (max 500)', integer(1), 50)
    .option('--offset <n>', 'skip this many', integer(0), 0)
    .action(
      async (
        opts: {
          kind?: string;
          owner?: string;
          search?: string;
          tier?: string;
          lifecycle?: string;
          tag?: string;
          limit: number;
          offset: number;
        },
        cmd: Command,
      ) => {
        const { api, json } = client(cmd);
        const page = await api.get<{ items: EntitySummary[]; total: number; limit: number; offset: number }>('/api/v1/entities', {
          kind: opts.kind,
          owner: opts.owner,
          q: opts.search,
          tier: opts.tier,
          lifecycle: opts.lifecycle,
          tag: opts.tag,
          limit: opts.limit,
          offset: opts.offset,
        });
        if (json) return printJson(page);
        if (page.items.length === 0) {
          say(
            page.total > 0
              ? `No entities past offset ${page.offset} (${page.total} match).`
              : 'No entities match. Try fewer filters, or add entities with `vigil apply`.',
          );
          return;
        }
        printTable(page.items.map(summaryRow), SUMMARY_COLUMNS);
        const last = page.offset + page.items.length;
        if (page.offset > 0 || last < page.total) {
          say(`\n${page.offset + 1}–${last} of ${page.total}${last < page.total ? `; --offset ${last} for more` : ''}`);
        }
      },
    );

  catalog
    .command('show <ref>')
    .description('Show an entity with its dependencies and dependents ([kind:]name)')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      const entity = await api.get<EntityDetail>(entityPath(ref));
      if (json) return printJson(entity);
      printEntity(entity);
    });

  catalog
    .command('blast-radius <ref>')
    .description('What breaks if this entity fails: everything that depends on it, transitively')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      const radius = await api.get<BlastRadius>(`${entityPath(ref)}/blast-radius`);
      if (json) return printJson(radius);
      printBlastRadius(radius);
    });

  catalog
    .command('conway')
    .description('Cross-team dependencies whose teams declare no interaction')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      const { items } = await api.get<{ items: ConwayFinding[] }>('/api/v1/catalog/conway');
      if (json) return printJson({ items });
      if (items.length === 0) {
        say('No findings: every dependency between teams is backed by a declared interaction.');
        return;
      }
      printTable(
        items.map((f) => ({ from: f.from.ref, 'from team': f.from.owner, to: f.to.ref, 'to team': f.to.owner })),
        ['from', 'from team', 'to', 'to team'],
      );
      say(
        `\n${items.length} undeclared ${items.length === 1 ? 'dependency' : 'dependencies'}: declare an interaction on one of the teams, or move the dependency.`,
      );
    });

  const teams = program.command('teams').description('Teams, their members, interactions and entities');

  teams
    .command('list')
    .description('List teams')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      const { items } = await api.get<{ items: TeamSummary[] }>('/api/v1/teams');
      if (json) return printJson({ items });
      if (items.length === 0) {
        say('No teams yet. Declare them in manifests and run `vigil apply`.');
        return;
      }
      printTable(
        items.map((t) => ({ name: t.name, type: t.type, members: t.memberCount, entities: t.entityCount, title: t.title })),
        ['name', 'type', 'members', 'entities', 'title'],
      );
    });

  teams
    .command('show <name>')
    .description('Show a team with its members, interactions and entities')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      const team = await api.get<TeamDetail>(`/api/v1/teams/${encodeURIComponent(name)}`);
      if (json) return printJson(team);
      printTeam(team);
    });
}
