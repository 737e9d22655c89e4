import { assertCanWriteOwned, type Principal } from '../auth/principal.ts';
import type { Clock } from '../core/clock.ts';
import { ConflictError, type FieldIssue, InputError, NotAllowedError, NotFoundError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Db, Executor } from '../db/database.ts';
import type { Journal } from '../journal/journal.ts';
import {
  type BlastRadius,
  type CatalogState,
  type ConwayFinding,
  canonicalRef,
  type EntityDetail,
  type EntityKind,
  EntityRef,
  type EntitySpec,
  type EntitySummary,
  type InteractionMode,
  type Link,
  normalizeEntity,
  normalizeState,
  normalizeTeam,
  normalizeUser,
  splitRef,
  type TeamSpec,
  type TeamType,
  type UserSpec,
} from './catalog.model.ts';
import * as store from './catalog.store.ts';
import { CatalogGraph, type GraphNode } from './graph.ts';

export interface EntityListQuery {
  kind?: EntityKind;
  /** Case-insensitive search in name, title and description. */
  q?: string;
  /** Owning team name. */
  owner?: string;
  tier?: string;
  lifecycle?: string;
  tag?: string;
  /** Default 50, at most 500. */
  limit?: number;
  offset?: number;
}

export interface TeamSummary {
  name: string;
  title: string | null;
  type: TeamType;
  description: string | null;
  memberCount: number;
  entityCount: number;
}

export interface TeamDetail {
  name: string;
  title: string | null;
  type: TeamType;
  description: string | null;
  links: Link[];
  members: Array<{ name: string; displayName: string | null; role: string }>;
  /** `outgoing`: declared by this team; `incoming`: declared by another team towards it. */
  interactions: Array<{ team: string; mode: InteractionMode; description: string | null; direction: 'outgoing' | 'incoming' }>;
  entities: EntitySummary[];
}

export interface ApplyResult {
  /** Refs such as `user:alice`, `team:payments`, `service:checkout`. */
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;

type Sourced<T> = T & { source: string | null };
type FieldChanges = Record<string, { from: unknown; to: unknown }>;

/**
 * Teams, users (as catalog members), entities and their dependencies: browsing, blast radius,
 * Conway findings, single-item writes for the API and whole-state apply for config as code.
 */
export class CatalogService {
  readonly #db: Db;
  /** The dependency graph, for blast radius. */
  readonly #graph: CatalogGraph;
  readonly #clock: Clock;
  readonly #journal: Journal;

