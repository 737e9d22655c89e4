import { z } from 'zod';
import {
  type EntityKind,
  EntitySpec,
  Link,
  Name,
  TEAM_TYPES,
  type TeamSpec,
  TeamSpec as TeamSpecSchema,
  type UserSpec,
  UserSpec as UserSpecSchema,
} from '../catalog/index.ts';
import { handlerRef, type KindContext, type KindRegistry } from './kinds.ts';
import type { FieldPath } from './parse.ts';
import { parseRef, type RefOptions } from './refs.ts';

export const VIGIL_V1 = 'vigil.dev/v1';
export const BACKSTAGE_V1ALPHA1 = 'backstage.io/v1alpha1';

/** Annotations that Backstage descriptors use to say what Backstage itself has no field for. */
export const ANNOTATIONS = {
  tier: 'vigil.dev/tier',
  runbook: 'vigil.dev/runbook',
  teamType: 'vigil.dev/team-type',
} as const;

/**
 * Where the fields of one catalog object were written, so that a problem found later (a
 * reference to nothing, a refusal from the catalog) points at the right line.
 */
export interface Origins {
  /** Where the object is named. */
  self: FieldPath;
  /** Catalog field → document field: `partOf` → `spec.system`. */
  fields: Partial<Record<string, FieldPath>>;
  /** Catalog list field → each element's key (a name, a canonical ref, an index) → document field. */
  elements: Partial<Record<string, Array<{ key: string; at: FieldPath }>>>;
}

/** What catalog kinds hand the catalog handler. */
export type CatalogFragment =
  | { type: 'user'; spec: UserSpec; origins: Origins }
  | { type: 'team'; spec: TeamSpec; origins: Origins }
  | { type: 'entity'; spec: EntitySpec; origins: Origins }
  /** A Backstage User's `memberOf`: membership is stored on the team. */
  | { type: 'member'; team: string; user: string; at: FieldPath }
  /** `providesApis` and `dependencyOf` add a dependency to another entity. */
  | { type: 'dependency'; from: string; to: string; at: FieldPath };

export const CATALOG_HANDLER = handlerRef<CatalogFragment>('catalog');

const ENTITY_REF_KINDS = ['service', 'component', 'system', 'resource', 'api', 'domain'] as const;

/** `component:x` and `x` are services; everything is stored as `kind:name`. */
function canonical(kind: string, name: string): string {
  return `${kind === 'component' ? 'service' : kind}:${name}`;
}

function ref(ctx: KindContext, raw: string, at: FieldPath, options: RefOptions): { kind: string; name: string } | null {
  const parsed = parseRef(raw, options);
  if ('error' in parsed) {
    ctx.issue(at, parsed.error);
    return null;
  }
  return parsed;
}

function indexed(values: readonly string[], base: FieldPath): Array<{ key: string; at: FieldPath }> {
  return values.map((key, i) => ({ key, at: [...base, i] }));
}

// ---------------------------------------------------------------------------------------------
// vigil.dev/v1: strict, so a misspelt field is an error rather than a silent default.

const VigilUserDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({ name: Name }),
  spec: z
    .strictObject({
      displayName: UserSpecSchema.shape.displayName,
      email: UserSpecSchema.shape.email,
      role: UserSpecSchema.shape.role,
    })
    .prefault({}),
});

const VigilTeamDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({
    name: Name,
    title: TeamSpecSchema.shape.title,
    description: TeamSpecSchema.shape.description,
    links: TeamSpecSchema.shape.links,
  }),
  spec: z
    .strictObject({
      type: TeamSpecSchema.shape.type,
      members: TeamSpecSchema.shape.members,
      interactions: TeamSpecSchema.shape.interactions,
    })
    .prefault({}),
});

const vigilEntityMetadata = z.strictObject({
  name: Name,
  title: EntitySpec.shape.title,
  description: EntitySpec.shape.description,
  tags: EntitySpec.shape.tags,
  links: EntitySpec.shape.links,
  annotations: EntitySpec.shape.annotations,
});

