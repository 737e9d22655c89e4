import { z } from 'zod';
import { UnauthenticatedError } from '../core/errors.ts';
import type { App } from '../http/types.ts';
import type { ManifestService } from './manifests.service.ts';

const ManifestBody = z.strictObject({
  files: z
    .array(z.strictObject({ path: z.string().min(1).max(1000), content: z.string() }))
    .min(1)
    .max(5000),
  source: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'letters, digits and . _ : / -')
    .max(200)
    .default('default'),
  prune: z.boolean().default(false),
});

const Summary = z.object({
  create: z.number(),
  update: z.number(),
  delete: z.number(),
  adopt: z.number(),
  unchanged: z.number(),
});

const PlanOut = z.object({
  drift: z.boolean(),
  changes: z.array(
    z.object({
      action: z.enum(['create', 'update', 'delete', 'adopt']),
      ref: z.string(),
      fields: z.array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() })),
      file: z.string().optional(),
      line: z.number().optional(),
    }),
  ),
  summary: Summary,
});

const ApplyOut = z.object({
  created: z.array(z.string()),
  updated: z.array(z.string()),
  deleted: z.array(z.string()),
  adopted: z.array(z.string()),
  unchanged: z.array(z.string()),
  summary: Summary,
  secrets: z
    .array(z.object({ ref: z.string(), key: z.string(), path: z.string() }))
    .optional()
    .describe('keys of integrations this apply created: shown only in this answer'),
});

export function registerManifestRoutes(app: App, deps: { manifests: ManifestService }): void {
  const { manifests } = deps;

  app.post(
    '/api/v1/manifests/plan',
    {
      config: { access: 'read' },
      schema: {
        tags: ['manifests'],
        summary: 'What applying these manifests would change (drift)',
        body: ManifestBody,
        response: { 200: PlanOut },
      },
    },
    async (request) => {
      const { files, source, prune } = request.body;
      return manifests.plan(files, { source, prune });
    },
  );

  app.post(
    '/api/v1/manifests/apply',
    {
      config: { access: 'write' },
      schema: {
        tags: ['manifests'],
        summary: 'Make the catalog match these manifests, all or nothing',
        body: ManifestBody,
        response: { 200: ApplyOut },
      },
    },
    async (request) => {
      const p = request.principal;
      if (!p) throw new UnauthenticatedError('not signed in');
      const { files, source, prune } = request.body;
      return manifests.apply(p, files, { source, prune });
    },
  );

  app.get(
    '/api/v1/manifests/export',
    {
      config: { access: 'read' },
      schema: {
        tags: ['manifests'],
        summary: 'Everything manifests manage as vigil.dev/v1 YAML (or SLOs as OpenSLO v1) that apply accepts unchanged',
        querystring: z.strictObject({
          format: z.enum(['vigil', 'openslo']).default('vigil').describe('openslo: SLIs, SLOs and DataSources as OpenSLO v1'),
        }),
        response: { 200: z.string().describe('multi-document YAML (application/yaml)') },
      },
    },
    async (request, reply) => {
      const yaml = await manifests.exportYaml(request.query.format);
      return reply.type('application/yaml; charset=utf-8').send(yaml);
    },
  );
}