  constructor(deps: { db: Db; clock: Clock; journal: Journal }) {
    this.#db = deps.db;
    this.#graph = new CatalogGraph();
    this.#clock = deps.clock;
    this.#journal = deps.journal;
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async listEntities(q: EntityListQuery): Promise<{ items: EntitySummary[]; total: number }> {
    const limit = Math.min(Math.max(Math.trunc(q.limit ?? DEFAULT_LIST_LIMIT), 1), MAX_LIST_LIMIT);
    const offset = Math.max(Math.trunc(q.offset ?? 0), 0);
    const { items, total } = await store.listEntities(this.#db.kysely, { ...q, limit, offset });
    return { items: items.map(store.toSummary), total };
  }

  getEntity(kind: EntityKind, name: string): Promise<EntityDetail> {
    return this.#detail(this.#db.kysely, kind, name);
  }

  /**
   * Keeps the dependency graph loaded: checks the catalog's generation every `intervalMs` and
   * reloads the graph after a change, so that the first blast radius after a catalog change
   * (on this replica or another) seldom pays for the load. Stopped by the returned function.
   */
  keepGraphWarm(intervalMs = 5_000, onError: (error: unknown) => void = () => {}): () => Promise<void> {
    let inFlight: Promise<void> | null = null;
    const tick = () => {
      inFlight ??= this.#graph
        .get(this.#db.kysely)
        .then(
          () => {},
          (error: unknown) => onError(error),
        )
        .finally(() => {
          inFlight = null;
        });
    };
    tick();
    const timer = setInterval(tick, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await inFlight;
    };
  }

  /**
   * Everything that depends on `ref`, transitively, at its shortest distance: a breadth-first
   * walk of the dependency graph kept in memory ({@link CatalogGraph}; one one-row query while
   * the catalog is unchanged).
   */
  async blastRadius(ref: string): Promise<BlastRadius> {
    if (!EntityRef.safeParse(ref).success) throw InputError.field('ref', `"${ref}" is not a [kind:]name reference`);
    const { kind, name } = splitRef(ref);
    const graph = await this.#graph.get(this.#db.kysely);
    const rootId = graph.byRef.get(`${kind}:${name}`);
    const root = rootId === undefined ? undefined : graph.byId.get(rootId);
    if (!root) throw new NotFoundError(`no ${kind} named "${name}"`);

    // Breadth-first from the root over reversed edges: the first visit is the shortest distance.
    const depthOf = new Map<string, number>([[root.id, 0]]);
    let frontier = [root.id];
    for (let depth = 1; frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const id of frontier) {
        for (const dependent of graph.dependents.get(id) ?? []) {
          if (depthOf.has(dependent)) continue;
          depthOf.set(dependent, depth);
          next.push(dependent);
        }
      }
      frontier = next;
    }
    const impacted: GraphNode[] = [];
    for (const id of depthOf.keys()) {
      const node = id === root.id ? undefined : graph.byId.get(id);
      if (node) impacted.push(node);
    }
    // The edges among the root and what it impacts: every dependency of an impacted entity
    // that is itself inside.
    const edges: Array<{ fromId: string; toId: string }> = [];
    const dependenciesOf = new Map<string, string[]>();
    for (const e of impacted) {
      const inside = (graph.dependencies.get(e.id) ?? []).filter((to) => depthOf.has(to));
      dependenciesOf.set(e.id, inside);
      for (const to of inside) edges.push({ fromId: e.id, toId: to });
    }
    const refOf = (id: string): string => {
      const node = graph.byId.get(id);
      return node ? `${node.kind}:${node.name}` : '';
    };
    const depthOfEntity = (id: string): number => depthOf.get(id) ?? 0;
    impacted.sort(
      (a, b) =>
        depthOfEntity(a.id) - depthOfEntity(b.id) ||
        a.kind.localeCompare(b.kind) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    const rootRef = `${root.kind}:${root.name}`;
    // An entity at depth d was reached through one of its dependencies at depth d - 1; the
    // alphabetically first keeps the answer stable.
    const viaOf = (id: string, depth: number): string =>
      (dependenciesOf.get(id) ?? [])
        .filter((to) => depthOf.get(to) === depth - 1)
        .map((to) => refOf(to))
        .sort()[0] ?? rootRef;

    const teamCounts = new Map<string, number>();
    for (const e of impacted) if (e.owner) teamCounts.set(e.owner, (teamCounts.get(e.owner) ?? 0) + 1);

    return {
      root: { kind: root.kind, name: root.name, owner: root.owner },
      impacted: impacted.map((e) => ({
        kind: e.kind,
        name: e.name,
        owner: e.owner,
        tier: e.tier,
        depth: depthOfEntity(e.id),
        via: viaOf(e.id, depthOfEntity(e.id)),
      })),
      teams: [...teamCounts]
        .map(([team, count]) => ({ name: team, count }))
        .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1)),
      edges: edges
        .map((edge) => ({ from: refOf(edge.fromId), to: refOf(edge.toId) }))
        .sort((a, b) => (a.from === b.from ? (a.to < b.to ? -1 : 1) : a.from < b.from ? -1 : 1)),
    };
  }

  /**
   * Conway's law says systems mirror how their teams communicate. A dependency between two
   * teams' entities without a declared interaction is communication nobody planned for.
   */
  async conwayFindings(): Promise<ConwayFinding[]> {
    const edges = await store.undeclaredCrossTeamEdges(this.#db.kysely);
    return edges.map((e) => {
      const from = `${e.fromKind}:${e.fromName}`;
      const to = `${e.toKind}:${e.toName}`;
      return {
        from: { ref: from, owner: e.fromOwner },
        to: { ref: to, owner: e.toOwner },
        message: `${from} (team ${e.fromOwner}) depends on ${to} (team ${e.toOwner}), but the two teams declare no interaction`,
      };
    });
  }

  async listTeams(): Promise<TeamSummary[]> {
    const teams = await store.listTeams(this.#db.kysely);
    return teams.map((t) => ({
      name: t.name,
      title: t.title,
      type: t.type,
      description: t.description,
      memberCount: t.memberCount,
      entityCount: t.entityCount,
    }));
  }

  getTeam(name: string): Promise<TeamDetail> {
    return this.#teamDetail(this.#db.kysely, name);
  }

  // -------------------------------------------------------------------------------------------
  // Entity writes

  async createEntity(p: Principal, spec: EntitySpec): Promise<EntityDetail> {
    assertWriteScope(p);
    return this.#db.kysely.transaction().execute(async (trx) => {
      const resolved = await this.#resolveEntity(trx, spec, 'body');
      const ref = `${spec.kind}:${spec.name}`;
      assertCanWriteOwned(p, resolved.ownerTeamId, ref);
      if (await store.findEntity(trx, spec.kind, spec.name)) {
        throw new ConflictError(`${ref} already exists`, [{ path: 'body.name', message: 'taken' }]);
      }
      const now = this.#clock.now();
      const id = newId(now);
      await store.insertEntity(trx, id, entityValues(spec, resolved.ownerTeamId, null), now);
      await store.setDependencies(trx, id, [], resolved.dependencyIds);
      await this.#journalEntity(trx, p.actor, 'created', id, ref, {
        source: null,
        spec: withoutSource(normalizeEntity({ ...spec, source: null })),
      });
      return this.#detail(trx, spec.kind, spec.name);
    });
  }

