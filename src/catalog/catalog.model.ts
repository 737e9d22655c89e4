import { z } from 'zod';

export const TEAM_TYPES = ['stream-aligned', 'platform', 'enabling', 'complicated-subsystem'] as const;
export const INTERACTION_MODES = ['collaboration', 'x-as-a-service', 'facilitating'] as const;
export const ENTITY_KINDS = ['service', 'system', 'resource', 'api', 'domain'] as const;
export const LIFECYCLES = ['experimental', 'production', 'deprecated'] as const;
export const TIERS = ['tier-1', 'tier-2', 'tier-3', 'tier-4'] as const;

export type TeamType = (typeof TEAM_TYPES)[number];
export type InteractionMode = (typeof INTERACTION_MODES)[number];
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** Catalog names: lowercase DNS-label style, as Backstage and Kubernetes write them. */
export const Name = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/,
    'must be lowercase letters, digits, ".", "_" or "-", starting and ending with a letter or digit',
  );

export const Link = z.strictObject({ title: z.string().max(200).optional(), url: z.url() });
export type Link = z.infer<typeof Link>;

/**
 * A reference to another entity: `[kind:]name`. Without a kind it means a service.
 * Canonical form is always `kind:name`.
 */
export const EntityRef = z
  .string()
  .regex(/^((service|system|resource|api|domain|component):)?[a-z0-9][a-z0-9._-]*$/, 'must be [kind:]name');

export const UserSpec = z.strictObject({
  name: Name,
  displayName: z.string().max(200).nullable().default(null),
  email: z.email().nullable().default(null),
  role: z.enum(['admin', 'member']).default('member'),
});
export type UserSpec = z.output<typeof UserSpec>;

export const InteractionSpec = z.strictObject({
  team: Name,
  mode: z.enum(INTERACTION_MODES),
  description: z.string().max(2000).nullable().default(null),
});
export type InteractionSpec = z.output<typeof InteractionSpec>;

export const TeamSpec = z.strictObject({
  name: Name,
  title: z.string().max(200).nullable().default(null),
  description: z.string().max(5000).nullable().default(null),
  type: z.enum(TEAM_TYPES).default('stream-aligned'),
  /** User names. */
  members: z.array(Name).default([]),
  interactions: z.array(InteractionSpec).default([]),
  links: z.array(Link).default([]),
});
export type TeamSpec = z.output<typeof TeamSpec>;

export const EntitySpec = z.strictObject({
  kind: z.enum(ENTITY_KINDS).default('service'),
  name: Name,
  title: z.string().max(200).nullable().default(null),
  description: z.string().max(5000).nullable().default(null),
  /** Backstage `spec.type`: service, website, library, database, openapi, … */
  type: z.string().max(100).nullable().default(null),
  /** Owning team name. */
  owner: Name.nullable().default(null),
  /** The system a component/resource/api belongs to, or the domain a system belongs to. */
  partOf: Name.nullable().default(null),
  lifecycle: z.string().max(50).nullable().default(null),
  tier: z.string().max(50).nullable().default(null),
  runbookUrl: z.url().nullable().default(null),
  links: z.array(Link).default([]),
  tags: z.array(z.string().min(1).max(63)).default([]),
  annotations: z.record(z.string(), z.string()).default({}),
  /** `[kind:]name` references; stored and compared in canonical `kind:name` form. */
  dependsOn: z.array(EntityRef).default([]),
});
export type EntitySpec = z.output<typeof EntitySpec>;

/** Everything the catalog holds, in manifest terms. `snapshot()` returns it; `applyDesired()` takes it. */
export interface CatalogState {
  users: Array<UserSpec & { source: string | null }>;
  teams: Array<TeamSpec & { source: string | null }>;
  entities: Array<EntitySpec & { source: string | null }>;
}

