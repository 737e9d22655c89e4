import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import { UnauthenticatedError } from '../core/errors.ts';
import type { App } from '../http/types.ts';
import { ENTITY_KINDS, EntitySpec, INTERACTION_MODES, Name, TEAM_TYPES, TeamSpec } from './catalog.model.ts';
import type { CatalogService, EntityListQuery } from './catalog.service.ts';

const Kind = z.enum(ENTITY_KINDS);
const LinkOut = z.object({ title: z.string().optional(), url: z.string() });
const RelatedOut = z.object({ kind: Kind, name: z.string(), owner: z.string().nullable() });

export const EntitySummaryOut = z.object({
  id: z.string(),
  kind: Kind,
  name: z.string(),
  title: z.string().nullable(),
  description: z.string().nullable(),
  type: z.string().nullable(),
  owner: z.string().nullable(),
  partOf: z.string().nullable(),
  lifecycle: z.string().nullable(),
  tier: z.string().nullable(),
  tags: z.array(z.string()),
  updatedAt: z.number(),
});

export const EntityDetailOut = EntitySummaryOut.extend({
  runbookUrl: z.string().nullable(),
  links: z.array(LinkOut),
  annotations: z.record(z.string(), z.string()),
  source: z.string().nullable(),
  createdAt: z.number(),
  dependsOn: z.array(RelatedOut),
  dependents: z.array(RelatedOut),
});

export const BlastRadiusOut = z.object({
  root: RelatedOut,
  impacted: z.array(
    z.object({
      kind: Kind,
      name: z.string(),
      owner: z.string().nullable(),
      tier: z.string().nullable(),
      depth: z.number().int(),
      via: z.string(),
    }),
  ),
  teams: z.array(z.object({ name: z.string(), count: z.number().int() })),
  edges: z.array(z.object({ from: z.string(), to: z.string() })),
});

const ConwayOut = z.object({
  from: z.object({ ref: z.string(), owner: z.string() }),
  to: z.object({ ref: z.string(), owner: z.string() }),
  message: z.string(),
});

const TeamSummaryOut = z.object({
  name: z.string(),
  title: z.string().nullable(),
  type: z.enum(TEAM_TYPES),
  description: z.string().nullable(),
  memberCount: z.number().int(),
  entityCount: z.number().int(),
});

export const TeamDetailOut = z.object({
  name: z.string(),
  title: z.string().nullable(),
  type: z.enum(TEAM_TYPES),
  description: z.string().nullable(),
  links: z.array(LinkOut),
  members: z.array(z.object({ name: z.string(), displayName: z.string().nullable(), role: z.string() })),
  interactions: z.array(
    z.object({
      team: z.string(),
      mode: z.enum(INTERACTION_MODES),
      description: z.string().nullable(),
      direction: z.enum(['outgoing', 'incoming']),
    }),
  ),
  entities: z.array(EntitySummaryOut),
});

const ListQuery = z.strictObject({
  kind: Kind.optional(),
  q: z.string().max(200).optional().describe('case-insensitive search in name, title and description'),
  owner: z.string().max(63).optional().describe('owning team name'),
  tier: z.string().max(50).optional(),
  lifecycle: z.string().max(50).optional(),
  tag: z.string().max(63).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});
const ServiceListQuery = ListQuery.omit({ kind: true });

