import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { CatalogState } from '../catalog/index.ts';
import { InputError } from '../core/errors.ts';
import { desiredCatalog } from './catalog.handler.ts';
import { type CatalogFragment, registerCatalogKinds } from './catalog.kinds.ts';
import { handlerRef, KindRegistry, type Located } from './kinds.ts';
import { type ManifestFile, parseManifests } from './parse.ts';

const kinds = registerCatalogKinds(new KindRegistry());

function desired(...files: Array<string | ManifestFile>): CatalogState {
  const list = files.map((f, i) => (typeof f === 'string' ? { path: `m${i}.yaml`, content: f } : f));
  const fragments = (kinds.interpret(parseManifests(list)).get('catalog') ?? []) as Array<Located<CatalogFragment>>;
  return desiredCatalog(fragments, 'default');
}

function issues(...files: Array<string | ManifestFile>): InputError['issues'] {
  try {
    desired(...files);
  } catch (error) {
    if (error instanceof InputError) return error.issues;
    throw error;
  }
  throw new Error('expected the manifests to be refused');
}

const service = (name: string, spec = '') =>
  `apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  owner: payments\n${spec}`;

describe('vigil.dev/v1 kinds', () => {
  test('User, Team and entities with their defaults', () => {
    const state = desired(`apiVersion: vigil.dev/v1
kind: User
metadata:
  name: alice
spec:
  displayName: Alice
  email: alice@example.com
  role: admin
---
apiVersion: vigil.dev/v1
kind: User
metadata:
  name: bob
---
apiVersion: vigil.dev/v1
kind: Team
metadata:
  name: payments
  title: Payments
  links: [{ title: Handbook, url: "https://wiki.example.com/payments" }]
spec:
  type: stream-aligned
  members: [bob, alice]
  interactions:
    - { team: platform, mode: x-as-a-service }
---
apiVersion: vigil.dev/v1
kind: System
metadata:
  name: shop
spec:
  domain: commerce
---
apiVersion: vigil.dev/v1
kind: Service
metadata:
  name: checkout
  tags: [revenue, customer-facing]
  annotations: { github.com/project-slug: acme/checkout }
spec:
  owner: payments
  system: shop
  tier: tier-1
  runbook: https://runbooks.example.com/checkout
  dependsOn: [cart, resource:orders-db, component:default/ledger, api:payments-api]
`);
    expect(state.users).toEqual([
      { name: 'alice', displayName: 'Alice', email: 'alice@example.com', role: 'admin', source: 'default' },
      { name: 'bob', displayName: null, email: null, role: 'member', source: 'default' },
    ]);
    expect(state.teams).toEqual([
      {
        name: 'payments',
        title: 'Payments',
        description: null,
        type: 'stream-aligned',
        members: ['alice', 'bob'],
        interactions: [{ team: 'platform', mode: 'x-as-a-service', description: null }],
        links: [{ title: 'Handbook', url: 'https://wiki.example.com/payments' }],
        source: 'default',
      },
    ]);
    const checkout = state.entities.find((e) => e.name === 'checkout');
    expect(checkout).toMatchObject({
      kind: 'service',
      owner: 'payments',
      partOf: 'shop',
      tier: 'tier-1',
      runbookUrl: 'https://runbooks.example.com/checkout',
      tags: ['customer-facing', 'revenue'],
      annotations: { 'github.com/project-slug': 'acme/checkout' },
      dependsOn: ['api:payments-api', 'resource:orders-db', 'service:cart', 'service:ledger'],
    });
    expect(state.entities.find((e) => e.name === 'shop')).toMatchObject({ kind: 'system', partOf: 'commerce', owner: null });
  });

  test('a System may also name its domain as spec.system, but not both ways at once', () => {
    const sys = (spec: string) => `apiVersion: vigil.dev/v1\nkind: System\nmetadata:\n  name: shop\nspec:\n${spec}`;
    expect(desired(sys('  system: commerce\n')).entities[0]?.partOf).toBe('commerce');
    expect(issues(sys('  system: commerce\n  domain: commerce\n'))).toEqual([
      expect.objectContaining({ path: 'spec.domain', line: 7 }),
    ]);
  });

  test('unknown fields are errors with their path and line', () => {
    expect(issues(service('checkout', '  ownr: payments\n  tier: tier-1\n'))).toEqual([
      { path: 'spec.ownr', message: 'unknown field', file: 'm0.yaml', line: 7 },
    ]);
    expect(issues(`apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: a\n  domain: x\n`)[0]).toMatchObject({
      path: 'metadata.domain',
      line: 5,
    });
    // `domain` is a System's word only.
    expect(issues(service('checkout', '  domain: commerce\n'))[0]).toMatchObject({
      path: 'spec.domain',
      message: 'unknown field',
    });
  });

  test('invalid values and missing names point at their field', () => {
    const found = issues(
      `apiVersion: vigil.dev/v1\nkind: Team\nmetadata:\n  name: Payments Team\nspec:\n  type: squad\n`,
      `apiVersion: vigil.dev/v1\nkind: User\nmetadata: {}\n`,
    );
    expect(found.map((i) => [i.file, i.path, i.line])).toEqual([
      ['m0.yaml', 'metadata.name', 4],
      ['m0.yaml', 'spec.type', 6],
      ['m1.yaml', 'metadata.name', 3],
    ]);
    expect(found[2]?.message).toMatch(/^required/);
  });

  test('dependsOn references: kinds, the default namespace, and what is refused', () => {
    const found = issues(
      service(
        'checkout',
        '  dependsOn:\n    - cart\n    - resource:default/orders-db\n    - resource:prod/orders-db\n    - user:alice\n    - "not a ref!"\n',
      ),
    );
    expect(found.map((i) => [i.path, i.line])).toEqual([
      ['spec.dependsOn[2]', 10],
      ['spec.dependsOn[3]', 11],
      ['spec.dependsOn[4]', 12],
    ]);
    expect(found[0]?.message).toMatch(/namespace "prod".*single namespace/);
    expect(found[1]?.message).toMatch(/refers to a user/);
  });

  test('unknown apiVersion and kind are errors at their line', () => {
    const found = issues(
      {
        path: 'x.yaml',
        content: `apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: ok\n---\napiVersion: example.com/v9\nkind: Thing\n`,
      },
      { path: 'y.yaml', content: `# comment\napiVersion: vigil.dev/v1\nkind: Servise\n` },
      { path: 'z.yaml', content: `- just\n- a list\n` },
    );
    expect(found).toEqual([
      expect.objectContaining({
        file: 'x.yaml',
        line: 6,
        path: 'apiVersion',
        message: expect.stringContaining('backstage.io/v1alpha1'),
      }),
      expect.objectContaining({ file: 'y.yaml', line: 3, path: 'kind', message: expect.stringContaining('Service') }),
      expect.objectContaining({ file: 'z.yaml', line: 1, path: '(document)' }),
    ]);
  });

  test('the same object defined twice names both places', () => {
    const found = issues(
      { path: 'a.yaml', content: service('checkout') },
      { path: 'b.yaml', content: `# again\n${service('checkout')}` },
    );
    expect(found).toEqual([
      expect.objectContaining({
        file: 'b.yaml',
        line: 5,
        message: expect.stringContaining('service:checkout is defined twice: here and at a.yaml:4'),
      }),
    ]);
  });
});

