import { z } from 'zod';
import { UnauthenticatedError } from '../core/errors.ts';
import { SESSION_COOKIE } from '../http/access.ts';
import type { App } from '../http/types.ts';
import type { AuthService } from './auth.service.ts';
import { SCOPES } from './principal.ts';

const UserOut = z.object({
  id: z.string(),
  name: z.string(),
  displayName: z.string().nullable(),
  email: z.string().nullable(),
  role: z.enum(['admin', 'member']),
  teams: z.array(z.string()),
  createdAt: z.number(),
});

const TokenOut = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(SCOPES)),
  userName: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  expiresAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});

const SessionOut = z.object({
  user: z.object({ name: z.string(), role: z.enum(['admin', 'member']), teams: z.array(z.string()) }),
  scopes: z.array(z.enum(SCOPES)),
  via: z.enum(['token', 'session']),
  csrfToken: z.string().nullable(),
});

export function registerAuthRoutes(app: App, deps: { auth: AuthService; secureCookies: boolean }): void {
  const { auth } = deps;

  app.post(
    '/api/v1/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Start a web session with a name and password, or with an API token',
        body: z.union([
          z.strictObject({ name: z.string().min(1), password: z.string().min(1) }),
          z.strictObject({ token: z.string().min(1) }),
        ]),
        response: { 200: SessionOut },
      },
    },
    async (request, reply) => {
      const session = await auth.login(request.body);
      reply.setCookie(SESSION_COOKIE, session.secret, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: deps.secureCookies,
        expires: new Date(session.expiresAt),
      });
      const user = await auth.getUser(session.principal.userName);
      return {
        user: { name: user.name, role: user.role, teams: user.teams },
        scopes: [...session.principal.scopes],
        via: 'session' as const,
        csrfToken: session.csrfToken,
      };
    },
  );

  app.post(
    '/api/v1/auth/logout',
    { config: { access: 'public' }, schema: { tags: ['auth'], summary: 'End the web session', response: { 204: z.null() } } },
    async (request, reply) => {
      const secret = request.cookies[SESSION_COOKIE];
      if (secret) await auth.logout(secret);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/auth/session',
    { config: { access: 'read' }, schema: { tags: ['auth'], summary: 'Who am I', response: { 200: SessionOut } } },
    async (request) => {
      const p = request.principal;
      if (!p) throw new UnauthenticatedError('not signed in');
      const user = await auth.getUser(p.userName);
      let csrfToken: string | null = null;
      const secret = request.cookies[SESSION_COOKIE];
      if (p.via === 'session' && secret) csrfToken = (await auth.authenticateSession(secret))?.csrfToken ?? null;
      return { user: { name: user.name, role: user.role, teams: user.teams }, scopes: [...p.scopes], via: p.via, csrfToken };
    },
  );

  app.get(
    '/api/v1/users',
    {
      config: { access: 'read' },
      schema: { tags: ['auth'], summary: 'List users', response: { 200: z.object({ items: z.array(UserOut) }) } },
    },
    async () => ({ items: await auth.listUsers() }),
  );

  app.post(
    '/api/v1/users',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['auth'],
        summary: 'Create a user',
        body: z.strictObject({
          name: z
            .string()
            .regex(/^[a-z0-9][a-z0-9._-]*$/)
            .max(63),
          displayName: z.string().max(200).optional(),
          email: z.email().optional(),
          role: z.enum(['admin', 'member']).default('member'),
          password: z.string().min(8).max(200).optional(),
        }),
        response: { 201: UserOut },
      },
    },
    async (request, reply) => {
      const actor = request.principal?.actor ?? 'unknown';
      return reply.status(201).send(await auth.createUser(actor, request.body));
    },
  );

  app.get(
    '/api/v1/tokens',
    {
      config: { access: 'read' },
      schema: {
        tags: ['auth'],
        summary: 'List API tokens (yours; every token for admins)',
        response: { 200: z.object({ items: z.array(TokenOut) }) },
      },
    },
    async (request) => {
      const p = request.principal;
      return { items: await auth.listTokens(p?.scopes.has('admin') ? undefined : p?.userName) };
    },
  );

  app.post(
    '/api/v1/tokens',
    {
      config: { access: 'write' },
      schema: {
        tags: ['auth'],
        summary: 'Create an API token; the token is shown once',
        body: z.strictObject({
          name: z.string().min(1).max(100),
          scopes: z.array(z.enum(SCOPES)).min(1),
          user: z.string().optional(),
          expiresInDays: z.number().int().positive().max(3650).optional(),
        }),
        response: { 201: z.object({ token: z.string(), info: TokenOut }) },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      if (!p) throw new UnauthenticatedError('not signed in');
      const { name, scopes, user, expiresInDays } = request.body;
      const created = await auth.createToken(p, {
        name,
        scopes,
        userName: user,
        expiresInMs: expiresInDays ? expiresInDays * 86_400_000 : undefined,
      });
      return reply.status(201).send(created);
    },
  );

  app.delete(
    '/api/v1/tokens/:id',
    {
      config: { access: 'write' },
      schema: {
        tags: ['auth'],
        summary: 'Revoke an API token',
        params: z.object({ id: z.string() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const p = request.principal;
      if (!p) throw new UnauthenticatedError('not signed in');
      await auth.revokeToken(p, request.params.id);
      return reply.status(204).send(null);
    },
  );
}
