import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import { ConflictError, InputError, NotFoundError, UnauthenticatedError } from '../core/errors.ts';
import { newId, newSecret } from '../core/ids.ts';
import { type Db, type Executor, retryOnUniqueViolation } from '../db/database.ts';
import { fromJson, toJson } from '../db/json.ts';
import type { Journal } from '../journal/journal.ts';
import { type Principal, SCOPES, type Scope } from './principal.ts';

export const SESSION_TTL_MS = 12 * 3_600_000;
const PRINCIPAL_CACHE_MS = 2_000;

export interface User {
  id: string;
  name: string;
  displayName: string | null;
  email: string | null;
  role: 'admin' | 'member';
  teams: string[];
  createdAt: number;
}

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  userName: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface Session {
  /** Goes into the cookie; only its hash is stored. */
  secret: string;
  csrfToken: string;
  expiresAt: number;
  principal: Principal;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(actual, expected);
}

/** Users, API tokens and web sessions. */
export class AuthService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #journal: Journal;
  readonly #cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(deps: { db: Db; clock: Clock; journal: Journal }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#journal = deps.journal;
  }

  /**
   * Makes sure an admin exists. On the very first start it creates user `admin` and returns a
   * one-time token to print. With `presetToken` (VIGIL_ADMIN_TOKEN) that token is registered instead.
   */
  async bootstrapAdmin(presetToken?: string): Promise<{ token: string | null; created: boolean }> {
    // Replicas starting together on an empty database race here; the loser re-reads and finds the admin.
    return retryOnUniqueViolation(() => this.#bootstrapAdminOnce(presetToken));
  }

  #bootstrapAdminOnce(presetToken?: string): Promise<{ token: string | null; created: boolean }> {
    return this.#db.kysely.transaction().execute(async (trx) => {
      let admin = await trx.selectFrom('users').select(['id']).where('name', '=', 'admin').executeTakeFirst();
      const created = !admin;
      const now = this.#clock.now();
      if (!admin) {
        admin = { id: newId(now) };
        await trx
          .insertInto('users')
          .values({
            id: admin.id,
            name: 'admin',
            display_name: 'Administrator',
            email: null,
            role: 'admin',
            password_hash: null,
            source: null,
            created_at: now,
            updated_at: now,
          })
          .execute();
        await this.#journal.append(trx, {
          kind: 'auth.user.created',
          actor: 'system:bootstrap',
          subjectType: 'user',
          subjectId: admin.id,
          data: { name: 'admin', role: 'admin' },
        });
      }
      if (presetToken) {
        const hash = hashToken(presetToken);
        const exists = await trx.selectFrom('api_tokens').select('id').where('token_hash', '=', hash).executeTakeFirst();
        if (!exists) await this.#insertToken(trx, admin.id, 'bootstrap', [...SCOPES], presetToken, null, 'system:bootstrap');
        return { token: null, created };
      }
      if (!created) return { token: null, created };
      const token = newSecret('vgl');
      await this.#insertToken(trx, admin.id, 'bootstrap', [...SCOPES], token, null, 'system:bootstrap');
      return { token, created };
    });
  }

  async #insertToken(
    trx: Executor,
    userId: string,
    name: string,
    scopes: Scope[],
    token: string,
    expiresAt: number | null,
    actor: string,
  ): Promise<string> {
    const id = newId(this.#clock.now());
    await trx
      .insertInto('api_tokens')
      .values({
        id,
        user_id: userId,
        name,
        token_hash: hashToken(token),
        prefix: token.slice(0, 8),
        scopes: toJson(scopes),
        created_at: this.#clock.now(),
        last_used_at: null,
        expires_at: expiresAt,
        revoked_at: null,
      })
      .execute();
    await this.#journal.append(trx, {
      kind: 'auth.token.created',
      actor,
      subjectType: 'token',
      subjectId: id,
      data: { name, scopes, user: userId },
    });
    return id;
  }

  async createUser(
    actor: string,
    input: { name: string; displayName?: string | null; email?: string | null; role?: 'admin' | 'member'; password?: string },
  ): Promise<User> {
    const now = this.#clock.now();
    const id = newId(now);
    await this.#db.kysely.transaction().execute(async (trx) => {
      const exists = await trx.selectFrom('users').select('id').where('name', '=', input.name).executeTakeFirst();
      if (exists) throw new ConflictError(`user "${input.name}" already exists`, [{ path: 'body.name', message: 'taken' }]);
      await trx
        .insertInto('users')
        .values({
          id,
          name: input.name,
          display_name: input.displayName ?? null,
          email: input.email ?? null,
          role: input.role ?? 'member',
          password_hash: input.password ? hashPassword(input.password) : null,
          source: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await this.#journal.append(trx, {
        kind: 'auth.user.created',
        actor,
        subjectType: 'user',
        subjectId: id,
        data: { name: input.name, role: input.role ?? 'member' },
      });
    });
    return this.getUser(input.name);
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.#db.kysely.selectFrom('users').selectAll().orderBy('name').execute();
    const memberships = await this.#db.kysely
      .selectFrom('team_members')
      .innerJoin('teams', 'teams.id', 'team_members.team_id')
      .select(['team_members.user_id', 'teams.name'])
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      displayName: r.display_name,
      email: r.email,
      role: r.role,
      teams: memberships.filter((m) => m.user_id === r.id).map((m) => m.name),
      createdAt: Number(r.created_at),
    }));
  }

  async getUser(name: string): Promise<User> {
    const user = (await this.listUsers()).find((u) => u.name === name);
    if (!user) throw new NotFoundError(`no user named "${name}"`);
    return user;
  }

  /** Creates a token for `userName` (default: the caller). The plaintext is returned once. */
  async createToken(
    caller: Principal,
    input: { name: string; scopes: Scope[]; userName?: string; expiresInMs?: number },
  ): Promise<{ token: string; info: ApiToken }> {
    const userName = input.userName ?? caller.userName;
    if (userName !== caller.userName && !caller.scopes.has('admin')) {
      throw new InputError('only admins may create tokens for other users', [{ path: 'body.user', message: 'not yours' }]);
    }
    if (input.scopes.includes('admin') && !caller.scopes.has('admin')) {
      throw new InputError('only admins may grant the admin scope', [{ path: 'body.scopes', message: 'admin not allowed' }]);
    }
    const token = newSecret('vgl');
    const id = await this.#db.kysely.transaction().execute(async (trx) => {
      const user = await trx.selectFrom('users').select('id').where('name', '=', userName).executeTakeFirst();
      if (!user) throw InputError.field('body.user', `no user named "${userName}"`);
      const expiresAt = input.expiresInMs ? this.#clock.now() + input.expiresInMs : null;
      return this.#insertToken(trx, user.id, input.name, input.scopes, token, expiresAt, caller.actor);
    });
    const info = (await this.listTokens()).find((t) => t.id === id);
    if (!info) throw new NotFoundError('token vanished');
    return { token, info };
  }

  async listTokens(userName?: string): Promise<ApiToken[]> {
    let q = this.#db.kysely
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([
        'api_tokens.id',
        'api_tokens.name',
        'api_tokens.prefix',
        'api_tokens.scopes',
        'api_tokens.created_at',
        'api_tokens.last_used_at',
        'api_tokens.expires_at',
        'api_tokens.revoked_at',
        'users.name as user_name',
      ]);
    if (userName) q = q.where('users.name', '=', userName);
    const rows = await q.orderBy('api_tokens.created_at', 'desc').execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      scopes: fromJson<Scope[]>(r.scopes, []),
      userName: r.user_name,
      createdAt: Number(r.created_at),
      lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
      expiresAt: r.expires_at === null ? null : Number(r.expires_at),
      revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    }));
  }

  async revokeToken(caller: Principal, id: string): Promise<void> {
    await this.#db.kysely.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('api_tokens')
        .innerJoin('users', 'users.id', 'api_tokens.user_id')
        .select(['api_tokens.id', 'api_tokens.revoked_at', 'users.name'])
        .where('api_tokens.id', '=', id)
        .executeTakeFirst();
      if (!row) throw new NotFoundError(`no token ${id}`);
      if (row.name !== caller.userName && !caller.scopes.has('admin')) throw new NotFoundError(`no token ${id}`);
      if (row.revoked_at !== null) return;
      await trx.updateTable('api_tokens').set({ revoked_at: this.#clock.now() }).where('id', '=', id).execute();
      await this.#journal.append(trx, { kind: 'auth.token.revoked', actor: caller.actor, subjectType: 'token', subjectId: id });
    });
    this.#cache.clear();
  }

  /** Resolves a bearer token, or null when unknown, revoked or expired. */
  async authenticateToken(token: string): Promise<Principal | null> {
    const hash = hashToken(token);
    const now = this.#clock.now();
    const cached = this.#cache.get(hash);
    if (cached && cached.until > now) return cached.principal;
    const row = await this.#db.kysely
      .selectFrom('api_tokens')
      .innerJoin('users', 'users.id', 'api_tokens.user_id')
      .select([
        'api_tokens.id',
        'api_tokens.name',
        'api_tokens.scopes',
        'api_tokens.expires_at',
        'api_tokens.revoked_at',
        'api_tokens.last_used_at',
        'users.id as user_id',
        'users.name as user_name',
        'users.role',
      ])
      .where('api_tokens.token_hash', '=', hash)
      .executeTakeFirst();
    let principal: Principal | null = null;
    if (row && row.revoked_at === null && (row.expires_at === null || Number(row.expires_at) > now)) {
      const teamIds = await this.#teamIds(row.user_id);
      principal = {
        userId: row.user_id,
        userName: row.user_name,
        role: row.role,
        scopes: new Set(fromJson<Scope[]>(row.scopes, [])),
        teamIds,
        via: 'token',
        tokenId: row.id,
        actor: `token:${row.user_name}/${row.name}`,
      };
      // Recording use at minute granularity keeps reads from becoming writes.
      if (row.last_used_at === null || now - Number(row.last_used_at) > 60_000) {
        await this.#db.kysely.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
      }
    }
    this.#cache.set(hash, { principal, until: now + PRINCIPAL_CACHE_MS });
    if (this.#cache.size > 10_000) this.#cache.clear();
    return principal;
  }

  async #teamIds(userId: string): Promise<Set<string>> {
    const rows = await this.#db.kysely.selectFrom('team_members').select('team_id').where('user_id', '=', userId).execute();
    return new Set(rows.map((r) => r.team_id));
  }

  async #principalForUser(userId: string, via: 'session'): Promise<Principal | null> {
    const user = await this.#db.kysely.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    if (!user) return null;
    const scopes: Scope[] = user.role === 'admin' ? [...SCOPES] : ['read', 'write'];
    return {
      userId: user.id,
      userName: user.name,
      role: user.role,
      scopes: new Set(scopes),
      teamIds: await this.#teamIds(user.id),
      via,
      tokenId: null,
      actor: `user:${user.name}`,
    };
  }

  /** Logs in with a name and password, or with an API token (`name` omitted). */
  async login(input: { name?: string; password?: string; token?: string }): Promise<Session> {
    let userId: string | null = null;
    if (input.token) {
      const p = await this.authenticateToken(input.token);
      userId = p?.userId ?? null;
    } else if (input.name && input.password) {
      const user = await this.#db.kysely
        .selectFrom('users')
        .select(['id', 'password_hash'])
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (user?.password_hash && verifyPassword(input.password, user.password_hash)) userId = user.id;
    }
    if (!userId) throw new UnauthenticatedError('unknown user, wrong password or invalid token');
    const principal = await this.#principalForUser(userId, 'session');
    if (!principal) throw new UnauthenticatedError('user no longer exists');
    const secret = newSecret('vgs', 32);
    const csrfToken = randomBytes(24).toString('base64url');
    const now = this.#clock.now();
    const expiresAt = now + SESSION_TTL_MS;
    await this.#db.kysely.transaction().execute(async (trx) => {
      await trx
        .insertInto('sessions')
        .values({ id: hashToken(secret), user_id: userId, csrf_token: csrfToken, created_at: now, expires_at: expiresAt })
        .execute();
      await trx.deleteFrom('sessions').where('expires_at', '<', now).execute();
      await this.#journal.append(trx, {
        kind: 'auth.session.started',
        actor: principal.actor,
        subjectType: 'user',
        subjectId: userId,
        data: { via: input.token ? 'token' : 'password' },
      });
    });
    return { secret, csrfToken, expiresAt, principal };
  }

  async authenticateSession(secret: string): Promise<{ principal: Principal; csrfToken: string } | null> {
    const row = await this.#db.kysely.selectFrom('sessions').selectAll().where('id', '=', hashToken(secret)).executeTakeFirst();
    if (!row || Number(row.expires_at) <= this.#clock.now()) return null;
    const principal = await this.#principalForUser(row.user_id, 'session');
    return principal ? { principal, csrfToken: row.csrf_token } : null;
  }

  async logout(secret: string): Promise<void> {
    await this.#db.kysely.deleteFrom('sessions').where('id', '=', hashToken(secret)).execute();
  }
}
