import type { Executor } from '../db/database.ts';
import type { EntityKind } from './catalog.model.ts';

/** An entity as the dependency graph knows it. */
export interface GraphNode {
  id: string;
  kind: EntityKind;
  name: string;
  /** The owner team's name. */
  owner: string | null;
  tier: string | null;
}

/** The whole dependency graph, both ways. */
export interface DependencyGraph {
  byId: ReadonlyMap<string, GraphNode>;
  /** `kind:name` → id. */
  byRef: ReadonlyMap<string, string>;
  /** id → the ids it depends on. */
  dependencies: ReadonlyMap<string, readonly string[]>;
  /** id → the ids that depend on it. */
  dependents: ReadonlyMap<string, readonly string[]>;
}

/**
 * The catalog's dependency graph in memory, kept while the catalog's generation number (bumped
 * by triggers on every change to entities, dependencies and teams, by anyone: this replica,
 * another, config as code, hand-written SQL) stays the same. A read costs one one-row query;
 * after a change, the next read loads the graph again (two queries).
 */
export class CatalogGraph {
  #cached: { generation: number; graph: DependencyGraph } | null = null;
  /** A load in progress, shared by the readers that need the same generation. */
  #loading: { generation: number; graph: Promise<DependencyGraph> } | null = null;

  async get(ex: Executor): Promise<DependencyGraph> {
    const row = await ex.selectFrom('catalog_generation').select('generation').where('id', '=', 1).executeTakeFirst();
    const generation = Number(row?.generation ?? 0);
    if (this.#cached?.generation === generation) return this.#cached.graph;
    if (this.#loading?.generation === generation) return this.#loading.graph;
    const loading = { generation, graph: loadGraph(ex) };
    this.#loading = loading;
    try {
      const graph = await loading.graph;
      // Read after the generation, so at least as new as it: kept under it.
      if (!this.#cached || this.#cached.generation < generation) this.#cached = { generation, graph };
      return graph;
    } finally {
      if (this.#loading === loading) this.#loading = null;
    }
  }
}

async function loadGraph(ex: Executor): Promise<DependencyGraph> {
  const [entities, edges] = await Promise.all([
    ex
      .selectFrom('catalog_entities as e')
      .leftJoin('teams as t', 't.id', 'e.owner_team_id')
      .select(['e.id', 'e.kind', 'e.name', 'e.tier', 't.name as owner'])
      .execute(),
    ex.selectFrom('catalog_dependencies').select(['from_id', 'to_id']).execute(),
  ]);
  const byId = new Map<string, GraphNode>();
  const byRef = new Map<string, string>();
  for (const e of entities) {
    byId.set(e.id, { id: e.id, kind: e.kind as EntityKind, name: e.name, owner: e.owner ?? null, tier: e.tier ?? null });
    byRef.set(`${e.kind}:${e.name}`, e.id);
  }
  const dependencies = new Map<string, string[]>();
  const dependents = new Map<string, string[]>();
  for (const { from_id: from, to_id: to } of edges) {
    const out = dependencies.get(from);
    if (out) out.push(to);
    else dependencies.set(from, [to]);
    const into = dependents.get(to);
    if (into) into.push(from);
    else dependents.set(to, [from]);
  }
  return { byId, byRef, dependencies, dependents };
}
