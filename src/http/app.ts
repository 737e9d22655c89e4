import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { AuthService } from '../auth/auth.service.ts';
import { installAccessControl, type RouteAccess } from './access.ts';
import { installProblemHandlers, problem, sendProblem } from './problem.ts';
import type { App } from './types.ts';

export interface AppOptions {
  auth: AuthService;
  /** Folder with the built web UI (`web/dist`); the UI is not served when it does not exist. */
  webRoot?: string;
  logger?: FastifyServerOptions['logger'];
  /** Request body limit in bytes (default 1 MiB). */
  bodyLimit?: number;
  version: string;
}

/** Prefixes that belong to the API: unknown paths under them get problem+json, never the UI. */
const API_PREFIXES = ['/api/', '/v2/', '/ofrep/'];
/** Plugin-owned routes (the OpenAPI reference page) that are public by design. */
const DOCS_PREFIX = '/api/docs';

/**
 * Builds the Fastify app without modules: error mapping, access control, OpenAPI, cookies.
 * The composition root registers every module's routes on it, then {@link finishApp}.
 */
export async function createApp(options: AppOptions): Promise<{ app: App; routes: RouteAccess[] }> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: true,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installProblemHandlers(app);
  // The docs plugin's routes are public by design; declare that before access control checks routes.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith(DOCS_PREFIX)) route.config = { ...(route.config ?? {}), access: 'public' };
  });
  // Cookies must be parsed before access control reads the session cookie.
  await app.register(fastifyCookie);
  const routes = installAccessControl(app, options.auth);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Vigil API',
        version: options.version,
        description:
          'Reliability platform API. Authenticate with `Authorization: Bearer vgl_…`. Errors are RFC 9457 problem+json.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });
  return { app, routes };
}

/** Serves the single-page UI: files from `webRoot`, and index.html for client-side routes. */
export async function serveWebUi(app: App, webRoot: string | undefined): Promise<void> {
  const root = webRoot && existsSync(join(webRoot, 'index.html')) ? webRoot : null;
  if (root) await app.register(fastifyStatic, { root, serve: false });
  app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (API_PREFIXES.some((p) => path.startsWith(p))) {
      return sendProblem(reply, request, problem(404, 'VIGIL_NOT_FOUND', `No route GET ${path}`));
    }
    if (!root) {
      return reply
        .type('text/plain')
        .send('The web UI is not built. Run `npm run build`; the API is at /api/v1 and its reference at /api/docs.');
    }
    const file = path.replace(/^\/+/, '');
    if (file && !file.includes('..') && existsSync(join(root, file))) {
      // Vite names assets by content hash, so they may be cached for good.
      if (file.startsWith('assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable');
      return reply.sendFile(file);
    }
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html');
  });
}
