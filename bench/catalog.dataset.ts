import type { CatalogState, EntitySpec, TeamSpec } from '../src/catalog/index.ts';

/**
 * A synthetic but plausible catalog for the catalog benchmark: ~50 teams and 10,000 services.
 * `core-0` has exactly {@link CORE_DEPENDENTS} transitive dependents, arranged as a DAG of
 * {@link CORE_LEVELS} levels under it; nothing else depends on them. The other services form a
 * random DAG in which a few low-level platform services are depended on by many.
 * Deterministic: the same seed gives the same catalog.
 */

export const ROOT_SERVICE = 'core-0';
export const CORE_LEVELS = [5, 15, 45, 135, 300, 500] as const;
export const CORE_DEPENDENTS = CORE_LEVELS.reduce((a, b) => a + b, 0);

const DOMAINS = [
  'payments',
  'checkout',
  'identity',
  'search',
  'catalog',
  'orders',
  'shipping',
  'billing',
  'ledger',
  'fraud',
  'notifications',
  'messaging',
  'media',
  'ads',
  'analytics',
  'growth',
  'pricing',
  'inventory',
  'warehouse',
  'support',
  'accounts',
  'reviews',
  'recommendations',
  'maps',
  'data',
] as const;
const TEAM_SUFFIXES = ['core', 'platform'] as const;
const NOUNS = [
  'api',
  'worker',
  'gateway',
  'store',
  'indexer',
  'scheduler',
  'sync',
  'web',
  'consumer',
  'exporter',
  'cache',
  'router',
] as const;
const TAGS = [
  'go',
  'java',
  'node',
  'python',
  'rust',
  'kotlin',
  'grpc',
  'rest',
  'kafka',
  'postgres',
  'redis',
  'pci',
  'gdpr',
  'edge',
] as const;
const TIERS = ['tier-1', 'tier-2', 'tier-3', 'tier-4'] as const;
const TEAM_TYPES = [
  'stream-aligned',
  'stream-aligned',
  'stream-aligned',
  'platform',
  'enabling',
  'complicated-subsystem',
] as const;

/** mulberry32: small, fast and good enough for test data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface CatalogDataset {
  state: CatalogState;
  services: number;
  teams: number;
  edges: number;
  /** Longest shortest path from a dependent up to `core-0`. */
  coreDepth: number;
}

export function generateCatalog(options: { services?: number; seed?: number } = {}): CatalogDataset {
  const total = options.services ?? 10_000;
  const random = prng(options.seed ?? 20_260_301);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

  const teams: Array<TeamSpec & { source: string | null }> = [];
  for (const domain of DOMAINS) {
    for (const suffix of TEAM_SUFFIXES) {
      teams.push({
        name: `${domain}-${suffix}`,
        title: `${domain[0]?.toUpperCase()}${domain.slice(1)} ${suffix}`,
        description: `Owns the ${domain} ${suffix === 'core' ? 'product services' : 'shared infrastructure'}.`,
        type: suffix === 'platform' ? 'platform' : pick(TEAM_TYPES),
        members: [],
        interactions: [],
        links: [{ title: 'Chat', url: `https://chat.example.com/${domain}-${suffix}` }],
        source: 'bench',
      });
    }
  }

  // Names are unique by their number and spread over the alphabet, so list pages mix every group.
  let serial = 0;
  const newName = (): string => `${pick(DOMAINS)}-${pick(NOUNS)}-${String(serial++).padStart(5, '0')}`;
  const dependsOn = new Map<string, Set<string>>();
  const order: string[] = [];
  const add = (name: string): void => {
    dependsOn.set(name, new Set());
    order.push(name);
  };
  const link = (from: string, to: string): void => void dependsOn.get(from)?.add(to);

  // The rest of the organization: a random DAG where each service depends only on earlier ones,
  // biased towards the earliest (the shared platform: databases, queues, auth), as real ones are.
  const restCount = total - 1 - CORE_DEPENDENTS;
  const rest: string[] = [];
  for (let i = 0; i < restCount; i++) {
    const name = newName();
    add(name);
    const fanOut = i === 0 ? 0 : Math.min(i, 1 + Math.floor(random() * 5));
    for (let k = 0; k < fanOut; k++) link(name, rest[Math.floor(i * random() ** 2)] as string);
    rest.push(name);
  }
  const platform = rest.slice(0, 300);

  // core-0 and the levels under it. Each service depends on one service of the level above, some
  // also on a second service of any level above (so there are several paths), and on a platform
  // service or two; no service outside the group depends on one inside it.
  add(ROOT_SERVICE);
  link(ROOT_SERVICE, pick(platform));
  link(ROOT_SERVICE, pick(platform));
  const levels: string[][] = [[ROOT_SERVICE]];
  for (const size of CORE_LEVELS) {
    const above = levels[levels.length - 1] as string[];
    const level: string[] = [];
    for (let i = 0; i < size; i++) {
      const name = newName();
      add(name);
      link(name, pick(above));
      if (random() < 0.3) link(name, pick(pick(levels)));
      link(name, pick(platform));
      if (random() < 0.5) link(name, pick(platform));
      level.push(name);
    }
    levels.push(level);
  }

  const entities: Array<EntitySpec & { source: string | null }> = order.map((name) => {
    const [domain = 'data', noun = 'api'] = name.split('-');
    const owner = name === ROOT_SERVICE ? 'data-platform' : `${domain}-${random() < 0.7 ? 'core' : 'platform'}`;
    return {
      kind: 'service',
      name,
      title: `${domain} ${noun}`,
      description: `The ${noun} of ${domain}: serves ${domain} traffic for the rest of the organization.`,
      type: noun === 'web' ? 'website' : 'service',
      owner,
      partOf: null,
      lifecycle: random() < 0.9 ? 'production' : pick(['experimental', 'deprecated']),
      tier: name === ROOT_SERVICE ? 'tier-1' : pick(TIERS),
      runbookUrl: `https://runbooks.example.com/${name}`,
      links: [{ title: 'Dashboard', url: `https://grafana.example.com/d/${name}` }],
      tags: [...new Set([pick(TAGS), pick(TAGS), pick(TAGS)])],
      annotations: { 'github.com/project-slug': `example/${name}` },
      dependsOn: [...(dependsOn.get(name) ?? [])].map((to) => `service:${to}`),
      source: 'bench',
    };
  });

  const { count, depth } = dependentsOf(ROOT_SERVICE, dependsOn);
  if (count !== CORE_DEPENDENTS) throw new Error(`dataset: ${ROOT_SERVICE} has ${count} dependents, not ${CORE_DEPENDENTS}`);
  let edges = 0;
  for (const deps of dependsOn.values()) edges += deps.size;
  return { state: { users: [], teams, entities }, services: entities.length, teams: teams.length, edges, coreDepth: depth };
}

/** Breadth-first over reversed edges: how many depend on `root`, and the deepest shortest path. */
function dependentsOf(root: string, dependsOn: ReadonlyMap<string, ReadonlySet<string>>): { count: number; depth: number } {
  const dependents = new Map<string, string[]>();
  for (const [from, tos] of dependsOn) {
    for (const to of tos) dependents.set(to, [...(dependents.get(to) ?? []), from]);
  }
  const seen = new Set([root]);
  let frontier = [root];
  let depth = 0;
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const name of frontier) {
      for (const d of dependents.get(name) ?? []) {
        if (!seen.has(d)) {
          seen.add(d);
          next.push(d);
        }
      }
    }
    if (next.length > 0) depth++;
    frontier = next;
  }
  return { count: seen.size - 1, depth };
}