const EntityPage = z.object({
  items: z.array(EntitySummaryOut),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
const EntityParams = z.object({ kind: Kind, name: Name });
const NameParams = z.object({ name: Name });

/** On PUT the URL names the item, so the body may leave kind and name out; giving others renames it. */
const EntityReplaceBody = EntitySpec.extend({ kind: Kind.optional(), name: Name.optional() });
const TeamReplaceBody = TeamSpec.extend({ name: Name.optional() });

function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError('Sign in or send "Authorization: Bearer <token>"');
  return request.principal;
}

export function registerCatalogRoutes(app: App, deps: { catalog: CatalogService }): void {
  const { catalog } = deps;
  const page = async (q: EntityListQuery & { limit: number; offset: number }) => ({
    ...(await catalog.listEntities(q)),
    limit: q.limit,
    offset: q.offset,
  });

  app.get(
    '/api/v1/entities',
    {
      config: { access: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'List catalog entities, filtered and paged',
        querystring: ListQuery,
        response: { 200: EntityPage },
      },
    },
    (request) => page(request.query),
  );

  app.get(
    '/api/v1/services',
    {
      config: { access: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'List services, filtered and paged',
        querystring: ServiceListQuery,
        response: { 200: EntityPage },
      },
    },
    (request) => page({ ...request.query, kind: 'service' }),
  );

  app.get(
    '/api/v1/entities/:kind/:name',
    {
      config: { access: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'An entity with its dependencies and dependents',
        params: EntityParams,
        response: { 200: EntityDetailOut },
      },
    },
    (request) => catalog.getEntity(request.params.kind, request.params.name),
  );

  app.get(
    '/api/v1/services/:name',
    {
      config: { access: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'A service with its dependencies and dependents',
        params: NameParams,
        response: { 200: EntityDetailOut },
      },
    },
    (request) => catalog.getEntity('service', request.params.name),
  );

  app.post(
    '/api/v1/entities',
    {
      config: { access: 'write' },
      schema: { tags: ['catalog'], summary: 'Create an entity', body: EntitySpec, response: { 201: EntityDetailOut } },
    },
    async (request, reply) => reply.status(201).send(await catalog.createEntity(caller(request), request.body)),
  );

  app.put(
    '/api/v1/entities/:kind/:name',
    {
      config: { access: 'write' },
      schema: {
        tags: ['catalog'],
        summary: 'Replace an entity’s spec (a different kind or name in the body renames it)',
        params: EntityParams,
        body: EntityReplaceBody,
        response: { 200: EntityDetailOut },
      },
    },
    (request) => {
      const { kind, name } = request.params;
      const body = request.body;
      return catalog.updateEntity(caller(request), kind, name, { ...body, kind: body.kind ?? kind, name: body.name ?? name });
    },
  );

  app.delete(
    '/api/v1/entities/:kind/:name',
    {
      config: { access: 'write' },
      schema: {
        tags: ['catalog'],
        summary: 'Delete an entity and its dependency edges',
        params: EntityParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await catalog.deleteEntity(caller(request), request.params.kind, request.params.name);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/entities/:kind/:name/blast-radius',
    {
      config: { access: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'Everything that depends on an entity, transitively, nearest first',
        params: EntityParams,
        response: { 200: BlastRadiusOut },
      },
    },
    (request) => catalog.blastRadius(`${request.params.kind}:${request.params.name}`),
  );

  app.get(
    '/api/v1/services/:name/blast-radius',
    {
      config: { access: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'Everything that depends on a service, transitively, nearest first',
        params: NameParams,
        response: { 200: BlastRadiusOut },
      },
    },
    (request) => catalog.blastRadius(`service:${request.params.name}`),
  );

  app.get(
    '/api/v1/catalog/conway',
    {
      config: { access: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'Cross-team dependencies whose teams declare no interaction',
        response: { 200: z.object({ items: z.array(ConwayOut) }) },
      },
    },
    async () => ({ items: await catalog.conwayFindings() }),
  );

  app.get(
    '/api/v1/teams',
    {
      config: { access: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'List teams with member and entity counts',
        response: { 200: z.object({ items: z.array(TeamSummaryOut) }) },
      },
    },
    async () => ({ items: await catalog.listTeams() }),
  );

  app.get(
    '/api/v1/teams/:name',
    {
      config: { access: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'A team with its members, interactions and entities',
        params: NameParams,
        response: { 200: TeamDetailOut },
      },
    },
    (request) => catalog.getTeam(request.params.name),
  );

  app.post(
    '/api/v1/teams',
    {
      config: { access: 'write' },
      schema: { tags: ['catalog'], summary: 'Create a team', body: TeamSpec, response: { 201: TeamDetailOut } },
    },
    async (request, reply) => reply.status(201).send(await catalog.createTeam(caller(request), request.body)),
  );

  app.put(
    '/api/v1/teams/:name',
    {
      config: { access: 'write' },
      schema: {
        tags: ['catalog'],
        summary: 'Replace a team’s spec, members and declared interactions (members and admins only)',
        params: NameParams,
        body: TeamReplaceBody,
        response: { 200: TeamDetailOut },
      },
    },
    (request) =>
      catalog.updateTeam(caller(request), request.params.name, {
        ...request.body,
        name: request.body.name ?? request.params.name,
      }),
  );

  app.delete(
    '/api/v1/teams/:name',
    {
      config: { access: 'write' },
      schema: {
        tags: ['catalog'],
        summary: 'Delete a team; its entities stay, without an owner (members and admins only)',
        params: NameParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await catalog.deleteTeam(caller(request), request.params.name);
      return reply.status(204).send(null);
    },
  );
}