const vigilEntitySpecFields = {
  owner: EntitySpec.shape.owner,
  /** The system it belongs to; for a System, its domain. */
  system: Name.nullable().optional(),
  type: EntitySpec.shape.type,
  lifecycle: EntitySpec.shape.lifecycle,
  tier: EntitySpec.shape.tier,
  runbook: EntitySpec.shape.runbookUrl,
  dependsOn: z.array(z.string()).default([]),
};

const VigilEntityDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: vigilEntityMetadata,
  spec: z.strictObject(vigilEntitySpecFields).prefault({}),
});

/** A System may name its domain as `domain`, the clearer word, or as `system` like every other kind. */
const VigilSystemDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: vigilEntityMetadata,
  spec: z.strictObject({ ...vigilEntitySpecFields, domain: Name.nullable().optional() }).prefault({}),
});

type VigilEntityDoc = z.output<typeof VigilSystemDoc>;

export const VIGIL_ENTITY_KINDS: ReadonlyArray<{ kind: string; entity: EntityKind }> = [
  { kind: 'Service', entity: 'service' },
  { kind: 'System', entity: 'system' },
  { kind: 'Resource', entity: 'resource' },
  { kind: 'API', entity: 'api' },
  { kind: 'Domain', entity: 'domain' },
];

function vigilEntity(entity: EntityKind, doc: VigilEntityDoc, ctx: KindContext): CatalogFragment[] {
  const { metadata: m, spec: s } = doc;
  if (s.domain !== undefined && s.system !== undefined) {
    ctx.issue(['spec', 'domain'], 'give the domain once, as spec.domain or spec.system');
  }
  const partOfField = s.domain !== undefined ? 'domain' : 'system';
  const dependsOn: string[] = [];
  const dependsOnAt: Array<{ key: string; at: FieldPath }> = [];
  s.dependsOn.forEach((raw, i) => {
    const r = ref(ctx, raw, ['spec', 'dependsOn', i], { defaultKind: 'service', kinds: ENTITY_REF_KINDS });
    if (!r) return;
    const key = canonical(r.kind, r.name);
    dependsOn.push(key);
    dependsOnAt.push({ key, at: ['spec', 'dependsOn', i] });
  });
  const spec: EntitySpec = {
    kind: entity,
    name: m.name,
    title: m.title,
    description: m.description,
    type: s.type,
    owner: s.owner,
    partOf: s.domain ?? s.system ?? null,
    lifecycle: s.lifecycle,
    tier: s.tier,
    runbookUrl: s.runbook,
    links: m.links,
    tags: m.tags,
    annotations: m.annotations,
    dependsOn,
  };
  return [
    {
      type: 'entity',
      spec,
      origins: {
        self: ['metadata', 'name'],
        fields: {
          title: ['metadata', 'title'],
          description: ['metadata', 'description'],
          type: ['spec', 'type'],
          owner: ['spec', 'owner'],
          partOf: ['spec', partOfField],
          lifecycle: ['spec', 'lifecycle'],
          tier: ['spec', 'tier'],
          runbookUrl: ['spec', 'runbook'],
          links: ['metadata', 'links'],
          tags: ['metadata', 'tags'],
          annotations: ['metadata', 'annotations'],
          dependsOn: ['spec', 'dependsOn'],
        },
        elements: {
          tags: indexed(m.tags, ['metadata', 'tags']),
          links: indexed(
            m.links.map((_, i) => String(i)),
            ['metadata', 'links'],
          ),
          dependsOn: dependsOnAt,
        },
      },
    },
  ];
}

