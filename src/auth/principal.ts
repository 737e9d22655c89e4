import { NotAllowedError } from '../core/errors.ts';

export const SCOPES = ['read', 'write', 'admin', 'ingest'] as const;
export type Scope = (typeof SCOPES)[number];

/** Who may call a route. Every route declares one in `config.access`. */
export type Access = 'public' | 'read' | 'write' | 'admin' | 'ingest';

/** The authenticated caller of a request. */
export interface Principal {
  userId: string;
  userName: string;
  role: 'admin' | 'member';
  scopes: ReadonlySet<Scope>;
  /** Teams the user is a member of. */
  teamIds: ReadonlySet<string>;
  via: 'token' | 'session';
  tokenId: string | null;
  /** How the journal names this caller: `user:alice` or `token:alice/ci`. */
  actor: string;
}

/** The system itself, for work no person started (seeding, schedulers). */
export function systemPrincipal(name = 'system'): Principal {
  return {
    userId: 'system',
    userName: name,
    role: 'admin',
    scopes: new Set(SCOPES),
    teamIds: new Set(),
    via: 'token',
    tokenId: null,
    actor: `system:${name}`,
  };
}

/** Whether the principal's scopes satisfy a route's access level. `admin` implies every scope. */
export function allows(principal: Principal, access: Access): boolean {
  if (access === 'public') return true;
  const s = principal.scopes;
  if (s.has('admin')) return true;
  switch (access) {
    case 'read':
      return s.has('read') || s.has('write');
    case 'write':
      return s.has('write');
    case 'ingest':
      return s.has('ingest');
    case 'admin':
      return false;
  }
}

/**
 * Team-owned resources are writable by that team's members and by admins. A resource without
 * an owner is writable by anyone holding the write scope.
 */
export function assertCanWriteOwned(principal: Principal, ownerTeamId: string | null, what: string): void {
  if (principal.role === 'admin' && principal.scopes.has('admin')) return;
  if (ownerTeamId === null) return;
  if (principal.teamIds.has(ownerTeamId)) return;
  throw new NotAllowedError(`${what} is owned by another team; only its members and admins may change it`);
}
