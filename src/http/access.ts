import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../auth/auth.service.ts';
import { type Access, allows, type Principal } from '../auth/principal.ts';
import { NotAllowedError, UnauthenticatedError } from '../core/errors.ts';

export const SESSION_COOKIE = 'vigil_session';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route. Required on every route; the app refuses to start without it. */
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Routes registered so far with their access level (the route-walk test reads this). */
export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

/**
 * Resolves the caller (bearer token or session cookie) and enforces each route's declared
 * access. Cookie-authenticated writes must echo the session's CSRF token in `X-CSRF-Token`.
 */
export function installAccessControl(app: FastifyInstance, auth: AuthService): RouteAccess[] {
  const routes: RouteAccess[] = [];
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((m) => m === 'HEAD' || m === 'OPTIONS')) return;
    if (!access) throw new Error(`route ${methods.join(',')} ${route.url} does not declare config.access`);
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, access });
  });
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access ?? 'public';
    if (access === 'public') {
      // Public routes (login among them) never fail on credentials: a stale cookie or a missing
      // CSRF header just means "anonymous" here.
      request.principal = await resolvePrincipal(request, auth).catch(() => null);
      return;
    }
    request.principal = await resolvePrincipal(request, auth);
    if (!request.principal) throw new UnauthenticatedError('Sign in or send "Authorization: Bearer <token>"');
    if (!allows(request.principal, access)) {
      throw new NotAllowedError(`This needs the "${access}" scope, which your credentials do not have`);
    }
  });
  return routes;
}

async function resolvePrincipal(request: FastifyRequest, auth: AuthService): Promise<Principal | null> {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
    const principal = await auth.authenticateToken(match[1]);
    if (!principal) throw new UnauthenticatedError('The token is unknown, revoked or expired');
    return principal;
  }
  const secret = request.cookies?.[SESSION_COOKIE];
  if (!secret) return null;
  const session = await auth.authenticateSession(secret);
  if (!session) return null;
  if (MUTATING.has(request.method) && request.headers[CSRF_HEADER] !== session.csrfToken) {
    throw new NotAllowedError('Missing or wrong X-CSRF-Token header for a cookie-authenticated change');
  }
  return session.principal;
}