function registerVigilKinds(registry: KindRegistry): void {
  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'User',
    description: 'a person: display name, e-mail, role',
    schema: VigilUserDoc,
    handler: CATALOG_HANDLER,
    toDesired: (doc): CatalogFragment[] => [
      {
        type: 'user',
        spec: { name: doc.metadata.name, ...doc.spec },
        origins: {
          self: ['metadata', 'name'],
          fields: { displayName: ['spec', 'displayName'], email: ['spec', 'email'], role: ['spec', 'role'] },
          elements: {},
        },
      },
    ],
  });

  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'Team',
    description: 'a team: Team Topologies type, members, interactions',
    schema: VigilTeamDoc,
    handler: CATALOG_HANDLER,
    toDesired: (doc): CatalogFragment[] => [
      {
        type: 'team',
        spec: { ...doc.metadata, ...doc.spec },
        origins: {
          self: ['metadata', 'name'],
          fields: {
            title: ['metadata', 'title'],
            description: ['metadata', 'description'],
            links: ['metadata', 'links'],
            type: ['spec', 'type'],
            members: ['spec', 'members'],
            interactions: ['spec', 'interactions'],
          },
          elements: {
            members: indexed(doc.spec.members, ['spec', 'members']),
            interactions: indexed(
              doc.spec.interactions.map((i) => `${i.team}/${i.mode}`),
              ['spec', 'interactions'],
            ),
            links: indexed(
              doc.metadata.links.map((_, i) => String(i)),
              ['metadata', 'links'],
            ),
          },
        },
      },
    ],
  });

  for (const { kind, entity } of VIGIL_ENTITY_KINDS) {
    registry.register({
      apiVersion: VIGIL_V1,
      kind,
      description: `a catalog ${entity}`,
      schema: (entity === 'system' ? VigilSystemDoc : VigilEntityDoc) as z.ZodType<VigilEntityDoc>,
      handler: CATALOG_HANDLER,
      toDesired: (doc, ctx) => vigilEntity(entity, doc, ctx),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// backstage.io/v1alpha1: accepted as Backstage writes it. Fields Vigil does not model are
// Backstage's business and are ignored; the ones Vigil models are validated.

/** Backstage names are case-insensitive; Vigil stores them in lowercase. */
const BackstageName = z
  .string()
  .min(1)
  .transform((s) => s.toLowerCase())
  .pipe(Name);

const BackstageMetadata = z.object({
  name: BackstageName,
  namespace: z.string().optional(),
  title: z.string().max(200).optional(),
  description: z.string().max(5000).optional(),
  tags: z.array(z.string().min(1).max(63)).optional(),
  links: z.array(z.object({ url: z.url(), title: z.string().max(200).optional() })).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
type BackstageMetadata = z.output<typeof BackstageMetadata>;

const Refs = z.array(z.string()).optional();

const BackstageEntitySpecFields = z.object({
  type: z.string().max(100).optional(),
  lifecycle: z.string().max(50).optional(),
  owner: z.string().optional(),
  system: z.string().optional(),
  domain: z.string().optional(),
  dependsOn: Refs,
  dependencyOf: Refs,
  providesApis: Refs,
  consumesApis: Refs,
});
type BackstageEntitySpec = Partial<z.output<typeof BackstageEntitySpecFields>>;

function backstageDoc<Shape extends z.ZodRawShape>(spec: z.ZodObject<Shape>) {
  return z.object({
    apiVersion: z.string(),
    kind: z.string(),
    metadata: BackstageMetadata,
    spec: spec.prefault({} as z.input<z.ZodObject<Shape>>),
  });
}

/** Each Backstage kind's fields that Vigil models; the others are not even type-checked. */
const BACKSTAGE_ENTITY_KINDS = [
  {
    kind: 'Component',
    entity: 'service',
    spec: BackstageEntitySpecFields.pick({
      type: true,
      lifecycle: true,
      owner: true,
      system: true,
      dependsOn: true,
      dependencyOf: true,
      providesApis: true,
      consumesApis: true,
    }),
  },
  {
    kind: 'API',
    entity: 'api',
    spec: BackstageEntitySpecFields.pick({ type: true, lifecycle: true, owner: true, system: true }),
  },
  {
    kind: 'Resource',
    entity: 'resource',
    spec: BackstageEntitySpecFields.pick({ type: true, owner: true, system: true, dependsOn: true, dependencyOf: true }),
  },
  { kind: 'System', entity: 'system', spec: BackstageEntitySpecFields.pick({ type: true, owner: true, domain: true }) },
  { kind: 'Domain', entity: 'domain', spec: BackstageEntitySpecFields.pick({ type: true, owner: true }) },
] as const;

function checkNamespace(ctx: KindContext, m: BackstageMetadata): void {
  if (m.namespace !== undefined && m.namespace.toLowerCase() !== 'default') {
    ctx.issue(
      ['metadata', 'namespace'],
      `namespace "${m.namespace}" is not supported: Vigil has a single namespace, so names must be unique across the catalog; remove the namespace or use "default"`,
    );
  }
}

function backstageEntity(
  entity: EntityKind,
  doc: { metadata: BackstageMetadata; spec: BackstageEntitySpec },
  ctx: KindContext,
): CatalogFragment[] {
  const { metadata: m, spec: s } = doc;
  checkNamespace(ctx, m);
  const self = `${entity}:${m.name}`;
  const fold = { foldCase: true };
  const out: CatalogFragment[] = [];

  let owner: string | null = null;
  if (s.owner !== undefined) {
    const r = parseRef(s.owner, { defaultKind: 'group', kinds: ['group'], ...fold });
    if ('error' in r) {
      const hint = /^user:/i.test(s.owner) ? '; Vigil entities are owned by teams (Backstage Groups)' : '';
      ctx.issue(['spec', 'owner'], `${r.error}${hint}`);
    } else owner = r.name;
  }

  let partOf: string | null = null;
  let partOfAt: FieldPath = ['spec', 'system'];
  if (s.system !== undefined) {
    partOf = ref(ctx, s.system, ['spec', 'system'], { defaultKind: 'system', kinds: ['system'], ...fold })?.name ?? null;
  } else if (s.domain !== undefined) {
    partOfAt = ['spec', 'domain'];
    partOf = ref(ctx, s.domain, ['spec', 'domain'], { defaultKind: 'domain', kinds: ['domain'], ...fold })?.name ?? null;
  }

  const dependsOn: Array<{ key: string; at: FieldPath }> = [];
  (s.dependsOn ?? []).forEach((raw, i) => {
    const at = ['spec', 'dependsOn', i];
    const r = ref(ctx, raw, at, { defaultKind: 'component', kinds: ENTITY_REF_KINDS, ...fold });
    if (r) dependsOn.push({ key: canonical(r.kind, r.name), at });
  });
  (s.consumesApis ?? []).forEach((raw, i) => {
    const at = ['spec', 'consumesApis', i];
    const r = ref(ctx, raw, at, { defaultKind: 'api', kinds: ['api'], ...fold });
    if (r) dependsOn.push({ key: canonical(r.kind, r.name), at });
  });
  (s.providesApis ?? []).forEach((raw, i) => {
    const at = ['spec', 'providesApis', i];
    const r = ref(ctx, raw, at, { defaultKind: 'api', kinds: ['api'], ...fold });
    if (r) out.push({ type: 'dependency', from: canonical(r.kind, r.name), to: self, at });
  });
  (s.dependencyOf ?? []).forEach((raw, i) => {
    const at = ['spec', 'dependencyOf', i];
    const r = ref(ctx, raw, at, { defaultKind: 'component', kinds: ENTITY_REF_KINDS, ...fold });
    if (r) out.push({ type: 'dependency', from: canonical(r.kind, r.name), to: self, at });
  });

  const annotations = { ...(m.annotations ?? {}) };
  const tierAt: FieldPath = ['metadata', 'annotations', ANNOTATIONS.tier];
  const tier = annotations[ANNOTATIONS.tier] ?? null;
  if (tier !== null) {
    const valid = EntitySpec.shape.tier.safeParse(tier);
    if (!valid.success) ctx.issue(tierAt, valid.error.issues[0]?.message ?? 'invalid tier');
  }

  const links = (m.links ?? []).map((l) => (l.title === undefined ? { url: l.url } : { title: l.title, url: l.url }));
  let runbookUrl: string | null = null;
  let runbookAt: FieldPath = ['metadata', 'annotations', ANNOTATIONS.runbook];
  const runbookAnnotation = annotations[ANNOTATIONS.runbook];
  if (runbookAnnotation !== undefined) {
    if (Link.shape.url.safeParse(runbookAnnotation).success) runbookUrl = runbookAnnotation;
    else ctx.issue(runbookAt, 'must be a URL');
  } else {
    const i = links.findIndex((l) => l.title?.trim().toLowerCase() === 'runbook');
    const link = links[i];
    if (link) {
      runbookUrl = link.url;
      runbookAt = ['metadata', 'links', i];
    }
  }
  // These annotations became fields; keeping them too would store every value twice.
  delete annotations[ANNOTATIONS.tier];
  delete annotations[ANNOTATIONS.runbook];

  out.unshift({
    type: 'entity',
    spec: {
      kind: entity,
      name: m.name,
      title: m.title ?? null,
      description: m.description ?? null,
      type: s.type ?? null,
      owner,
      partOf,
      lifecycle: s.lifecycle ?? null,
      tier,
      runbookUrl,
      links,
      tags: m.tags ?? [],
      annotations,
      dependsOn: dependsOn.map((d) => d.key),
    },
    origins: {
      self: ['metadata', 'name'],
      fields: {
        title: ['metadata', 'title'],
        description: ['metadata', 'description'],
        type: ['spec', 'type'],
        owner: ['spec', 'owner'],
        partOf: partOfAt,
        lifecycle: ['spec', 'lifecycle'],
        tier: tierAt,
        runbookUrl: runbookAt,
        links: ['metadata', 'links'],
        tags: ['metadata', 'tags'],
        annotations: ['metadata', 'annotations'],
        dependsOn: ['spec', 'dependsOn'],
      },
      elements: {
        tags: indexed(m.tags ?? [], ['metadata', 'tags']),
        links: indexed(
          links.map((_, i) => String(i)),
          ['metadata', 'links'],
        ),
        dependsOn,
      },
    },
  });
  return out;
}

const BackstageProfile = z.object({ displayName: z.string().max(200).optional(), email: z.email().optional() }).optional();

const BackstageGroupDoc = backstageDoc(z.object({ profile: BackstageProfile, members: Refs }));
const BackstageUserDoc = backstageDoc(z.object({ profile: BackstageProfile, memberOf: Refs }));

/** Location targets are followed where the files are (`files.ts`); the server only checks their shape. */
const BackstageLocationDoc = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.object({ name: z.string().optional() }).optional(),
  spec: z.object({
    type: z.string().optional(),
    target: z.string().optional(),
    targets: z.array(z.string()).optional(),
    presence: z.enum(['required', 'optional']).optional(),
  }),
});

function registerBackstageKinds(registry: KindRegistry): void {
  for (const { kind, entity, spec } of BACKSTAGE_ENTITY_KINDS) {
    registry.register({
      apiVersion: BACKSTAGE_V1ALPHA1,
      kind,
      description: `Backstage ${kind}, stored as a catalog ${entity}`,
      schema: backstageDoc(spec) as z.ZodType<{ metadata: BackstageMetadata; spec: BackstageEntitySpec }>,
      handler: CATALOG_HANDLER,
      toDesired: (doc, ctx) => backstageEntity(entity, doc, ctx),
    });
  }

  registry.register({
    apiVersion: BACKSTAGE_V1ALPHA1,
    kind: 'Group',
    description: 'Backstage Group, stored as a team',
    schema: BackstageGroupDoc,
    handler: CATALOG_HANDLER,
    toDesired: (doc, ctx): CatalogFragment[] => {
      const { metadata: m, spec: s } = doc;
      checkNamespace(ctx, m);
      const typeAt: FieldPath = ['metadata', 'annotations', ANNOTATIONS.teamType];
      const rawType = m.annotations?.[ANNOTATIONS.teamType] ?? 'stream-aligned';
      const type = z.enum(TEAM_TYPES).safeParse(rawType);
      if (!type.success) ctx.issue(typeAt, `must be one of: ${TEAM_TYPES.join(', ')}`);
      const members: Array<{ key: string; at: FieldPath }> = [];
      (s.members ?? []).forEach((raw, i) => {
        const at = ['spec', 'members', i];
        const r = ref(ctx, raw, at, { defaultKind: 'user', kinds: ['user'], foldCase: true });
        if (r) members.push({ key: r.name, at });
      });
      const links = (m.links ?? []).map((l) => (l.title === undefined ? { url: l.url } : { title: l.title, url: l.url }));
      return [
        {
          type: 'team',
          spec: {
            name: m.name,
            title: s.profile?.displayName ?? m.title ?? null,
            description: m.description ?? null,
            type: type.success ? type.data : 'stream-aligned',
            members: members.map((x) => x.key),
            interactions: [],
            links,
          },
          origins: {
            self: ['metadata', 'name'],
            fields: {
              title: s.profile?.displayName !== undefined ? ['spec', 'profile', 'displayName'] : ['metadata', 'title'],
              description: ['metadata', 'description'],
              type: typeAt,
              links: ['metadata', 'links'],
              members: ['spec', 'members'],
            },
            elements: {
              members,
              links: indexed(
                links.map((_, i) => String(i)),
                ['metadata', 'links'],
              ),
            },
          },
        },
      ];
    },
  });

  registry.register({
    apiVersion: BACKSTAGE_V1ALPHA1,
    kind: 'User',
    description: 'Backstage User, stored as a user (and its team memberships)',
    schema: BackstageUserDoc,
    handler: CATALOG_HANDLER,
    toDesired: (doc, ctx): CatalogFragment[] => {
      const { metadata: m, spec: s } = doc;
      checkNamespace(ctx, m);
      const out: CatalogFragment[] = [
        {
          type: 'user',
          spec: { name: m.name, displayName: s.profile?.displayName ?? null, email: s.profile?.email ?? null, role: 'member' },
          origins: {
            self: ['metadata', 'name'],
            fields: { displayName: ['spec', 'profile', 'displayName'], email: ['spec', 'profile', 'email'] },
            elements: {},
          },
        },
      ];
      (s.memberOf ?? []).forEach((raw, i) => {
        const at = ['spec', 'memberOf', i];
        const r = ref(ctx, raw, at, { defaultKind: 'group', kinds: ['group'], foldCase: true });
        if (r) out.push({ type: 'member', team: r.name, user: m.name, at });
      });
      return out;
    },
  });

  registry.register({
    apiVersion: BACKSTAGE_V1ALPHA1,
    kind: 'Location',
    description: 'Backstage Location: more manifest files to read',
    schema: BackstageLocationDoc,
    handler: CATALOG_HANDLER,
    toDesired: (doc, ctx) => {
      if (doc.spec.target === undefined && doc.spec.targets === undefined)
        ctx.issue(['spec'], 'a Location needs spec.target or spec.targets');
      return [];
    },
  });
}

/** Registers the catalog's kinds: Vigil's own and Backstage's. */
export function registerCatalogKinds(registry: KindRegistry): KindRegistry {
  registerVigilKinds(registry);
  registerBackstageKinds(registry);
  return registry;
}
