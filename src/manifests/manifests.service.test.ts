import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { AlertService } from '../alerts/alert.service.ts';
import { AlertPolicyService } from '../alerts/policy.service.ts';
import { type Principal, SCOPES, systemPrincipal } from '../auth/principal.ts';
import { CatalogService } from '../catalog/index.ts';
import { FakeClock } from '../core/clock.ts';
import { InputError, NotAllowedError } from '../core/errors.ts';
import { createTestDatabase, type TestDatabase, testDialects } from '../db/testing.ts';
import { Journal } from '../journal/journal.ts';
import { ProbeService } from '../probes/probe.service.ts';
import { SloService } from '../slo/slo.service.ts';
import { readManifestFiles } from './files.ts';
import { ManifestService } from './manifests.service.ts';
import type { ManifestFile } from './parse.ts';

const admin = systemPrincipal('test');

const USERS = `apiVersion: vigil.dev/v1
kind: User
metadata:
  name: alice
spec:
  displayName: Alice
---
apiVersion: vigil.dev/v1
kind: User
metadata:
  name: bob
`;

const TEAMS = `apiVersion: vigil.dev/v1
kind: Team
metadata:
  name: payments
spec:
  members: [alice]
`;

const SERVICES = `apiVersion: vigil.dev/v1
kind: Service
metadata:
  name: checkout
spec:
  owner: payments
  dependsOn: [ledger]
---
apiVersion: vigil.dev/v1
kind: Service
metadata:
  name: ledger
spec:
  owner: payments
`;

const org = (overrides: Partial<Record<'users' | 'teams' | 'services', string>> = {}): ManifestFile[] => [
  { path: 'org/users.yaml', content: overrides.users ?? USERS },
  { path: 'org/teams.yaml', content: overrides.teams ?? TEAMS },
  { path: 'org/services.yaml', content: overrides.services ?? SERVICES },
];

const defaults = { source: 'default', prune: false };

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (error instanceof InputError) return error;
  throw new Error(`expected an InputError, got ${String(error)}`);
}