describe('backstage.io/v1alpha1 kinds', () => {
  const component = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: Checkout
  namespace: default
  title: Checkout
  labels: { team: payments }
  tags: [revenue]
  annotations:
    vigil.dev/tier: tier-1
    backstage.io/techdocs-ref: dir:.
  links:
    - url: https://grafana.example.com/d/checkout
      title: Dashboard
      icon: dashboard
    - url: https://runbooks.example.com/checkout
      title: Runbook
spec:
  type: service
  lifecycle: production
  owner: group:default/payments
  system: system:shop
  subcomponentOf: web
  dependsOn:
    - resource:default/orders-db
    - Component:Cart
  consumesApis: [payments-api]
  providesApis: [api:checkout-api]
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: checkout-api
spec:
  type: openapi
  lifecycle: production
  owner: payments
  definition: |
    openapi: 3.0.0
`;

  test('a Component is a service entity; fields Vigil does not model are ignored', () => {
    const state = desired(component);
    expect(state.entities.find((e) => e.name === 'checkout')).toEqual({
      kind: 'service',
      name: 'checkout',
      title: 'Checkout',
      description: null,
      type: 'service',
      owner: 'payments',
      partOf: 'shop',
      lifecycle: 'production',
      tier: 'tier-1',
      runbookUrl: 'https://runbooks.example.com/checkout',
      links: [
        { title: 'Dashboard', url: 'https://grafana.example.com/d/checkout' },
        { title: 'Runbook', url: 'https://runbooks.example.com/checkout' },
      ],
      tags: ['revenue'],
      annotations: { 'backstage.io/techdocs-ref': 'dir:.' },
      dependsOn: ['api:payments-api', 'resource:orders-db', 'service:cart'],
      source: 'default',
    });
  });

  test('providesApis makes the API depend on the component; consumesApis the component on the API', () => {
    const state = desired(component);
    expect(state.entities.find((e) => e.name === 'checkout-api')).toMatchObject({ kind: 'api', dependsOn: ['service:checkout'] });
    expect(state.entities.find((e) => e.name === 'checkout')?.dependsOn).toContain('api:payments-api');
  });

  test('dependencyOf adds the dependency to the other entity', () => {
    const state = desired(`apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: orders-db }
spec: { type: database, owner: payments, dependencyOf: [component:checkout] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: checkout }
spec: { type: service, owner: payments }
`);
    expect(state.entities.find((e) => e.name === 'checkout')?.dependsOn).toEqual(['resource:orders-db']);
  });

  test('a provided API that the manifests do not define is an error at providesApis', () => {
    const found = issues(component.replace('providesApis: [api:checkout-api]', 'providesApis: [api:elsewhere]'));
    expect(found).toEqual([
      expect.objectContaining({
        path: 'spec.providesApis[0]',
        line: 28,
        message: expect.stringContaining('api:elsewhere is not defined'),
      }),
    ]);
  });

  test('the runbook annotation wins over a Runbook link, and must be a URL', () => {
    const withAnnotation = component.replace('vigil.dev/tier: tier-1', 'vigil.dev/runbook: https://rb.example.com/x');
    expect(desired(withAnnotation).entities.find((e) => e.name === 'checkout')).toMatchObject({
      runbookUrl: 'https://rb.example.com/x',
      tier: null,
    });
    expect(issues(component.replace('vigil.dev/tier: tier-1', 'vigil.dev/runbook: see wiki'))).toEqual([
      expect.objectContaining({ path: 'metadata.annotations["vigil.dev/runbook"]', line: 10, message: 'must be a URL' }),
    ]);
  });

  test('a namespace other than default is refused, in metadata and in references', () => {
    const found = issues(
      component
        .replace('namespace: default', 'namespace: payments')
        .replace('owner: group:default/payments', 'owner: group:ops/payments'),
    );
    expect(found.map((i) => [i.path, i.line])).toEqual([
      ['metadata.namespace', 5],
      ['spec.owner', 21],
    ]);
    expect(found[0]?.message).toContain('single namespace');
    expect(found[1]?.message).toContain('namespace "ops"');
  });

  test('an entity owned by a user is refused: Vigil entities are owned by teams', () => {
    const found = issues(component.replace('owner: group:default/payments', 'owner: user:default/alice'));
    expect(found[0]).toMatchObject({ path: 'spec.owner', message: expect.stringContaining('owned by teams') });
  });

  test('Groups are teams; members come from the Group and from Users memberOf', () => {
    const state = desired(
      `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  description: Card payments.
  annotations: { vigil.dev/team-type: platform }
  links: [{ url: "https://wiki.example.com/payments", title: Handbook }]
spec:
  type: team
  profile: { displayName: Payments Team, picture: "https://example.com/p.png" }
  parent: engineering
  children: []
  members: [user:default/alice, Bob]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: search }