/** `payments` → `service:payments`, `component:x` → `service:x`. */
export function canonicalRef(ref: string): string {
  const i = ref.indexOf(':');
  if (i < 0) return `service:${ref}`;
  const kind = ref.slice(0, i);
  return `${kind === 'component' ? 'service' : kind}:${ref.slice(i + 1)}`;
}

export function splitRef(ref: string): { kind: EntityKind; name: string } {
  const canonical = canonicalRef(ref);
  const i = canonical.indexOf(':');
  return { kind: canonical.slice(0, i) as EntityKind, name: canonical.slice(i + 1) };
}

/** A row of the catalog list. */
export interface EntitySummary {
  id: string;
  kind: EntityKind;
  name: string;
  title: string | null;
  description: string | null;
  type: string | null;
  owner: string | null;
  partOf: string | null;
  lifecycle: string | null;
  tier: string | null;
  tags: string[];
  updatedAt: number;
}

export interface EntityDetail extends EntitySummary {
  runbookUrl: string | null;
  links: Link[];
  annotations: Record<string, string>;
  source: string | null;
  createdAt: number;
  /** What this entity depends on (canonical refs with owner). */
  dependsOn: Array<{ kind: EntityKind; name: string; owner: string | null }>;
  /** What depends directly on this entity. */
  dependents: Array<{ kind: EntityKind; name: string; owner: string | null }>;
}

export interface BlastRadius {
  root: { kind: EntityKind; name: string; owner: string | null };
  /** Every entity that depends on the root, transitively, nearest first. */
  impacted: Array<{ kind: EntityKind; name: string; owner: string | null; tier: string | null; depth: number; via: string }>;
  /** Owning teams of the impacted entities with how many each owns. */
  teams: Array<{ name: string; count: number }>;
  /** Edges among root and impacted (from depends on to), for drawing the graph. */
  edges: Array<{ from: string; to: string }>;
}

export interface ConwayFinding {
  from: { ref: string; owner: string };
  to: { ref: string; owner: string };
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Normal form: how `snapshot()` writes the catalog and how `applyDesired()` compares it, so a
// parsed manifest and the stored state are equal exactly when applying would change nothing.

type Sourced<T> = T & { source: string | null };

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function sortedRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function normalizeUser(u: Sourced<UserSpec>): Sourced<UserSpec> {
  return { name: u.name, displayName: u.displayName, email: u.email, role: u.role, source: u.source };
}

export function normalizeTeam(t: Sourced<TeamSpec>): Sourced<TeamSpec> {
  return {
    name: t.name,
    title: t.title,
    description: t.description,
    type: t.type,
    members: sortedUnique(t.members),
    interactions: t.interactions
      .map((i) => ({ team: i.team, mode: i.mode, description: i.description }))
      .sort((a, b) => (a.team === b.team ? (a.mode < b.mode ? -1 : a.mode > b.mode ? 1 : 0) : a.team < b.team ? -1 : 1)),
    links: t.links.map((l) => (l.title === undefined ? { url: l.url } : { title: l.title, url: l.url })),
    source: t.source,
  };
}

export function normalizeEntity(e: Sourced<EntitySpec>): Sourced<EntitySpec> {
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
    links: e.links.map((l) => (l.title === undefined ? { url: l.url } : { title: l.title, url: l.url })),
    tags: sortedUnique(e.tags),
    annotations: sortedRecord(e.annotations),
    dependsOn: sortedUnique(e.dependsOn.map(canonicalRef)),
    source: e.source,
  };
}

/** The catalog in normal form, each list sorted by name (entities by `kind:name`). */
export function normalizeState(state: CatalogState): CatalogState {
  const byKey =
    <T>(key: (x: T) => string) =>
    (a: T, b: T) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  return {
    users: state.users.map(normalizeUser).sort(byKey((u) => u.name)),
    teams: state.teams.map(normalizeTeam).sort(byKey((t) => t.name)),
    entities: state.entities.map(normalizeEntity).sort(byKey((e) => `${e.kind}:${e.name}`)),
  };
}
