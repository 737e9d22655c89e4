/** Shapes of the API responses the UI reads. */

export type Role = 'admin' | 'member';

export interface Session {
  user: { name: string; role: Role; teams: string[] };
  scopes: string[];
  via: 'token' | 'session';
  csrfToken: string | null;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: Array<{ path: string; message: string }>;
}

export interface EntitySummary {
  id: string;
  kind: string;
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

export interface EntityRefOwned {
  kind: string;
  name: string;
  owner: string | null;
}

export interface EntityDetail extends EntitySummary {
  runbookUrl: string | null;
  links: Array<{ title?: string | null; url: string }>;
  annotations: Record<string, string>;
  source: string | null;
  createdAt: number;
  dependsOn: EntityRefOwned[];
  dependents: EntityRefOwned[];
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface BlastRadius {
  root: EntityRefOwned;
  impacted: Array<EntityRefOwned & { tier: string | null; depth: number; via: string }>;
  teams: Array<{ name: string; count: number }>;
  edges: Array<{ from: string; to: string }>;
}

export type TeamType = 'stream-aligned' | 'platform' | 'enabling' | 'complicated-subsystem';

export interface TeamSummary {
  name: string;
  title: string | null;
  type: TeamType | string;
  description: string | null;
  memberCount?: number;
  entityCount?: number;
}

export interface TeamDetail extends TeamSummary {
  links: Array<{ title?: string | null; url: string }>;
  members: Array<{ name: string; displayName: string | null; role?: string | null }>;
  interactions: Array<{ team: string; mode: string; description: string | null; direction?: string | null }>;
  entities: EntitySummary[];
}

export interface ConwayFinding {
  from: { ref: string; owner: string };
  to: { ref: string; owner: string };
  message: string;
}

export interface JournalEntry {
  seq: number;
  id: string;
  at: number;
  kind: string;
  actor: string;
  serviceId: string | null;
  subjectType: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
}

export interface JournalPage {
  items: JournalEntry[];
  nextBefore: number | null;
}

export const ENTITY_KINDS = ['service', 'system', 'resource', 'api', 'domain'] as const;
export const TIERS = ['tier-1', 'tier-2', 'tier-3', 'tier-4'] as const;
export const LIFECYCLES = ['experimental', 'production', 'deprecated'] as const;