  /** Replaces an entity's spec; a different kind or name in `spec` renames it. */
  async updateEntity(p: Principal, kind: EntityKind, name: string, spec: EntitySpec): Promise<EntityDetail> {
    assertWriteScope(p);
    return this.#db.kysely.transaction().execute(async (trx) => {
      const current = await store.findEntity(trx, kind, name);
      if (!current) throw new NotFoundError(`no ${kind} named "${name}"`);
      const ref = `${spec.kind}:${spec.name}`;
      assertCanWriteOwned(p, current.ownerTeamId, `${kind}:${name}`);
      const resolved = await this.#resolveEntity(trx, spec, 'body', current.id);
      assertCanWriteOwned(p, resolved.ownerTeamId, ref);
      if ((spec.kind !== kind || spec.name !== name) && (await store.findEntity(trx, spec.kind, spec.name))) {
        throw new ConflictError(`${ref} already exists`, [{ path: 'body.name', message: 'taken' }]);
      }
      const currentDeps = await store.relatedEntities(trx, current.id, 'out');
      const before = normalizeEntity(entitySpecOf(current, currentDeps));
      const after = normalizeEntity({ ...spec, source: current.source });
      const changes = changedFields(before, after);
      if (Object.keys(changes).length > 0) {
        const now = this.#clock.now();
        await store.updateEntity(trx, current.id, entityValues(spec, resolved.ownerTeamId, current.source), now);
        await store.setDependencies(
          trx,
          current.id,
          currentDeps.map((d) => d.id),
          resolved.dependencyIds,
        );
        await this.#journalEntity(trx, p.actor, 'updated', current.id, ref, { source: current.source, changes });
      }
      return this.#detail(trx, spec.kind, spec.name);
    });
  }

  async deleteEntity(p: Principal, kind: EntityKind, name: string): Promise<void> {
    assertWriteScope(p);
    await this.#db.kysely.transaction().execute(async (trx) => {
      const current = await store.findEntity(trx, kind, name);
      if (!current) throw new NotFoundError(`no ${kind} named "${name}"`);
      const ref = `${kind}:${name}`;
      assertCanWriteOwned(p, current.ownerTeamId, ref);
      await store.deleteEntity(trx, current.id);
      await this.#journalEntity(trx, p.actor, 'deleted', current.id, ref, { source: current.source, owner: current.owner });
    });
  }

  // -------------------------------------------------------------------------------------------
  // Team writes

  async createTeam(p: Principal, spec: TeamSpec): Promise<TeamDetail> {
    assertWriteScope(p);
    return this.#db.kysely.transaction().execute(async (trx) => {
      if (await store.findTeam(trx, spec.name)) {
        throw new ConflictError(`team "${spec.name}" already exists`, [{ path: 'body.name', message: 'taken' }]);
      }
      const resolved = await this.#resolveTeam(trx, spec, 'body');
      const now = this.#clock.now();
      const id = newId(now);
      await store.insertTeam(trx, id, teamValues(spec, null), now);
      await store.setMembers(trx, id, [], resolved.memberIds);
      await store.setInteractions(trx, id, resolved.interactions);
      await this.#journalTeam(trx, p.actor, 'created', id, spec.name, {
        source: null,
        spec: withoutSource(normalizeTeam({ ...spec, source: null })),
      });
      return this.#teamDetail(trx, spec.name);
    });
  }

  /** Replaces a team's spec (members and declared interactions included); a different name renames it. */
  async updateTeam(p: Principal, name: string, spec: TeamSpec): Promise<TeamDetail> {
    assertWriteScope(p);
    return this.#db.kysely.transaction().execute(async (trx) => {
      const current = await store.findTeam(trx, name);
      if (!current) throw new NotFoundError(`no team named "${name}"`);
      assertCanWriteTeam(p, current);
      if (spec.name !== name && (await store.findTeam(trx, spec.name))) {
        throw new ConflictError(`team "${spec.name}" already exists`, [{ path: 'body.name', message: 'taken' }]);
      }
      const resolved = await this.#resolveTeam(trx, spec, 'body', name);
      const members = await store.teamMembers(trx, current.id);
      const interactions = (await store.teamInteractions(trx, current.id)).filter((i) => i.teamId === current.id);
      const before = normalizeTeam(teamSpecOf(current, members, interactions));
      const after = normalizeTeam({ ...spec, source: current.source });
      const changes = changedFields(before, after);
      if (Object.keys(changes).length > 0) {
        await store.updateTeam(trx, current.id, teamValues(spec, current.source), this.#clock.now());
        await store.setMembers(
          trx,
          current.id,
          members.map((m) => m.userId),
          resolved.memberIds,
        );
        await store.setInteractions(trx, current.id, resolved.interactions);
        await this.#journalTeam(trx, p.actor, 'updated', current.id, spec.name, { source: current.source, changes });
      }
      return this.#teamDetail(trx, spec.name);
    });
  }

  /** Deletes a team; its entities stay in the catalog without an owner. */
  async deleteTeam(p: Principal, name: string): Promise<void> {
    assertWriteScope(p);
    await this.#db.kysely.transaction().execute(async (trx) => {
      const current = await store.findTeam(trx, name);
      if (!current) throw new NotFoundError(`no team named "${name}"`);
      assertCanWriteTeam(p, current);
      await this.#removeTeam(trx, p.actor, current);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Config as code

  /** The whole catalog in normal form (see `normalizeState`). */
  async snapshot(executor?: Executor): Promise<CatalogState> {
    return toState(await store.loadCatalog(executor ?? this.#db.kysely));
  }

  /**
   * Makes the catalog match `desired`, recording `opts.source` on everything it writes. With
   * `prune`, what carries the same source but is no longer desired is deleted. Validation and
   * permission checks run before the first write; run it inside a transaction (`trx`) so a
   * failure part-way leaves nothing behind.
   */
  async applyDesired(
    trx: Executor,
    p: Principal,
    desired: CatalogState,
    opts: { source: string; prune: boolean },
  ): Promise<ApplyResult> {
    const { source, prune } = opts;
    const records = await store.loadCatalog(trx);
    const current = toState(records);
    const want = normalizeState({
      users: desired.users.map((u) => ({ ...u, source })),
      teams: desired.teams.map((t) => ({ ...t, source })),
      entities: desired.entities.map((e) => ({ ...e, source })),
    });

    const users = plan(current.users, want.users, (u) => u.name, source, prune);
    const teams = plan(current.teams, want.teams, (t) => t.name, source, prune);
    const entities = plan(current.entities, want.entities, entityKey, source, prune);

    validateDesired(desired, {
      users: existence(current.users, want.users, users.remove, (u) => u.name),
      teams: existence(current.teams, want.teams, teams.remove, (t) => t.name),
      entities: existence(current.entities, want.entities, entities.remove, entityKey),
    });

    const peopleChange = [users, teams].some((x) => x.create.length + x.update.length + x.remove.length > 0);
    if (peopleChange && !p.scopes.has('admin')) {
      throw new NotAllowedError(
        'only admins may create, change or delete users and teams; ask an admin to apply these manifests',
      );
    }
    const teamIds = new Map(records.teams.map((t) => [t.name, t.id]));
    // A team this apply creates has no members yet, so only admins could own entities through it.
    const ownerId = (owner: string | null): string | null => (owner === null ? null : (teamIds.get(owner) ?? `new:${owner}`));
    for (const e of entities.create) assertCanWriteOwned(p, ownerId(e.owner), entityKey(e));
    for (const { before, after } of entities.update) {
      assertCanWriteOwned(p, ownerId(before.owner), entityKey(before));
      assertCanWriteOwned(p, ownerId(after.owner), entityKey(after));
    }
    for (const e of entities.remove) assertCanWriteOwned(p, ownerId(e.owner), entityKey(e));

    const result: ApplyResult = { created: [], updated: [], deleted: [], unchanged: [] };
    const now = this.#clock.now();
    const actor = p.actor;

    // Users first: teams name their members.
    const userIds = new Map(records.users.map((u) => [u.name, u.id]));
    for (const u of users.create) {
      const id = newId(now);
      userIds.set(u.name, id);
      await store.insertUser(trx, id, u, now);
      await this.#journalUser(trx, actor, 'created', id, u.name, { source, spec: withoutSource(u) });
      result.created.push(`user:${u.name}`);
    }
    for (const { before, after } of users.update) {
      const id = userIds.get(after.name) ?? '';
      await store.updateUser(trx, id, after, now);
      await this.#journalUser(trx, actor, 'updated', id, after.name, { source, changes: changedFields(before, after) });
      result.updated.push(`user:${after.name}`);
    }
    result.unchanged.push(...users.unchanged.map((u) => `user:${u.name}`));

    // Team rows next, then memberships and interactions once every team has an id.
    for (const t of teams.create) {
      const id = newId(now);
      teamIds.set(t.name, id);
      await store.insertTeam(trx, id, teamValues(t, source), now);
      await this.#journalTeam(trx, actor, 'created', id, t.name, { source, spec: withoutSource(t) });
      result.created.push(`team:${t.name}`);
    }
    for (const { before, after } of teams.update) {
      const id = teamIds.get(after.name) ?? '';
      await store.updateTeam(trx, id, teamValues(after, source), now);
      await this.#journalTeam(trx, actor, 'updated', id, after.name, { source, changes: changedFields(before, after) });
      result.updated.push(`team:${after.name}`);
    }
    result.unchanged.push(...teams.unchanged.map((t) => `team:${t.name}`));
    const membersOf = groupBy(records.members, (m) => m.teamId);
    for (const t of [...teams.create, ...teams.update.map((u) => u.after)]) {
      const id = teamIds.get(t.name) ?? '';
      const currentMembers = (membersOf.get(id) ?? []).map((m) => m.userId);
      await store.setMembers(
        trx,
        id,
        currentMembers,
        t.members.map((m) => userIds.get(m) ?? ''),
      );
      await store.setInteractions(
        trx,
        id,
        t.interactions.map((i) => ({ withTeamId: teamIds.get(i.team) ?? '', mode: i.mode, description: i.description })),
      );
    }

    // Entity rows, then dependencies once every entity has an id.
    const entityIds = new Map(records.entities.map((e) => [`${e.kind}:${e.name}`, e.id]));
    for (const e of entities.create) {
      const id = newId(now);
      const ref = entityKey(e);
      entityIds.set(ref, id);
      await store.insertEntity(trx, id, entityValues(e, ownerIdOf(teamIds, e.owner), source), now);
      await this.#journalEntity(trx, actor, 'created', id, ref, { source, spec: withoutSource(e) });
      result.created.push(ref);
    }
    for (const { before, after } of entities.update) {
      const ref = entityKey(after);
      const id = entityIds.get(ref) ?? '';
      await store.updateEntity(trx, id, entityValues(after, ownerIdOf(teamIds, after.owner), source), now);
      await this.#journalEntity(trx, actor, 'updated', id, ref, { source, changes: changedFields(before, after) });
      result.updated.push(ref);
    }
    result.unchanged.push(...entities.unchanged.map(entityKey));
    const dependenciesOf = groupBy(records.dependencies, (d) => d.fromId);
    for (const e of [...entities.create, ...entities.update.map((u) => u.after)]) {
      const id = entityIds.get(entityKey(e)) ?? '';
      const currentDeps = (dependenciesOf.get(id) ?? []).map((d) => d.toId);
      await store.setDependencies(
        trx,
        id,
        currentDeps,
        e.dependsOn.map((ref) => entityIds.get(ref) ?? ''),
      );
    }

    // Prune in the reverse order, so nothing desired ever points at what goes away.
    for (const e of entities.remove) {
      const ref = entityKey(e);
      const id = entityIds.get(ref) ?? '';
      await store.deleteEntity(trx, id);
      await this.#journalEntity(trx, actor, 'deleted', id, ref, { source, owner: e.owner });
      result.deleted.push(ref);
    }
    for (const t of teams.remove) {
      const team = records.teams.find((r) => r.name === t.name);
      if (team) await this.#removeTeam(trx, actor, team);
      result.deleted.push(`team:${t.name}`);
    }
    for (const u of users.remove) {
      const id = userIds.get(u.name) ?? '';
      await store.deleteUser(trx, id);
      await this.#journalUser(trx, actor, 'deleted', id, u.name, { source });
      result.deleted.push(`user:${u.name}`);
    }
    return result;
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  async #detail(ex: Executor, kind: EntityKind, name: string): Promise<EntityDetail> {
    const e = await store.findEntity(ex, kind, name);
    if (!e) throw new NotFoundError(`no ${kind} named "${name}"`);
    const strip = ({ kind, name, owner }: store.RelatedEntity) => ({ kind, name, owner });
    const dependsOn = (await store.relatedEntities(ex, e.id, 'out')).map(strip);
    const dependents = (await store.relatedEntities(ex, e.id, 'in')).map(strip);
    return {
      ...store.toSummary(e),
      runbookUrl: e.runbookUrl,
      links: e.links,
      annotations: e.annotations,
      source: e.source,
      createdAt: e.createdAt,
      dependsOn,
      dependents,
    };
  }

  async #teamDetail(ex: Executor, name: string): Promise<TeamDetail> {
    const team = await store.findTeam(ex, name);
    if (!team) throw new NotFoundError(`no team named "${name}"`);
    const members = await store.teamMembers(ex, team.id);
    const interactions = await store.teamInteractions(ex, team.id);
    const entities = await store.entitiesOwnedBy(ex, team.id);
    return {
      name: team.name,
      title: team.title,
      type: team.type,
      description: team.description,
      links: team.links,
      members: members.map((m) => ({ name: m.userName, displayName: m.displayName, role: m.role })),
      interactions: interactions.map((i) =>
        i.teamId === team.id
          ? { team: i.withTeamName, mode: i.mode, description: i.description, direction: 'outgoing' as const }
          : { team: i.teamName, mode: i.mode, description: i.description, direction: 'incoming' as const },
      ),
      entities: entities.map(store.toSummary),
    };
  }

  /** Checks an entity spec's references; `body`-relative paths for the API. */
  async #resolveEntity(
    ex: Executor,
    spec: EntitySpec,
    prefix: string,
    selfId?: string,
  ): Promise<{ ownerTeamId: string | null; dependencyIds: string[] }> {
    const issues: FieldIssue[] = [];
    let ownerTeamId: string | null = null;
    if (spec.owner !== null) {
      ownerTeamId = (await store.idsByName(ex, 'teams', [spec.owner])).get(spec.owner) ?? null;
      if (ownerTeamId === null) issues.push({ path: `${prefix}.owner`, message: `unknown team "${spec.owner}"` });
    }
    const refs = spec.dependsOn.map(canonicalRef);
    const ids = await store.entityIdsByRef(ex, refs.map(splitRef));
    const self = `${spec.kind}:${spec.name}`;
    const dependencyIds = new Set<string>();
    refs.forEach((ref, i) => {
      const id = ids.get(ref);
      if (ref === self || (id !== undefined && id === selfId)) {
        issues.push({ path: `${prefix}.dependsOn[${i}]`, message: 'an entity cannot depend on itself' });
      } else if (id === undefined) {
        issues.push({ path: `${prefix}.dependsOn[${i}]`, message: `unknown entity "${ref}"` });
      } else {
        dependencyIds.add(id);
      }
    });
    throwIfAny(issues);
    return { ownerTeamId, dependencyIds: [...dependencyIds] };
  }

  async #resolveTeam(
    ex: Executor,
    spec: TeamSpec,
    prefix: string,
    currentName?: string,
  ): Promise<{
    memberIds: string[];
    interactions: Array<{ withTeamId: string; mode: InteractionMode; description: string | null }>;
  }> {
    const issues: FieldIssue[] = [];
    const userIds = await store.idsByName(ex, 'users', spec.members);
    spec.members.forEach((m, i) => {
      if (!userIds.has(m)) issues.push({ path: `${prefix}.members[${i}]`, message: `unknown user "${m}"` });
    });
    const teamIds = await store.idsByName(
      ex,
      'teams',
      spec.interactions.map((i) => i.team),
    );
    const seen = new Set<string>();
    const interactions: Array<{ withTeamId: string; mode: InteractionMode; description: string | null }> = [];
    spec.interactions.forEach((it, i) => {
      const path = `${prefix}.interactions[${i}]`;
      const withTeamId = teamIds.get(it.team);
      if (it.team === spec.name || it.team === currentName) {
        issues.push({ path: `${path}.team`, message: 'a team does not interact with itself' });
      } else if (withTeamId === undefined) {
        issues.push({ path: `${path}.team`, message: `unknown team "${it.team}"` });
      } else if (seen.has(`${it.team}/${it.mode}`)) {
        issues.push({ path, message: `the ${it.mode} interaction with "${it.team}" is declared more than once` });
      } else {
        interactions.push({ withTeamId, mode: it.mode, description: it.description });
      }
      seen.add(`${it.team}/${it.mode}`);
    });
    throwIfAny(issues);
    return { memberIds: [...new Set(spec.members.map((m) => userIds.get(m) ?? ''))], interactions };
  }

  /** Deletes a team, first leaving its entities ownerless (journaled as entity updates). */
  async #removeTeam(trx: Executor, actor: string, team: store.TeamRecord): Promise<void> {
    const orphans = await store.disownEntities(trx, team.id, this.#clock.now());
    await store.deleteTeam(trx, team.id);
    await this.#journalTeam(trx, actor, 'deleted', team.id, team.name, { source: team.source });
    for (const e of orphans) {
      await this.#journalEntity(trx, actor, 'updated', e.id, `${e.kind}:${e.name}`, {
        source: e.source,
        changes: { owner: { from: team.name, to: null } },
      });
    }
  }

  #journalEntity(
    trx: Executor,
    actor: string,
    verb: Verb,
    id: string,
    ref: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    return this.#journal.append(trx, {
      kind: `catalog.entity.${verb}`,
      actor,
      serviceId: id,
      subjectType: 'entity',
      subjectId: id,
      data: { ref, ...data },
    });
  }

  #journalTeam(trx: Executor, actor: string, verb: Verb, id: string, name: string, data: Record<string, unknown>): Promise<void> {
    return this.#journal.append(trx, {
      kind: `catalog.team.${verb}`,
      actor,
      subjectType: 'team',
      subjectId: id,
      data: { name, ...data },
    });
  }

  #journalUser(trx: Executor, actor: string, verb: Verb, id: string, name: string, data: Record<string, unknown>): Promise<void> {
    return this.#journal.append(trx, {
      kind: `auth.user.${verb}`,
      actor,
      subjectType: 'user',
      subjectId: id,
      data: { name, ...data },
    });
  }
}