spec: { type: team, children: [] }
`,
      `apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: carol }
spec:
  profile: { displayName: Carol N, email: carol@example.com }
  memberOf: [payments, group:default/search]
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: alice }
spec: { memberOf: [payments] }
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: bob }
spec: {}
`,
    );
    expect(state.teams).toEqual([
      {
        name: 'payments',
        title: 'Payments Team',
        description: 'Card payments.',
        type: 'platform',
        members: ['alice', 'bob', 'carol'],
        interactions: [],
        links: [{ title: 'Handbook', url: 'https://wiki.example.com/payments' }],
        source: 'default',
      },
      {
        name: 'search',
        title: null,
        description: null,
        type: 'stream-aligned',
        members: ['carol'],
        interactions: [],
        links: [],
        source: 'default',
      },
    ]);
    expect(state.users.find((u) => u.name === 'carol')).toEqual({
      name: 'carol',
      displayName: 'Carol N',
      email: 'carol@example.com',
      role: 'member',
      source: 'default',
    });
  });

  test('a bad team type is an error at its annotation', () => {
    const found = issues(`apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
  annotations:
    vigil.dev/team-type: squad
spec: {}
`);
    expect(found).toEqual([expect.objectContaining({ path: 'metadata.annotations["vigil.dev/team-type"]', line: 6 })]);
  });

  test('memberOf a Group the manifests do not define is an error at memberOf', () => {
    const found = issues(`apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: payments