describe.each(testDialects)('ManifestService on %s', (dialect) => {
  let tdb: TestDatabase;
  let catalog: CatalogService;
  let manifests: ManifestService;

  beforeEach(async () => {
    tdb = await createTestDatabase(dialect);
    const clock = new FakeClock();
    const journal = new Journal(clock);
    catalog = new CatalogService({ db: tdb.db, clock, journal });
    // The examples hold SLOs too, so the SLO kinds are installed as the server installs them.
    const slo = new SloService({ db: tdb.db, clock, journal, catalog });
    const probes = new ProbeService({ db: tdb.db, clock, journal, slo });
    // The examples hold integrations too.
    const alerts = new AlertService({ db: tdb.db, clock, journal });
    const policies = new AlertPolicyService({ db: tdb.db, clock, journal });
    manifests = new ManifestService({ db: tdb.db, clock, catalog, slo, probes, alerts, policies });
  });
  afterEach(async () => {
    await tdb.destroy();
  });

  test('plan of new manifests lists creates with their file and line; apply creates them', async () => {
    const plan = await manifests.plan(org(), defaults);
    expect(plan.drift).toBe(true);
    expect(plan.summary).toEqual({ create: 5, update: 0, delete: 0, adopt: 0, unchanged: 0 });
    expect(plan.changes.map((c) => `${c.action} ${c.ref} ${c.file}:${c.line}`)).toEqual([
      'create user:alice org/users.yaml:4',
      'create user:bob org/users.yaml:11',
      'create team:payments org/teams.yaml:4',
      'create service:checkout org/services.yaml:4',
      'create service:ledger org/services.yaml:12',
    ]);

    const result = await manifests.apply(admin, org(), defaults);
    expect(result.created.sort()).toEqual(['service:checkout', 'service:ledger', 'team:payments', 'user:alice', 'user:bob']);
    expect(result.summary).toEqual({ create: 5, update: 0, delete: 0, adopt: 0, unchanged: 0 });
    const checkout = await catalog.getEntity('service', 'checkout');
    expect(checkout).toMatchObject({ owner: 'payments', source: 'default' });
    expect(checkout.dependsOn.map((d) => d.name)).toEqual(['ledger']);
  });

  test('plan after apply shows no drift, and applying again changes nothing', async () => {
    await manifests.apply(admin, org(), defaults);
    const plan = await manifests.plan(org(), defaults);
    expect(plan).toEqual({ drift: false, changes: [], summary: { create: 0, update: 0, delete: 0, adopt: 0, unchanged: 5 } });
    const again = await manifests.apply(admin, org(), defaults);
    expect(again.summary).toEqual({ create: 0, update: 0, delete: 0, adopt: 0, unchanged: 5 });
  });

  test('a changed file shows an update with the changed fields, old and new', async () => {
    await manifests.apply(admin, org(), defaults);
    const changed = org({
      teams: `apiVersion: vigil.dev/v1\nkind: Team\nmetadata:\n  name: payments\n  title: Payments\nspec:\n  members: [bob, alice]\n`,
    });
    const plan = await manifests.plan(changed, defaults);
    expect(plan.drift).toBe(true);
    expect(plan.changes).toEqual([
      {
        action: 'update',
        ref: 'team:payments',
        file: 'org/teams.yaml',
        line: 4,
        fields: [
          { field: 'title', from: null, to: 'Payments' },
          { field: 'members', from: ['alice'], to: ['alice', 'bob'] },
        ],
      },
    ]);
    expect(plan.summary).toEqual({ create: 0, update: 1, delete: 0, adopt: 0, unchanged: 4 });
    const result = await manifests.apply(admin, changed, defaults);
    expect(result.updated).toEqual(['team:payments']);
    expect((await manifests.plan(changed, defaults)).drift).toBe(false);
  });

  test('objects of another source with the same content are taken over, which is not drift', async () => {
    await manifests.apply(admin, org(), { source: 'examples', prune: false });
    const changed = org({ services: SERVICES.replace('  dependsOn: [ledger]\n', '') });
    const plan = await manifests.plan(changed, defaults);
    expect(plan.drift).toBe(true);
    expect(plan.summary).toEqual({ create: 0, update: 1, delete: 0, adopt: 4, unchanged: 0 });
    expect(plan.changes.find((c) => c.ref === 'user:alice')).toEqual({
      action: 'adopt',
      ref: 'user:alice',
      fields: [{ field: 'source', from: 'examples', to: 'default' }],
      file: 'org/users.yaml',
      line: 4,
    });
    expect(plan.changes.find((c) => c.ref === 'service:checkout')?.fields).toEqual([
      { field: 'dependsOn', from: ['service:ledger'], to: [] },
      { field: 'source', from: 'examples', to: 'default' },
    ]);
    expect((await manifests.plan(org(), defaults)).drift).toBe(false);

    const result = await manifests.apply(admin, changed, defaults);
    expect(result.updated).toEqual(['service:checkout']);
    expect(result.adopted.sort()).toEqual(['service:ledger', 'team:payments', 'user:alice', 'user:bob']);
    expect((await catalog.snapshot()).users.map((u) => u.source)).toEqual(['default', 'default']);
    expect(await manifests.plan(changed, defaults)).toMatchObject({ drift: false, summary: { adopt: 0, unchanged: 5 } });
  });

  test('prune deletes what the manifests dropped, and only objects of the same source', async () => {
    await manifests.apply(admin, org(), defaults);
    const other = [
      {
        path: 'other.yaml',
        content: `apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: search\nspec:\n  owner: payments\n`,
      },
    ];
    await manifests.apply(admin, [...other, ...org()].slice(0, 1), { source: 'search-repo', prune: false });

    const smaller = org({ services: SERVICES.split('---')[1] ?? '', users: USERS.split('---')[0] ?? '' });
    const withoutPrune = await manifests.plan(smaller, defaults);
    expect(withoutPrune.changes).toEqual([]);

    const plan = await manifests.plan(smaller, { source: 'default', prune: true });
    expect(plan.changes.map((c) => `${c.action} ${c.ref}`)).toEqual(['delete user:bob', 'delete service:checkout']);
    const result = await manifests.apply(admin, smaller, { source: 'default', prune: true });
    expect(result.deleted.sort()).toEqual(['service:checkout', 'user:bob']);

    const left = await catalog.snapshot();
    expect(left.entities.map((e) => `${e.kind}:${e.name}:${e.source}`)).toEqual([
      'service:ledger:default',
      'service:search:search-repo',
    ]);
    expect(left.users.map((u) => u.name)).toEqual(['alice']);
  });

  test('an unknown reference fails with file and line, in plan and in apply, and writes nothing', async () => {
    const broken = org({
      services: `${SERVICES}---\napiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: cart\nspec:\n  owner: payments\n  dependsOn:\n    - ledger\n    - resource:redis\n`,
    });
    const planned = await refusal(manifests.plan(broken, defaults));
    expect(planned.issues).toEqual([
      {
        path: 'spec.dependsOn[1]',
        file: 'org/services.yaml',
        line: 24,
        message: 'service:cart: entity "resource:redis" is unknown',
      },
    ]);
    const applied = await refusal(manifests.apply(admin, broken, defaults));
    expect(applied.issues).toEqual(planned.issues);
    expect(applied.message).toContain('org/services.yaml:24');
    const state = await catalog.snapshot();
    expect([state.users.length, state.teams.length, state.entities.length]).toEqual([0, 0, 0]);
  });

  test('a reference to something prune would delete is refused', async () => {
    await manifests.apply(admin, org(), defaults);
    const found = await refusal(manifests.plan(org({ users: USERS.split('---')[1] ?? '' }), { source: 'default', prune: true }));
    expect(found.issues[0]).toMatchObject({ file: 'org/teams.yaml', line: 6, path: 'spec.members[0]' });
    expect(found.issues[0]?.message).toContain('would be deleted');
  });

  test("the catalog's own refusals are mapped back to the document's line", async () => {
    const teams = `${TEAMS}---\napiVersion: vigil.dev/v1\nkind: Team\nmetadata:\n  name: platform\nspec:\n  interactions:\n    - team: payments\n      mode: collaboration\n    - team: payments\n      mode: collaboration\n`;
    const found = await refusal(manifests.apply(admin, org({ teams }), defaults));
    expect(found.issues[0]).toMatchObject({ file: 'org/teams.yaml', path: 'spec.interactions[0]', line: 14 });
    expect(found.issues[0]?.message).toContain('more than once');
    expect((await catalog.snapshot()).users).toEqual([]);
  });

  test('a caller without the admin scope cannot create teams through manifests', async () => {
    const writer: Principal = { ...admin, role: 'member', scopes: new Set(SCOPES.filter((s) => s !== 'admin')) };
    await expect(manifests.apply(writer, org(), defaults)).rejects.toBeInstanceOf(NotAllowedError);
  });

  test('duplicate definitions across files name both places and write nothing', async () => {
    const files = [...org(), { path: 'org/more.yaml', content: `# more\n${TEAMS}` }];
    const found = await refusal(manifests.apply(admin, files, defaults));
    expect(found.issues).toEqual([
      expect.objectContaining({
        file: 'org/more.yaml',
        line: 5,
        message: expect.stringContaining('here and at org/teams.yaml:4'),
      }),
    ]);
  });

  test('the example organization applies, then plans without drift', async () => {
    const files = await readManifestFiles(['examples']);
    const result = await manifests.apply(systemPrincipal('examples'), files, { source: 'examples', prune: false });
    expect(result.created).toEqual(
      expect.arrayContaining(['team:search-relevance', 'user:grace', 'service:search', 'system:shop']),
    );
    const grace = (await catalog.snapshot()).teams.find((t) => t.name === 'search-relevance');
    expect(grace).toMatchObject({ title: 'Search Relevance', type: 'complicated-subsystem', members: ['grace'] });
    expect((await manifests.plan(files, { source: 'examples', prune: true })).drift).toBe(false);
  });

  test('export → apply → plan has no drift (round trip)', async () => {
    const files = await readManifestFiles(['examples']);
    await manifests.apply(admin, files, defaults);
    await manifests.apply(
      admin,
      [
        {
          path: 'extra.yaml',
          content: `apiVersion: vigil.dev/v1
kind: Team
metadata:
  name: sre
  title: "SRE: the team"
  description: |
    Keeps the lights on.
    Two lines, and "quotes".
  links: [{ url: "https://wiki.example.com/sre" }]
spec:
  type: enabling
  members: [alice]
  interactions: [{ team: payments, mode: facilitating, description: "Coaching: budgets" }]
---
apiVersion: vigil.dev/v1
kind: User
metadata:
  name: root
spec:
  role: admin
  email: root@example.com
---
apiVersion: vigil.dev/v1
kind: Domain
metadata:
  name: "123"
  annotations: { "vigil.dev/anything": "true", number: "42" }
  tags: ["yes", "null"]
`,
        },
      ],
      { source: 'extra', prune: false },
    );
    const before = await catalog.snapshot();
    const yaml = await manifests.exportYaml();
    expect(yaml).toMatch(/^# /);
    expect(yaml).toContain('kind: Team');

    // A fresh database receives the export and ends up equal, source aside.
    const fresh = await createTestDatabase(dialect);
    try {
      const clock = new FakeClock();
      const journal = new Journal(clock);
      const otherCatalog = new CatalogService({ db: fresh.db, clock, journal });
      const slo = new SloService({ db: fresh.db, clock, journal, catalog: otherCatalog });
      const probes = new ProbeService({ db: fresh.db, clock, journal, slo });
      const alerts = new AlertService({ db: fresh.db, clock, journal });
      const policies = new AlertPolicyService({ db: fresh.db, clock, journal });
      const other = new ManifestService({ db: fresh.db, clock, catalog: otherCatalog, slo, probes, alerts, policies });
      const exported = [{ path: 'export.yaml', content: yaml }];
      await other.apply(admin, exported, defaults);
      expect((await other.plan(exported, defaults)).drift).toBe(false);
      const after = await otherCatalog.snapshot();
      const unsourced = <T extends { source: string | null }>(xs: T[]) => xs.map((x) => ({ ...x, source: null }));
      expect(unsourced(after.users)).toEqual(unsourced(before.users));
      expect(unsourced(after.teams)).toEqual(unsourced(before.teams));
      expect(unsourced(after.entities)).toEqual(unsourced(before.entities));
      expect(await other.exportYaml()).toBe(yaml);
    } finally {
      await fresh.destroy();
    }

    // Planned against the database it came from, the export is no drift; the objects of the
    // `extra` source would only change hands.
    const plan = await manifests.plan([{ path: 'export.yaml', content: yaml }], defaults);
    expect(plan.drift).toBe(false);
    expect(plan.changes.map((c) => `${c.action} ${c.ref}`)).toEqual(['adopt user:root', 'adopt team:sre', 'adopt domain:123']);
  });

  test('export orders users, teams, then entities and writes nothing it need not', async () => {
    await manifests.apply(admin, org(), defaults);
    const docs = (await manifests.exportYaml())
      .split(/^---$/m)
      .slice(1)
      .map((d) => parseYaml(d) as { kind: string; metadata: { name: string }; spec?: Record<string, unknown> });
    expect(docs.map((d) => `${d.kind}:${d.metadata.name}`)).toEqual([
      'User:alice',
      'User:bob',
      'Team:payments',
      'Service:checkout',
      'Service:ledger',
    ]);
    expect(docs[1]?.spec).toEqual({ role: 'member' });
    expect(docs[3]?.spec).toEqual({ owner: 'payments', dependsOn: ['service:ledger'] });
  });
});
