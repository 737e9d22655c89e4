import type { Generated } from 'kysely';

/**
 * Table types for Kysely. Conventions that hold on both dialects:
 * - timestamps are integer milliseconds since the epoch (`bigint` on PostgreSQL, parsed to number);
 * - booleans are integers 0/1;
 * - structured values are JSON text (see `db/json.ts`).
 */
export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  team_interactions: TeamInteractionsTable;
  catalog_entities: CatalogEntitiesTable;
  catalog_dependencies: CatalogDependenciesTable;
  journal: JournalTable;
  jobs: JobsTable;
}

export interface UsersTable {
  id: string;
  name: string;
  display_name: string | null;
  email: string | null;
  role: 'admin' | 'member';
  password_hash: string | null;
  source: string | null;
  created_at: number;
  updated_at: number;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  prefix: string;
  /** JSON array of scopes. */
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface SessionsTable {
  /** SHA-256 of the session secret held in the cookie. */
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  expires_at: number;
}

export interface TeamsTable {
  id: string;
  name: string;
  title: string | null;
  description: string | null;
  type: string;
  /** JSON array of `{title, url}`. */
  links: string;
  source: string | null;
  created_at: number;
  updated_at: number;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  role: string;
}

export interface TeamInteractionsTable {
  team_id: string;
  with_team_id: string;
  mode: string;
  description: string | null;
}

export interface CatalogEntitiesTable {
  id: string;
  /** service | system | resource | api | domain */
  kind: string;
  name: string;
  title: string | null;
  description: string | null;
  /** Backstage `spec.type`: service, website, library, database, openapi, … */
  type: string | null;
  owner_team_id: string | null;
  /** Name of the system (or, for a system, the domain) this entity belongs to. */
  part_of: string | null;
  lifecycle: string | null;
  tier: string | null;
  runbook_url: string | null;
  /** JSON array of `{title, url}`. */
  links: string;
  /** JSON array of strings. */
  tags: string;
  /** JSON object of string → string. */
  annotations: string;
  source: string | null;
  created_at: number;
  updated_at: number;
}

export interface CatalogDependenciesTable {
  /** The entity that depends … */
  from_id: string;
  /** … on this one. */
  to_id: string;
}

export interface JournalTable {
  seq: Generated<number>;
  id: string;
  at: number;
  kind: string;
  actor: string;
  service_id: string | null;
  subject_type: string | null;
  subject_id: string | null;
  /** JSON object. */
  data: string;
}

export interface JobsTable {
  id: string;
  kind: string;
  /** JSON payload. */
  payload: string;
  /** Idempotency key: enqueueing the same key twice yields one job. */
  key: string | null;
  status: 'pending' | 'running' | 'done' | 'dead';
  run_at: number;
  attempts: number;
  max_attempts: number;
  lease_until: number | null;
  lease_owner: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}
