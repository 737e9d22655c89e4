import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import { assertCanWriteOwned, type Principal } from '../auth/principal.ts';
import type { Executor } from '../db/database.ts';
import { fromJson, toJson } from '../db/json.ts';
import type { Database } from '../db/schema.ts';
import type { EntityKind, EntitySummary, InteractionMode, Link, TeamType } from './catalog.model.ts';

/**
 * SQL for the catalog, one implementation for SQLite and PostgreSQL. Every function takes the
 * executor to run on, so the service decides what shares a transaction.
 */

/** An entity as stored, with its owning team's name resolved. */
export interface EntityRecord {
  id: string;
  kind: EntityKind;
  name: string;
  title: string | null;
  description: string | null;
  type: string | null;
  ownerTeamId: string | null;
  owner: string | null;
  partOf: string | null;
  lifecycle: string | null;
  tier: string | null;
  runbookUrl: string | null;
  links: Link[];
  tags: string[];
  annotations: Record<string, string>;
  source: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface TeamRecord {
  id: string;
  name: string;
  title: string | null;
  description: string | null;
  type: TeamType;
  links: Link[];
  source: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface UserRecord {
  id: string;
  name: string;
  displayName: string | null;
  email: string | null;
  role: 'admin' | 'member';
  source: string | null;
}

export interface MemberRecord {
  teamId: string;
  userId: string;
  userName: string;
  displayName: string | null;
  role: string;
}

export interface InteractionRecord {
  teamId: string;
  teamName: string;
  withTeamId: string;
  withTeamName: string;
  mode: InteractionMode;
  description: string | null;
}

/** An entity reference with its owner, as used in dependency lists. */
export interface RelatedEntity {
  id: string;
  kind: EntityKind;
  name: string;
  owner: string | null;
}

/** Everything in the catalog tables, loaded in a constant number of queries. */
export interface CatalogRecords {
  users: UserRecord[];
  teams: TeamRecord[];
  members: MemberRecord[];
  interactions: InteractionRecord[];
  entities: EntityRecord[];
  /** `from` depends on `to`; ids. */
  dependencies: Array<{ fromId: string; toId: string }>;
}

export interface EntityFilter {
  kind?: EntityKind;
  q?: string;
  owner?: string;
  tier?: string;
  lifecycle?: string;
  tag?: string;
  limit: number;
  offset: number;
}

/** Escapes LIKE wildcards; every pattern below declares `escape '\'`. */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function likeContains(column: ReturnType<typeof sql.ref>, needle: string) {
  return sql<boolean>`lower(coalesce(${column}, '')) like ${`%${likeEscape(needle.toLowerCase())}%`} escape '\\'`;
}

function entitySelect(ex: Executor) {
  return ex
    .selectFrom('catalog_entities as e')
    .leftJoin('teams as owner', 'owner.id', 'e.owner_team_id')
    .select([
      'e.id',
      'e.kind',
      'e.name',
      'e.title',
      'e.description',
      'e.type',
      'e.owner_team_id',
      'owner.name as owner',
      'e.part_of',
      'e.lifecycle',
      'e.tier',
      'e.runbook_url',
      'e.links',
      'e.tags',
      'e.annotations',
      'e.source',
      'e.created_at',
      'e.updated_at',
    ]);
}

type EntitySelectRow = Awaited<ReturnType<ReturnType<typeof entitySelect>['execute']>>[number];

function toEntityRecord(r: EntitySelectRow): EntityRecord {
  return {
    id: r.id,
    kind: r.kind as EntityKind,
    name: r.name,
    title: r.title,
    description: r.description,
    type: r.type,
    ownerTeamId: r.owner_team_id,
    owner: r.owner,
    partOf: r.part_of,
    lifecycle: r.lifecycle,
    tier: r.tier,
    runbookUrl: r.runbook_url,
    links: fromJson<Link[]>(r.links, []),
    tags: fromJson<string[]>(r.tags, []),
    annotations: fromJson<Record<string, string>>(r.annotations, {}),
    source: r.source,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export function toSummary(e: EntityRecord): EntitySummary {
  return {
    id: e.id,
    kind: e.kind,
    name: e.name,
    title: e.title,
    description: e.description,
    type: e.type,
    owner: e.owner,
    partOf: e.partOf,
    lifecycle: e.lifecycle,
    tier: e.tier,
    tags: e.tags,
    updatedAt: e.updatedAt,
  };
}

/** One page of entities and the number matching the filter: two queries. */
/** The list filters as one condition on `catalog_entities as e`, usable with or without the owner join. */
function entityFilter(f: EntityFilter) {
  return (eb: ExpressionBuilder<Database & { e: Database['catalog_entities'] }, 'e'>) => {
    const conditions: Array<Expression<SqlBool>> = [];
    if (f.kind) conditions.push(eb('e.kind', '=', f.kind));
    // A subquery rather than the owner join: the count then needs no join at all.
    if (f.owner)
      conditions.push(eb('e.owner_team_id', 'in', eb.selectFrom('teams').select('teams.id').where('teams.name', '=', f.owner)));
    if (f.tier) conditions.push(eb('e.tier', '=', f.tier));
    if (f.lifecycle) conditions.push(eb('e.lifecycle', '=', f.lifecycle));
    // Tags are a JSON array written by JSON.stringify, so an element appears as its exact JSON string.
    if (f.tag) conditions.push(sql<boolean>`e.tags like ${`%${likeEscape(JSON.stringify(f.tag))}%`} escape '\\'`);
    const needle = f.q?.trim();
    if (needle) {
      conditions.push(
        eb.or([
          likeContains(sql.ref('e.name'), needle),
          likeContains(sql.ref('e.title'), needle),
          likeContains(sql.ref('e.description'), needle),
        ]),
      );
    }
    return eb.and(conditions);
  };
}

export async function listEntities(ex: Executor, f: EntityFilter): Promise<{ items: EntityRecord[]; total: number }> {
  const where = entityFilter(f);
  // Counting the base table alone lets both engines answer from the (kind, name) index; with the
  // owner join SQLite visited every row's team (6 ms at 10,000 services against 0.5 ms).
  const counted = await ex
    .selectFrom('catalog_entities as e')
    .select((eb) => eb.fn.countAll().as('n'))
    .where(where)
    .executeTakeFirst();
  // The page's ids first, from the index alone; only those rows are read whole and joined to
  // their owners (reading offset + limit full rows to keep limit cost 3 ms at offset 5,000).
  const page = ex
    .selectFrom('catalog_entities as e')
    .select('e.id')
    .where(where)
    .orderBy('e.name')
    .orderBy('e.kind')
    .limit(f.limit)
    .offset(f.offset);
  const rows = await entitySelect(ex).where('e.id', 'in', page).orderBy('e.name').orderBy('e.kind').execute();
  return { items: rows.map(toEntityRecord), total: Number(counted?.n ?? 0) };
}

export async function findEntity(ex: Executor, kind: string, name: string): Promise<EntityRecord | undefined> {
  const row = await entitySelect(ex).where('e.kind', '=', kind).where('e.name', '=', name).executeTakeFirst();
  return row ? toEntityRecord(row) : undefined;
}

/**
 * Throws unless the caller may change what belongs to the service with this id (its team's
 * members and admins; anyone with the write scope when it has no owner). A service that no
 * longer exists protects nothing. Returns the service's name, when it exists.
 */
export async function assertCanWriteService(
  ex: Executor,
  p: Principal,
  serviceId: string,
): Promise<{ name: string } | undefined> {
  const service = await ex
    .selectFrom('catalog_entities')
    .select(['owner_team_id', 'name'])
    .where('id', '=', serviceId)
    .executeTakeFirst();
  if (service) assertCanWriteOwned(p, service.owner_team_id, `service:${service.name}`);
  return service && { name: service.name };
}

export async function entitiesOwnedBy(ex: Executor, teamId: string): Promise<EntityRecord[]> {
  const rows = await entitySelect(ex).where('e.owner_team_id', '=', teamId).orderBy('e.kind').orderBy('e.name').execute();
  return rows.map(toEntityRecord);
}

/** Direct dependencies (`direction: 'out'`) or direct dependents (`'in'`) of an entity. */
export async function relatedEntities(ex: Executor, id: string, direction: 'out' | 'in'): Promise<RelatedEntity[]> {
  const [self, other] = direction === 'out' ? (['from_id', 'to_id'] as const) : (['to_id', 'from_id'] as const);
  const rows = await ex
    .selectFrom('catalog_dependencies as d')
    .innerJoin('catalog_entities as e', 'e.id', `d.${other}`)
    .leftJoin('teams as t', 't.id', 'e.owner_team_id')
    .select(['e.id', 'e.kind', 'e.name', 't.name as owner'])
    .where(`d.${self}`, '=', id)
    .orderBy('e.kind')
    .orderBy('e.name')
    .execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind as EntityKind, name: r.name, owner: r.owner }));
}

/** Ids of the entities with these `(kind, name)` pairs, keyed `kind:name`. */
export async function entityIdsByRef(ex: Executor, refs: Array<{ kind: string; name: string }>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (refs.length === 0) return out;
  const rows = await ex
    .selectFrom('catalog_entities')
    .select(['id', 'kind', 'name'])
    .where((eb) =>
      eb(
        eb.refTuple('kind', 'name'),
        'in',
        refs.map((r) => eb.tuple(r.kind, r.name)),
      ),
    )
    .execute();
  for (const r of rows) out.set(`${r.kind}:${r.name}`, r.id);
  return out;
}

export async function idsByName(ex: Executor, table: 'teams' | 'users', names: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (names.length === 0) return out;
  const rows = await ex
    .selectFrom(table)
    .select(['id', 'name'])
    .where('name', 'in', [...new Set(names)])
    .execute();
  for (const r of rows) out.set(r.name, r.id);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conway

export interface CrossTeamEdge {
  fromKind: EntityKind;
  fromName: string;
  fromOwner: string;
  toKind: EntityKind;
  toName: string;
  toOwner: string;
}

/** Dependencies between entities of different teams that declare no interaction either way. */
export async function undeclaredCrossTeamEdges(ex: Executor): Promise<CrossTeamEdge[]> {
  const rows = await ex
    .selectFrom('catalog_dependencies as d')
    .innerJoin('catalog_entities as f', 'f.id', 'd.from_id')
    .innerJoin('catalog_entities as t', 't.id', 'd.to_id')
    .innerJoin('teams as ft', 'ft.id', 'f.owner_team_id')
    .innerJoin('teams as tt', 'tt.id', 't.owner_team_id')
    .select([
      'f.kind as fromKind',
      'f.name as fromName',
      'ft.name as fromOwner',
      't.kind as toKind',
      't.name as toName',
      'tt.name as toOwner',
    ])
    .whereRef('ft.id', '<>', 'tt.id')
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('team_interactions as i')
            .select(sql.lit(1).as('one'))
            .where((w) =>
              w.or([
                w.and([w('i.team_id', '=', w.ref('ft.id')), w('i.with_team_id', '=', w.ref('tt.id'))]),
                w.and([w('i.team_id', '=', w.ref('tt.id')), w('i.with_team_id', '=', w.ref('ft.id'))]),
              ]),
            ),
        ),
      ),
    )
    .orderBy('ft.name')
    .orderBy('f.kind')
    .orderBy('f.name')
    .orderBy('t.kind')
    .orderBy('t.name')
    .execute();
  return rows.map((r) => ({ ...r, fromKind: r.fromKind as EntityKind, toKind: r.toKind as EntityKind }));
}