type Verb = 'created' | 'updated' | 'deleted';

function assertWriteScope(p: Principal): void {
  if (!p.scopes.has('write') && !p.scopes.has('admin')) {
    throw new NotAllowedError('changing the catalog needs the "write" scope');
  }
}

function assertCanWriteTeam(p: Principal, team: store.TeamRecord): void {
  if (p.role === 'admin' && p.scopes.has('admin')) return;
  if (p.teamIds.has(team.id)) return;
  throw new NotAllowedError(`only members of team "${team.name}" and admins may change it`);
}

function throwIfAny(issues: FieldIssue[]): void {
  if (issues.length > 0) throw new InputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

function entityKey(e: { kind: EntityKind; name: string }): string {
  return `${e.kind}:${e.name}`;
}

function ownerIdOf(teamIds: Map<string, string>, owner: string | null): string | null {
  return owner === null ? null : (teamIds.get(owner) ?? null);
}

function withoutSource<T extends { source: string | null }>(value: T): Omit<T, 'source'> {
  const { source: _source, ...rest } = value;
  return rest;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}

/** Fields whose values differ, compared as JSON (both sides are in normal form). */
function changedFields<T extends object>(before: T, after: T): FieldChanges {
  const changes: FieldChanges = {};
  for (const key of Object.keys(after) as Array<keyof T & string>) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}

interface Plan<T> {
  create: T[];
  update: Array<{ before: T; after: T }>;
  unchanged: T[];
  /** Current items to delete: same source, no longer desired. */
  remove: T[];
}

function plan<T extends { source: string | null }>(
  current: readonly T[],
  desired: readonly T[],
  key: (item: T) => string,
  source: string,
  prune: boolean,
): Plan<T> {
  const byKey = new Map(current.map((c) => [key(c), c]));
  const wanted = new Set(desired.map(key));
  const out: Plan<T> = { create: [], update: [], unchanged: [], remove: [] };
  for (const d of desired) {
    const before = byKey.get(key(d));
    if (!before) out.create.push(d);
    else if (JSON.stringify(before) === JSON.stringify(d)) out.unchanged.push(d);
    else out.update.push({ before, after: d });
  }
  if (prune) out.remove = current.filter((c) => c.source === source && !wanted.has(key(c)));
  return out;
}

/** Whether a key names something after the apply; why not, when it does not. */
type Existence = (key: string) => string | null;

function existence<T>(current: readonly T[], desired: readonly T[], removed: readonly T[], key: (item: T) => string): Existence {
  const gone = new Set(removed.map(key));
  const final = new Set([...current.map(key).filter((k) => !gone.has(k)), ...desired.map(key)]);
  return (k) => (final.has(k) ? null : gone.has(k) ? 'deleted by this apply (prune)' : 'unknown');
}

/**
 * Every reference in the desired state must name something that exists once the apply is done.
 * Paths name items as `teams[payments]` and `entities[service:checkout]`, with indexes into the
 * lists as written, so the manifests layer can point at the line.
 */
function validateDesired(desired: CatalogState, exists: { users: Existence; teams: Existence; entities: Existence }): void {
  const issues: FieldIssue[] = [];
  const once = (kind: string, keys: string[]): void => {
    const seen = new Set<string>();
    for (const k of keys) {
      if (seen.has(k)) issues.push({ path: `${kind}[${k}]`, message: 'declared more than once' });
      seen.add(k);
    }
  };
  once(
    'users',
    desired.users.map((u) => u.name),
  );
  once(
    'teams',
    desired.teams.map((t) => t.name),
  );
  once('entities', desired.entities.map(entityKey));

  for (const t of desired.teams) {
    const at = `teams[${t.name}]`;
    t.members.forEach((m, i) => {
      const missing = exists.users(m);
      if (missing) issues.push({ path: `${at}.members[${i}]`, message: `user "${m}": ${missing}` });
    });
    const seen = new Set<string>();
    t.interactions.forEach((it, i) => {
      const path = `${at}.interactions[${i}]`;
      const missing = exists.teams(it.team);
      if (it.team === t.name) issues.push({ path: `${path}.team`, message: 'a team does not interact with itself' });
      else if (missing) issues.push({ path: `${path}.team`, message: `team "${it.team}": ${missing}` });
      else if (seen.has(`${it.team}/${it.mode}`)) {
        issues.push({ path, message: `the ${it.mode} interaction with "${it.team}" is declared more than once` });
      }
      seen.add(`${it.team}/${it.mode}`);
    });
  }
  for (const e of desired.entities) {
    const self = entityKey(e);
    const at = `entities[${self}]`;
    const ownerMissing = e.owner === null ? null : exists.teams(e.owner);
    if (ownerMissing) issues.push({ path: `${at}.owner`, message: `team "${e.owner}": ${ownerMissing}` });
    e.dependsOn.forEach((raw, i) => {
      const ref = canonicalRef(raw);
      const missing = exists.entities(ref);
      if (ref === self) issues.push({ path: `${at}.dependsOn[${i}]`, message: 'an entity cannot depend on itself' });
      else if (missing) issues.push({ path: `${at}.dependsOn[${i}]`, message: `entity "${ref}": ${missing}` });
    });
  }
  throwIfAny(issues);
}

function entityValues(spec: EntitySpec, ownerTeamId: string | null, source: string | null): store.EntityValues {
  return {
    kind: spec.kind,
    name: spec.name,
    title: spec.title,
    description: spec.description,
    type: spec.type,
    ownerTeamId,
    partOf: spec.partOf,
    lifecycle: spec.lifecycle,
    tier: spec.tier,
    runbookUrl: spec.runbookUrl,
    links: spec.links,
    tags: [...new Set(spec.tags)].sort(),
    annotations: spec.annotations,
    source,
  };
}

function teamValues(spec: TeamSpec, source: string | null): store.TeamValues {
  return { name: spec.name, title: spec.title, description: spec.description, type: spec.type, links: spec.links, source };
}

function entitySpecOf(e: store.EntityRecord, dependsOn: readonly store.RelatedEntity[]): Sourced<EntitySpec> {
  return {
    kind: e.kind,
    name: e.name,
    title: e.title,
    description: e.description,
    type: e.type,
    owner: e.owner,
    partOf: e.partOf,
    lifecycle: e.lifecycle,
    tier: e.tier,
    runbookUrl: e.runbookUrl,
    links: e.links,
    tags: e.tags,
    annotations: e.annotations,
    dependsOn: dependsOn.map((d) => `${d.kind}:${d.name}`),
    source: e.source,
  };
}

function teamSpecOf(
  t: store.TeamRecord,
  members: readonly store.MemberRecord[],
  interactions: readonly store.InteractionRecord[],
): Sourced<TeamSpec> {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    type: t.type,
    members: members.map((m) => m.userName),
    interactions: interactions.map((i) => ({ team: i.withTeamName, mode: i.mode, description: i.description })),
    links: t.links,
    source: t.source,
  };
}

/** The stored catalog in manifest terms, normalized. */
function toState(r: store.CatalogRecords): CatalogState {
  const membersOf = groupBy(r.members, (m) => m.teamId);
  const interactionsOf = groupBy(r.interactions, (i) => i.teamId);
  const refOf = new Map(r.entities.map((e) => [e.id, entityKey(e)]));
  const dependsOnOf = groupBy(r.dependencies, (d) => d.fromId);
  const users: Array<Sourced<UserSpec>> = r.users.map((u) =>
    normalizeUser({ name: u.name, displayName: u.displayName, email: u.email, role: u.role, source: u.source }),
  );
  return normalizeState({
    users,
    teams: r.teams.map((t) => teamSpecOf(t, membersOf.get(t.id) ?? [], interactionsOf.get(t.id) ?? [])),
    entities: r.entities.map((e) => ({
      ...entitySpecOf(e, []),
      dependsOn: (dependsOnOf.get(e.id) ?? []).map((d) => refOf.get(d.toId) ?? ''),
    })),
  });
}