spec: {}
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata: { name: carol }
spec:
  memberOf: [payments, ghosts]
`);
    expect(found).toEqual([
      expect.objectContaining({
        path: 'spec.memberOf[1]',
        line: 11,
        message: expect.stringContaining('group "ghosts" is not defined'),
      }),
    ]);
  });

  test('a Location contributes nothing itself (its targets are read as files)', () => {
    expect(desired(`apiVersion: backstage.io/v1alpha1\nkind: Location\nspec:\n  targets: [./a.yaml]\n`)).toEqual({
      users: [],
      teams: [],
      entities: [],
    });
    expect(issues(`apiVersion: backstage.io/v1alpha1\nkind: Location\nspec: {}\n`)[0]).toMatchObject({ path: 'spec' });
  });

  test('Backstage and Vigil documents describing the same object are duplicates', () => {
    const found = issues({ path: 'vigil.yaml', content: service('checkout') }, { path: 'catalog-info.yaml', content: component });
    expect(found[0]).toMatchObject({ file: 'catalog-info.yaml', line: 4, message: expect.stringContaining('vigil.yaml:4') });
  });
});

describe('KindRegistry', () => {
  test('later modules register kinds with handlers of their own', () => {
    const registry = registerCatalogKinds(new KindRegistry());
    const slo = handlerRef<{ objective: number }>('slo');
    registry.register({
      apiVersion: 'vigil.dev/v1',
      kind: 'SLO',
      description: 'a service level objective',
      schema: z.strictObject({
        apiVersion: z.string(),
        kind: z.string(),
        spec: z.strictObject({ objective: z.number().max(100) }),
      }),
      handler: slo,
      toDesired: (doc) => [{ objective: doc.spec.objective }],
    });
    const out = registry.interpret(
      parseManifests([
        { path: 'slo.yaml', content: `apiVersion: vigil.dev/v1\nkind: SLO\nspec:\n  objective: 99.9\n---\n${service('x')}` },
      ]),
    );
    expect(out.get('slo')?.map((l) => l.fragment)).toEqual([{ objective: 99.9 }]);
    expect(out.get('catalog')).toHaveLength(1);
    expect(() => registry.register({ ...registry.get('vigil.dev/v1', 'SLO')!, handler: slo })).toThrow(/twice/);
  });
});