// ---------------------------------------------------------------------------------------------
// Teams

const teamColumns = ['id', 'name', 'title', 'description', 'type', 'links', 'source', 'created_at', 'updated_at'] as const;

function toTeamRecord(r: Database['teams']): TeamRecord {
  return {
    id: r.id,
    name: r.name,
    title: r.title,
    description: r.description,
    type: r.type as TeamType,
    links: fromJson<Link[]>(r.links, []),
    source: r.source,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export interface TeamListRecord extends TeamRecord {
  memberCount: number;
  entityCount: number;
}

/** Every team with its member and entity counts: one query. */
export async function listTeams(ex: Executor): Promise<TeamListRecord[]> {
  const rows = await ex
    .selectFrom('teams as t')
    .select(teamColumns.map((c) => `t.${c}` as const))
    .select((eb) => [
      eb.selectFrom('team_members as m').select(eb.fn.countAll().as('n')).whereRef('m.team_id', '=', 't.id').as('memberCount'),
      eb
        .selectFrom('catalog_entities as e')
        .select(eb.fn.countAll().as('n'))
        .whereRef('e.owner_team_id', '=', 't.id')
        .as('entityCount'),
    ])
    .orderBy('t.name')
    .execute();
  return rows.map((r) => ({
    ...toTeamRecord(r),
    memberCount: Number(r.memberCount ?? 0),
    entityCount: Number(r.entityCount ?? 0),
  }));
}

export async function findTeam(ex: Executor, name: string): Promise<TeamRecord | undefined> {
  const row = await ex.selectFrom('teams').select(teamColumns).where('name', '=', name).executeTakeFirst();
  return row ? toTeamRecord(row) : undefined;
}

function memberSelect(ex: Executor) {
  return ex
    .selectFrom('team_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.team_id', 'm.user_id', 'u.name', 'u.display_name', 'm.role'])
    .orderBy('u.name');
}

function toMember(r: {
  team_id: string;
  user_id: string;
  name: string;
  display_name: string | null;
  role: string;
}): MemberRecord {
  return { teamId: r.team_id, userId: r.user_id, userName: r.name, displayName: r.display_name, role: r.role };
}

export async function teamMembers(ex: Executor, teamId: string): Promise<MemberRecord[]> {
  const rows = await memberSelect(ex).where('m.team_id', '=', teamId).execute();
  return rows.map(toMember);
}

function interactionSelect(ex: Executor) {
  return ex
    .selectFrom('team_interactions as i')
    .innerJoin('teams as a', 'a.id', 'i.team_id')
    .innerJoin('teams as b', 'b.id', 'i.with_team_id')
    .select(['i.team_id', 'a.name as team_name', 'i.with_team_id', 'b.name as with_team_name', 'i.mode', 'i.description'])
    .orderBy('a.name')
    .orderBy('b.name')
    .orderBy('i.mode');
}

function toInteraction(r: {
  team_id: string;
  team_name: string;
  with_team_id: string;
  with_team_name: string;
  mode: string;
  description: string | null;
}): InteractionRecord {
  return {
    teamId: r.team_id,
    teamName: r.team_name,
    withTeamId: r.with_team_id,
    withTeamName: r.with_team_name,
    mode: r.mode as InteractionMode,
    description: r.description,
  };
}

/** Interactions a team declared and those declared towards it. */
export async function teamInteractions(ex: Executor, teamId: string): Promise<InteractionRecord[]> {
  const rows = await interactionSelect(ex)
    .where((eb) => eb.or([eb('i.team_id', '=', teamId), eb('i.with_team_id', '=', teamId)]))
    .execute();
  return rows.map(toInteraction);
}

// ---------------------------------------------------------------------------------------------
// Whole catalog

export async function loadCatalog(ex: Executor): Promise<CatalogRecords> {
  const users = await ex
    .selectFrom('users')
    .select(['id', 'name', 'display_name', 'email', 'role', 'source'])
    .orderBy('name')
    .execute();
  const teams = await ex.selectFrom('teams').select(teamColumns).orderBy('name').execute();
  const members = await memberSelect(ex).execute();
  const interactions = await interactionSelect(ex).execute();
  const entities = await entitySelect(ex).orderBy('e.kind').orderBy('e.name').execute();
  const dependencies = await ex.selectFrom('catalog_dependencies').select(['from_id', 'to_id']).execute();
  return {
    users: users.map((u) => ({
      id: u.id,
      name: u.name,
      displayName: u.display_name,
      email: u.email,
      role: u.role,
      source: u.source,
    })),
    teams: teams.map(toTeamRecord),
    members: members.map(toMember),
    interactions: interactions.map(toInteraction),
    entities: entities.map(toEntityRecord),
    dependencies: dependencies.map((d) => ({ fromId: d.from_id, toId: d.to_id })),
  };
}

// ---------------------------------------------------------------------------------------------
// Writes

export interface EntityValues {
  kind: EntityKind;
  name: string;
  title: string | null;
  description: string | null;
  type: string | null;
  ownerTeamId: string | null;
  partOf: string | null;
  lifecycle: string | null;
  tier: string | null;
  runbookUrl: string | null;
  links: Link[];
  tags: string[];
  annotations: Record<string, string>;
  source: string | null;
}

function entityColumns(v: EntityValues) {
  return {
    kind: v.kind,
    name: v.name,
    title: v.title,
    description: v.description,
    type: v.type,
    owner_team_id: v.ownerTeamId,
    part_of: v.partOf,
    lifecycle: v.lifecycle,
    tier: v.tier,
    runbook_url: v.runbookUrl,
    links: toJson(v.links),
    tags: toJson(v.tags),
    annotations: toJson(v.annotations),
    source: v.source,
  };
}

export async function insertEntity(ex: Executor, id: string, v: EntityValues, now: number): Promise<void> {
  await ex
    .insertInto('catalog_entities')
    .values({ id, ...entityColumns(v), created_at: now, updated_at: now })
    .execute();
}

export async function updateEntity(ex: Executor, id: string, v: EntityValues, now: number): Promise<void> {
  await ex
    .updateTable('catalog_entities')
    .set({ ...entityColumns(v), updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function deleteEntity(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('catalog_entities').where('id', '=', id).execute();
}

/** Makes `fromId` depend on exactly `toIds`, touching only the edges that change. */
export async function setDependencies(
  ex: Executor,
  fromId: string,
  current: readonly string[],
  toIds: readonly string[],
): Promise<void> {
  const want = new Set(toIds);
  const have = new Set(current);
  const gone = [...have].filter((id) => !want.has(id));
  const added = [...want].filter((id) => !have.has(id));
  if (gone.length > 0) {
    await ex.deleteFrom('catalog_dependencies').where('from_id', '=', fromId).where('to_id', 'in', gone).execute();
  }
  if (added.length > 0) {
    await ex
      .insertInto('catalog_dependencies')
      .values(added.map((to) => ({ from_id: fromId, to_id: to })))
      .execute();
  }
}

export async function dependencyIds(ex: Executor, fromId: string): Promise<string[]> {
  const rows = await ex.selectFrom('catalog_dependencies').select('to_id').where('from_id', '=', fromId).execute();
  return rows.map((r) => r.to_id);
}

export interface TeamValues {
  name: string;
  title: string | null;
  description: string | null;
  type: TeamType;
  links: Link[];
  source: string | null;
}

function teamValueColumns(v: TeamValues) {
  return { name: v.name, title: v.title, description: v.description, type: v.type, links: toJson(v.links), source: v.source };
}

export async function insertTeam(ex: Executor, id: string, v: TeamValues, now: number): Promise<void> {
  await ex
    .insertInto('teams')
    .values({ id, ...teamValueColumns(v), created_at: now, updated_at: now })
    .execute();
}

export async function updateTeam(ex: Executor, id: string, v: TeamValues, now: number): Promise<void> {
  await ex
    .updateTable('teams')
    .set({ ...teamValueColumns(v), updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function deleteTeam(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('teams').where('id', '=', id).execute();
}

/** Leaves a team's entities without an owner (before the team is deleted) and returns them. */
export async function disownEntities(ex: Executor, teamId: string, now: number): Promise<EntityRecord[]> {
  const owned = await entitiesOwnedBy(ex, teamId);
  if (owned.length > 0) {
    await ex
      .updateTable('catalog_entities')
      .set({ owner_team_id: null, updated_at: now })
      .where('owner_team_id', '=', teamId)
      .execute();
  }
  return owned;
}

/**
 * Makes the team's members exactly `userIds`. Existing memberships keep their role; new
 * ones join as `member`.
 */
export async function setMembers(
  ex: Executor,
  teamId: string,
  current: readonly string[],
  userIds: readonly string[],
): Promise<void> {
  const want = new Set(userIds);
  const have = new Set(current);
  const gone = [...have].filter((id) => !want.has(id));
  const added = [...want].filter((id) => !have.has(id));
  if (gone.length > 0) {
    await ex.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', 'in', gone).execute();
  }
  if (added.length > 0) {
    await ex
      .insertInto('team_members')
      .values(added.map((userId) => ({ team_id: teamId, user_id: userId, role: 'member' })))
      .execute();
  }
}

/** Replaces the interactions a team declares. */
export async function setInteractions(
  ex: Executor,
  teamId: string,
  interactions: ReadonlyArray<{ withTeamId: string; mode: InteractionMode; description: string | null }>,
): Promise<void> {
  await ex.deleteFrom('team_interactions').where('team_id', '=', teamId).execute();
  if (interactions.length > 0) {
    await ex
      .insertInto('team_interactions')
      .values(
        interactions.map((i) => ({ team_id: teamId, with_team_id: i.withTeamId, mode: i.mode, description: i.description })),
      )
      .execute();
  }
}

export interface UserValues {
  name: string;
  displayName: string | null;
  email: string | null;
  role: 'admin' | 'member';
  source: string | null;
}

export async function insertUser(ex: Executor, id: string, v: UserValues, now: number): Promise<void> {
  await ex
    .insertInto('users')
    .values({
      id,
      name: v.name,
      display_name: v.displayName,
      email: v.email,
      role: v.role,
      password_hash: null,
      source: v.source,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

export async function updateUser(ex: Executor, id: string, v: UserValues, now: number): Promise<void> {
  await ex
    .updateTable('users')
    .set({ name: v.name, display_name: v.displayName, email: v.email, role: v.role, source: v.source, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function deleteUser(ex: Executor, id: string): Promise<void> {
  await ex.deleteFrom('users').where('id', '=', id).execute();
}
