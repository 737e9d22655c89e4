import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Principal, type Scope, systemPrincipal } from '../auth/principal.ts';
import { FakeClock } from '../core/clock.ts';
import { ConflictError, InputError, NotAllowedError, NotFoundError, type VigilError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/database.ts';
import { toJson } from '../db/json.ts';
import { createTestDatabase, type TestDatabase, testDialects } from '../db/testing.ts';
import { Journal } from '../journal/journal.ts';
import { type CatalogState, EntitySpec, normalizeState, TeamSpec, UserSpec } from './catalog.model.ts';
import { CatalogService } from './catalog.service.ts';

const admin = systemPrincipal('test');

/** A parsed desired state, as the manifests layer hands it over. */
function state(input: { users?: object[]; teams?: object[]; entities?: object[] }): CatalogState {
  const spec = ({ source: _source, ...rest }: { source?: unknown }) => rest;
  return {
    users: (input.users ?? []).map((u) => ({ ...UserSpec.parse(spec(u)), source: null })),
    teams: (input.teams ?? []).map((t) => ({ ...TeamSpec.parse(spec(t)), source: null })),
    entities: (input.entities ?? []).map((e) => ({ ...EntitySpec.parse(spec(e)), source: null })),
  };
}

const org = state({
  users: [{ name: 'alice', displayName: 'Alice' }, { name: 'bob' }, { name: 'carol', email: 'carol@example.com' }],
  teams: [
    { name: 'payments', title: 'Payments', members: ['alice'], interactions: [] },
    { name: 'core', type: 'platform', members: ['carol'] },
    { name: 'web', members: ['bob'], interactions: [{ team: 'payments', mode: 'collaboration' }] },
  ],
  entities: [
    { name: 'ledger', owner: 'core', tier: 'tier-1', tags: ['money', 'db'] },
    { name: 'checkout', owner: 'payments', tier: 'tier-1', dependsOn: ['ledger'], lifecycle: 'production' },
    { name: 'storefront', owner: 'web', dependsOn: ['service:checkout'], description: 'The Shop window' },
  ],
});

async function expectError<T extends VigilError>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

describe.each(testDialects)('CatalogService on %s', (dialect) => {
  let tdb: TestDatabase;
  let db: Db;
  let clock: FakeClock;
  let journal: Journal;
  let catalog: CatalogService;

  beforeEach(async () => {
    tdb = await createTestDatabase(dialect);
    db = tdb.db;
    clock = new FakeClock('2026-03-02T10:00:00Z');
    journal = new Journal(clock);
    catalog = new CatalogService({ db, clock, journal });
  });
  afterEach(async () => {
    await tdb.destroy();
  });

  const seed = (desired = org, source = 'repo') =>
    db.kysely.transaction().execute((trx) => catalog.applyDesired(trx, admin, desired, { source, prune: false }));

  async function teamId(name: string): Promise<string> {
    const row = await db.kysely.selectFrom('teams').select('id').where('name', '=', name).executeTakeFirstOrThrow();
    return row.id;
  }

  async function member(name: string, teams: string[], scopes: Scope[] = ['read', 'write']): Promise<Principal> {
    return {
      userId: name,
      userName: name,
      role: 'member',
      scopes: new Set(scopes),
      teamIds: new Set(await Promise.all(teams.map(teamId))),
      via: 'token',
      tokenId: null,
      actor: `user:${name}`,
    };
  }

  const entries = (kindPrefix = '') => journal.list(db.kysely, { kindPrefix, ascending: true, limit: 1000 });

  describe('entities', () => {
    it('creates, reads, updates and deletes an entity, journaling each change', async () => {
      await seed();
      const before = (await entries()).length;
      const created = await catalog.createEntity(
        admin,
        EntitySpec.parse({ name: 'fraud', owner: 'payments', dependsOn: ['ledger', 'service:ledger'], tags: ['b', 'a'] }),
      );
      expect(created).toMatchObject({ kind: 'service', name: 'fraud', owner: 'payments', tags: ['a', 'b'], source: null });
      expect(created.dependsOn).toEqual([{ kind: 'service', name: 'ledger', owner: 'core' }]);
      expect((await catalog.getEntity('service', 'ledger')).dependents.map((d) => d.name)).toEqual(['checkout', 'fraud']);

      clock.advance(60_000);
      const updated = await catalog.updateEntity(
        admin,
        'service',
        'fraud',
        EntitySpec.parse({ name: 'fraud', owner: 'payments', tier: 'tier-2' }),
      );
      expect(updated).toMatchObject({ tier: 'tier-2', dependsOn: [], tags: [], updatedAt: clock.now() });

      // Saving the same spec again changes nothing and records nothing.
      await catalog.updateEntity(
        admin,
        'service',
        'fraud',
        EntitySpec.parse({ name: 'fraud', owner: 'payments', tier: 'tier-2' }),
      );

      await catalog.deleteEntity(admin, 'service', 'fraud');
      await expectError(catalog.getEntity('service', 'fraud'), NotFoundError);

      const log = (await entries()).slice(before);
      expect(log.map((e) => e.kind)).toEqual(['catalog.entity.created', 'catalog.entity.updated', 'catalog.entity.deleted']);
      expect(log.every((e) => e.serviceId === created.id && e.subjectId === created.id && e.actor === 'system:test')).toBe(true);
      expect(log[1]?.data).toMatchObject({
        ref: 'service:fraud',
        changes: {
          tier: { from: null, to: 'tier-2' },
          tags: { from: ['a', 'b'], to: [] },
          dependsOn: { from: ['service:ledger'], to: [] },
        },
      });
    });

    it('renames an entity and keeps its dependencies', async () => {
      await seed();
      const renamed = await catalog.updateEntity(
        admin,
        'service',
        'checkout',
        EntitySpec.parse({
          name: 'checkout-api',
          owner: 'payments',
          tier: 'tier-1',
          dependsOn: ['ledger'],
          lifecycle: 'production',
        }),
      );
      expect(renamed.dependents.map((d) => d.name)).toEqual(['storefront']);
      await expectError(catalog.getEntity('service', 'checkout'), NotFoundError);
      const taken = await expectError(
        catalog.updateEntity(admin, 'service', 'checkout-api', EntitySpec.parse({ name: 'ledger', owner: 'core' })),
        ConflictError,
      );
      expect(taken.issues[0]?.path).toBe('body.name');
    });

    it('rejects unknown owners, unknown or self dependencies, and duplicates with the field path', async () => {
      await seed();
      const bad = await expectError(
        catalog.createEntity(admin, EntitySpec.parse({ name: 'x', owner: 'nobody', dependsOn: ['ledger', 'api:ghost', 'x'] })),
        InputError,
      );
      expect(bad.issues.map((i) => i.path)).toEqual(['body.owner', 'body.dependsOn[1]', 'body.dependsOn[2]']);
      await expectError(catalog.createEntity(admin, EntitySpec.parse({ name: 'ledger' })), ConflictError);
      await expectError(catalog.deleteEntity(admin, 'api', 'ledger'), NotFoundError);
    });

    it('lists with filters, search and paging', async () => {
      await seed();
      await catalog.createEntity(admin, EntitySpec.parse({ kind: 'api', name: 'ledger-api', owner: 'core', tags: ['money'] }));
      const names = async (q: Parameters<CatalogService['listEntities']>[0]) => {
        const page = await catalog.listEntities(q);
        return { names: page.items.map((e) => `${e.kind}:${e.name}`), total: page.total };
      };
      expect(await names({})).toEqual({
        names: ['service:checkout', 'service:ledger', 'api:ledger-api', 'service:storefront'],
        total: 4,
      });
      expect((await names({ kind: 'api' })).names).toEqual(['api:ledger-api']);
      expect((await names({ owner: 'core' })).names).toEqual(['service:ledger', 'api:ledger-api']);
      expect((await names({ tier: 'tier-1' })).names).toEqual(['service:checkout', 'service:ledger']);
      expect((await names({ lifecycle: 'production' })).names).toEqual(['service:checkout']);
      expect((await names({ tag: 'money' })).names).toEqual(['service:ledger', 'api:ledger-api']);
      expect((await names({ tag: 'mon' })).names).toEqual([]);
      expect((await names({ q: 'shop WINDOW' })).names).toEqual(['service:storefront']);
      expect((await names({ q: 'LEDGER' })).names).toEqual(['service:ledger', 'api:ledger-api']);
      expect((await names({ q: '%' })).names).toEqual([]);
      expect(await names({ limit: 2, offset: 1 })).toEqual({ names: ['service:ledger', 'api:ledger-api'], total: 4 });
      expect(await names({ owner: 'core', limit: 1 })).toEqual({ names: ['service:ledger'], total: 2 });
    });
  });

  describe('teams', () => {
    it('creates, shows, updates and deletes teams; deleting leaves entities ownerless', async () => {
      await seed();
      const ops = await catalog.createTeam(
        admin,
        TeamSpec.parse({
          name: 'ops',
          type: 'enabling',
          members: ['bob', 'alice'],
          interactions: [{ team: 'core', mode: 'facilitating', description: 'on-call coaching' }],
        }),
      );
      expect(ops.members.map((m) => m.name)).toEqual(['alice', 'bob']);
      expect(ops.interactions).toEqual([
        { team: 'core', mode: 'facilitating', description: 'on-call coaching', direction: 'outgoing' },
      ]);

      const core = await catalog.getTeam('core');
      expect(core.interactions).toEqual([
        { team: 'ops', mode: 'facilitating', description: 'on-call coaching', direction: 'incoming' },
      ]);
      expect(core.entities.map((e) => e.name)).toEqual(['ledger']);
      expect(core.members).toEqual([{ name: 'carol', displayName: null, role: 'member' }]);

      expect(await catalog.listTeams()).toEqual([
        { name: 'core', title: null, type: 'platform', description: null, memberCount: 1, entityCount: 1 },
        { name: 'ops', title: null, type: 'enabling', description: null, memberCount: 2, entityCount: 0 },
        { name: 'payments', title: 'Payments', type: 'stream-aligned', description: null, memberCount: 1, entityCount: 1 },
        { name: 'web', title: null, type: 'stream-aligned', description: null, memberCount: 1, entityCount: 1 },
      ]);

      const updated = await catalog.updateTeam(
        admin,
        'ops',
        TeamSpec.parse({ name: 'ops', type: 'enabling', members: ['carol'] }),
      );
      expect(updated.members.map((m) => m.name)).toEqual(['carol']);
      expect(updated.interactions).toEqual([]);

      await catalog.deleteTeam(admin, 'core');
      await expectError(catalog.getTeam('core'), NotFoundError);
      expect((await catalog.getEntity('service', 'ledger')).owner).toBeNull();

      const log = (await entries('catalog.')).slice(-3);
      expect(log.map((e) => e.kind)).toEqual(['catalog.team.updated', 'catalog.team.deleted', 'catalog.entity.updated']);
      const orphaned = log.find((e) => e.kind === 'catalog.entity.updated');
      expect(orphaned?.data).toMatchObject({ ref: 'service:ledger', changes: { owner: { from: 'core', to: null } } });
    });

    it('rejects unknown members, unknown or self interactions and taken names', async () => {
      await seed();
      const bad = await expectError(
        catalog.createTeam(
          admin,
          TeamSpec.parse({
            name: 'ops',
            members: ['alice', 'zed'],
            interactions: [
              { team: 'ghost', mode: 'collaboration' },
              { team: 'ops', mode: 'collaboration' },
            ],
          }),
        ),
        InputError,
      );
      expect(bad.issues.map((i) => i.path)).toEqual([
        'body.members[1]',
        'body.interactions[0].team',
        'body.interactions[1].team',
      ]);
      await expectError(catalog.createTeam(admin, TeamSpec.parse({ name: 'core' })), ConflictError);
    });
  });

  describe('ownership', () => {
    it('lets members and admins write a team’s entities, and nobody else', async () => {
      await seed();
      const alice = await member('alice', ['payments']);
      const bob = await member('bob', ['web']);
      const spec = (tier: string, owner = 'payments') => EntitySpec.parse({ name: 'refunds', owner, tier });

      await catalog.createEntity(alice, spec('tier-2'));
      await expectError(catalog.createEntity(bob, EntitySpec.parse({ name: 'fx', owner: 'payments' })), NotAllowedError);
      await expectError(catalog.updateEntity(bob, 'service', 'refunds', spec('tier-3')), NotAllowedError);
      await expectError(catalog.deleteEntity(bob, 'service', 'refunds'), NotAllowedError);
      // Nor may a non-member hand its own entity to another team or take one over.
      await expectError(
        catalog.updateEntity(bob, 'service', 'storefront', EntitySpec.parse({ name: 'storefront', owner: 'payments' })),
        NotAllowedError,
      );
      await expectError(catalog.updateEntity(bob, 'service', 'refunds', spec('tier-2', 'web')), NotAllowedError);

      await catalog.updateEntity(alice, 'service', 'refunds', spec('tier-3'));
      expect((await catalog.getEntity('service', 'refunds')).tier).toBe('tier-3');
      await catalog.updateEntity(admin, 'service', 'refunds', spec('tier-4'));
      await catalog.deleteEntity(alice, 'service', 'refunds');

      // Unowned entities are open to anyone with the write scope, but not to read-only callers.
      await catalog.createEntity(bob, EntitySpec.parse({ name: 'scratch' }));
      const reader = await member('rita', [], ['read']);
      await expectError(catalog.createEntity(reader, EntitySpec.parse({ name: 'scratch2' })), NotAllowedError);
      await expectError(catalog.deleteEntity(reader, 'service', 'scratch'), NotAllowedError);
    });

    it('lets members and admins change a team, anyone with write create one', async () => {
      await seed();
      const alice = await member('alice', ['payments']);
      const bob = await member('bob', ['web']);
      await catalog.updateTeam(
        alice,
        'payments',
        TeamSpec.parse({ name: 'payments', title: 'Payments & billing', members: ['alice'] }),
      );
      await expectError(
        catalog.updateTeam(bob, 'payments', TeamSpec.parse({ name: 'payments', members: ['bob'] })),
        NotAllowedError,
      );
      await expectError(catalog.deleteTeam(bob, 'payments'), NotAllowedError);
      await catalog.createTeam(bob, TeamSpec.parse({ name: 'growth', members: ['bob'] }));
      const reader = await member('rita', [], ['read']);
      await expectError(catalog.createTeam(reader, TeamSpec.parse({ name: 'readers' })), NotAllowedError);
      await catalog.deleteTeam(admin, 'payments');
      expect((await catalog.listTeams()).map((t) => t.name)).toEqual(['core', 'growth', 'web']);
    });
  });

  describe('blast radius', () => {
    const graph = (edges: Array<[string, string]>, owners: Record<string, string> = {}) => {
      const names = [...new Set(edges.flat())].sort();
      return state({
        users: [],
        teams: [...new Set(Object.values(owners))].map((name) => ({ name })),
        entities: names.map((name) => ({
          name,
          owner: owners[name] ?? null,
          dependsOn: edges.filter(([from]) => from === name).map(([, to]) => to),
        })),
      });
    };

    it('walks a diamond at minimum depth and counts teams', async () => {
      // a depends on b and c, both depend on d; e depends on d directly and on a.
      await seed(
        graph(
          [
            ['a', 'b'],
            ['a', 'c'],
            ['b', 'd'],
            ['c', 'd'],
            ['e', 'a'],
            ['e', 'd'],
          ],
          { a: 'web', b: 'payments', c: 'payments', d: 'core', e: 'web' },
        ),
      );
      const radius = await catalog.blastRadius('d');
      expect(radius.root).toEqual({ kind: 'service', name: 'd', owner: 'core' });
      expect(radius.impacted).toEqual([
        { kind: 'service', name: 'b', owner: 'payments', tier: null, depth: 1, via: 'service:d' },
        { kind: 'service', name: 'c', owner: 'payments', tier: null, depth: 1, via: 'service:d' },
        { kind: 'service', name: 'e', owner: 'web', tier: null, depth: 1, via: 'service:d' },
        { kind: 'service', name: 'a', owner: 'web', tier: null, depth: 2, via: 'service:b' },
      ]);
      expect(radius.teams).toEqual([
        { name: 'payments', count: 2 },
        { name: 'web', count: 2 },
      ]);
      expect(radius.edges).toEqual([
        { from: 'service:a', to: 'service:b' },
        { from: 'service:a', to: 'service:c' },
        { from: 'service:b', to: 'service:d' },
        { from: 'service:c', to: 'service:d' },
        { from: 'service:e', to: 'service:a' },
        { from: 'service:e', to: 'service:d' },
      ]);
      expect((await catalog.blastRadius('service:e')).impacted).toEqual([]);
    });

    it('follows a chain transitively', async () => {
      await seed(
        graph([
          ['s1', 's2'],
          ['s2', 's3'],
          ['s3', 's4'],
          ['x', 's1'],
        ]),
      );
      const radius = await catalog.blastRadius('service:s4');
      expect(radius.impacted.map((e) => [e.name, e.depth, e.via])).toEqual([
        ['s3', 1, 'service:s4'],
        ['s2', 2, 'service:s3'],
        ['s1', 3, 'service:s2'],
        ['x', 4, 'service:s1'],
      ]);
      expect(radius.teams).toEqual([]);
    });

    it('terminates on cycles and never lists the root as impacted', async () => {
      await seed(
        graph([
          ['x', 'y'],
          ['y', 'x'],
          ['x', 'root'],
          ['root', 'y'],
        ]),
      );
      const radius = await catalog.blastRadius('root');
      expect(radius.impacted.map((e) => [e.name, e.depth])).toEqual([
        ['x', 1],
        ['y', 2],
      ]);
    });

    it('rejects malformed refs and unknown entities', async () => {
      await expectError(catalog.blastRadius('Not A Ref'), InputError);
      await expectError(catalog.blastRadius('api:nothing'), NotFoundError);
    });
  });

  describe('Conway findings', () => {
    it('reports cross-team dependencies until the teams declare an interaction', async () => {
      await seed();
      // web → payments is declared (collaboration); payments → core is not.
      expect(await catalog.conwayFindings()).toEqual([
        {
          from: { ref: 'service:checkout', owner: 'payments' },
          to: { ref: 'service:ledger', owner: 'core' },
          message: expect.stringContaining('declare no interaction'),
        },
      ]);
      // Declared by the provider's side counts as well.
      await catalog.updateTeam(
        admin,
        'core',
        TeamSpec.parse({
          name: 'core',
          type: 'platform',
          members: ['carol'],
          interactions: [{ team: 'payments', mode: 'x-as-a-service' }],
        }),
      );
      expect(await catalog.conwayFindings()).toEqual([]);
      // Same-team and unowned dependencies are never findings.
      await catalog.createEntity(admin, EntitySpec.parse({ name: 'cache', owner: 'core' }));
      await catalog.createEntity(admin, EntitySpec.parse({ name: 'orphan', dependsOn: ['ledger'] }));
      await catalog.updateEntity(
        admin,
        'service',
        'ledger',
        EntitySpec.parse({ name: 'ledger', owner: 'core', dependsOn: ['cache'] }),
      );
      expect(await catalog.conwayFindings()).toEqual([]);
    });
  });

  describe('applyDesired', () => {
    it('creates, leaves unchanged, updates and journals', async () => {
      const first = await seed();
      expect(first).toEqual({
        created: [
          'user:alice',
          'user:bob',
          'user:carol',
          'team:core',
          'team:payments',
          'team:web',
          'service:checkout',
          'service:ledger',
          'service:storefront',
        ],
        updated: [],
        deleted: [],
        unchanged: [],
      });
      const kinds = (await entries()).map((e) => e.kind);
      expect(kinds.filter((k) => k === 'auth.user.created')).toHaveLength(3);
      expect(kinds.filter((k) => k === 'catalog.team.created')).toHaveLength(3);
      expect(kinds.filter((k) => k === 'catalog.entity.created')).toHaveLength(3);
      const checkout = await catalog.getEntity('service', 'checkout');
      expect(checkout.source).toBe('repo');
      expect((await entries('catalog.entity.')).find((e) => e.subjectId === checkout.id)?.serviceId).toBe(checkout.id);

      const count = (await entries()).length;
      const again = await seed();
      expect(again.created).toEqual([]);
      expect(again.unchanged).toHaveLength(9);
      expect((await entries()).length).toBe(count);

      const changed = structuredClone(org);
      const ledger = changed.entities.find((e) => e.name === 'ledger');
      if (ledger) ledger.tier = 'tier-2';
      const web = changed.teams.find((t) => t.name === 'web');
      if (web) web.members = ['bob', 'alice'];
      const third = await seed(changed);
      expect(third.updated).toEqual(['team:web', 'service:ledger']);
      const last = (await entries()).slice(count);
      expect(last.map((e) => e.kind)).toEqual(['catalog.team.updated', 'catalog.entity.updated']);
      expect(last[1]?.data).toMatchObject({ ref: 'service:ledger', changes: { tier: { from: 'tier-1', to: 'tier-2' } } });
      expect((await catalog.getTeam('web')).members.map((m) => m.name)).toEqual(['alice', 'bob']);
    });

    it('prunes only what its own source created', async () => {
      await seed();
      await seed(state({ entities: [{ name: 'other-repo-thing' }] }), 'other');
      await catalog.createEntity(admin, EntitySpec.parse({ name: 'handmade' }));
      const smaller = state({
        users: org.users.filter((u) => u.name !== 'carol'),
        teams: org.teams.filter((t) => t.name !== 'core'),
        entities: [{ name: 'checkout', owner: 'payments' }],
      });
      const result = await db.kysely
        .transaction()
        .execute((trx) => catalog.applyDesired(trx, admin, smaller, { source: 'repo', prune: true }));
      expect(result.deleted).toEqual(['service:ledger', 'service:storefront', 'team:core', 'user:carol']);
      expect(result.updated).toEqual(['service:checkout']);
      const left = await catalog.listEntities({});
      expect(left.items.map((e) => e.name)).toEqual(['checkout', 'handmade', 'other-repo-thing']);
      const kinds = (await entries()).map((e) => e.kind);
      expect(kinds).toContain('catalog.team.deleted');
      expect(kinds).toContain('auth.user.deleted');
      expect(kinds.filter((k) => k === 'catalog.entity.deleted')).toHaveLength(2);
    });

    it('rejects unknown references with item paths and writes nothing', async () => {
      await seed();
      const before = await catalog.snapshot();
      const journalBefore = (await entries()).length;
      const broken = state({
        users: [{ name: 'dave' }],
        teams: [
          { name: 'payments', members: ['alice', 'ghost'], interactions: [{ team: 'nowhere', mode: 'collaboration' }] },
          { name: 'new-team', members: ['dave'] },
        ],
        entities: [
          { name: 'checkout', owner: 'payments', dependsOn: ['nope', 'ledger'] },
          { name: 'brand-new', owner: 'missing-team', dependsOn: ['checkout'] },
        ],
      });
      const error = await expectError(
        db.kysely.transaction().execute((trx) => catalog.applyDesired(trx, admin, broken, { source: 'repo', prune: false })),
        InputError,
      );
      expect(error.issues.map((i) => i.path)).toEqual([
        'teams[payments].members[1]',
        'teams[payments].interactions[0].team',
        'entities[service:checkout].dependsOn[0]',
        'entities[service:brand-new].owner',
      ]);
      expect(await catalog.snapshot()).toEqual(before);
      expect((await entries()).length).toBe(journalBefore);

      // With prune, what the apply itself would delete cannot be referenced either.
      const pruning = await expectError(
        db.kysely.transaction().execute((trx) =>
          catalog.applyDesired(trx, admin, state({ teams: [{ name: 'payments', members: ['alice'] }] }), {
            source: 'repo',
            prune: true,
          }),
        ),
        InputError,
      );
      expect(pruning.issues).toEqual([
        { path: 'teams[payments].members[0]', message: expect.stringContaining('deleted by this apply') },
      ]);
      expect(await catalog.snapshot()).toEqual(before);
    });

    it('rolls back everything when a later step fails inside the transaction', async () => {
      const alice = await (async () => {
        await seed();
        return member('alice', ['payments']);
      })();
      const before = await catalog.snapshot();
      // alice may change payments' entities, but the apply also touches core's ledger.
      const desired = structuredClone(org);
      for (const e of desired.entities) e.tier = 'tier-3';
      await expectError(
        db.kysely.transaction().execute((trx) => catalog.applyDesired(trx, alice, desired, { source: 'repo', prune: false })),
        NotAllowedError,
      );
      expect(await catalog.snapshot()).toEqual(before);
    });

    it('lets only admins change users and teams, and checks entity owners', async () => {
      await seed();
      const alice = await member('alice', ['payments']);
      const withTeam = structuredClone(org);
      withTeam.teams.push({ ...TeamSpec.parse({ name: 'new-team' }), source: null });
      await expectError(
        db.kysely.transaction().execute((trx) => catalog.applyDesired(trx, alice, withTeam, { source: 'repo', prune: false })),
        NotAllowedError,
      );
      // An unchanged org plus a change to alice's own team's entity is fine.
      const own = structuredClone(org);
      const checkout = own.entities.find((e) => e.name === 'checkout');
      if (checkout) checkout.tier = 'tier-2';
      const result = await db.kysely
        .transaction()
        .execute((trx) => catalog.applyDesired(trx, alice, own, { source: 'repo', prune: false }));
      expect(result.updated).toEqual(['service:checkout']);
      expect((await entries('catalog.entity.updated')).at(-1)?.actor).toBe('user:alice');
    });

    it('round-trips: the snapshot equals what was applied', async () => {
      await seed();
      const expected = normalizeState({
        users: org.users.map((u) => ({ ...u, source: 'repo' })),
        teams: org.teams.map((t) => ({ ...t, source: 'repo' })),
        entities: org.entities.map((e) => ({ ...e, source: 'repo' })),
      });
      const snapshot = await catalog.snapshot();
      expect(snapshot).toEqual(expected);
      expect(snapshot.entities.find((e) => e.name === 'storefront')?.dependsOn).toEqual(['service:checkout']);
      // Applying the snapshot itself is a no-op.
      const again = await db.kysely
        .transaction()
        .execute((trx) => catalog.applyDesired(trx, admin, snapshot, { source: 'repo', prune: true }));
      expect(again.created.length + again.updated.length + again.deleted.length).toBe(0);
    });
  });

  describe('query counts', () => {
    async function bulkEntities(count: number, ownerTeamId: string | null): Promise<string[]> {
      const now = clock.now();
      const rows = Array.from({ length: count }, (_, i) => ({
        id: newId(now),
        kind: 'service',
        name: `svc-${String(i).padStart(4, '0')}`,
        title: null,
        description: null,
        type: null,
        owner_team_id: ownerTeamId,
        part_of: null,
        lifecycle: null,
        tier: i % 2 === 0 ? 'tier-1' : 'tier-2',
        runbook_url: null,
        links: toJson([]),
        tags: toJson(['bulk']),
        annotations: toJson({}),
        source: null,
        created_at: now,
        updated_at: now,
      }));
      for (let i = 0; i < rows.length; i += 200)
        await db.kysely
          .insertInto('catalog_entities')
          .values(rows.slice(i, i + 200))
          .execute();
      return rows.map((r) => r.id);
    }

    async function queriesFor(run: () => Promise<unknown>): Promise<number> {
      const before = db.queries();
      await run();
      return db.queries() - before;
    }

    it('lists a page of 100 out of 500 in a constant number of queries', async () => {
      await seed();
      await bulkEntities(500, await teamId('core'));
      let page = 0;
      const hundred = await queriesFor(async () => {
        const r = await catalog.listEntities({ owner: 'core', tag: 'bulk', limit: 100, offset: 100 });
        page = r.items.length;
        expect(r.total).toBe(500);
      });
      expect(page).toBe(100);
      const ten = await queriesFor(() => catalog.listEntities({ owner: 'core', tag: 'bulk', limit: 10 }));
      expect(hundred).toBeLessThanOrEqual(4);
      expect(ten).toBe(hundred);
    });

    it('keeps the dependency graph loaded in the background: the first answer after a change needs no load', async () => {
      const ids = await bulkEntities(3, null);
      await db.kysely
        .insertInto('catalog_dependencies')
        .values({ from_id: ids[1] ?? '', to_id: ids[0] ?? '' })
        .execute();
      const stop = catalog.keepGraphWarm(20);
      try {
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(await queriesFor(() => catalog.blastRadius('svc-0000'))).toBe(1);
        // Changed by hand: the loop notices the new generation and loads the graph again.
        await db.kysely
          .insertInto('catalog_dependencies')
          .values({ from_id: ids[2] ?? '', to_id: ids[1] ?? '' })
          .execute();
        await new Promise((resolve) => setTimeout(resolve, 200));
        let radius: Awaited<ReturnType<CatalogService['blastRadius']>> | undefined;
        expect(
          await queriesFor(async () => {
            radius = await catalog.blastRadius('svc-0000');
          }),
        ).toBe(1);
        expect(radius?.impacted.map((e) => e.name)).toEqual(['svc-0001', 'svc-0002']);
      } finally {
        await stop();
      }
    });

    it('computes the blast radius of 300 transitive dependents in a constant number of queries', async () => {
      const ids = await bulkEntities(311, null);
      // svc-0000 is the root of ten levels of 30 entities each; ten more hang off svc-0300.
      const edges: Array<{ from_id: string; to_id: string }> = [];
      for (let i = 1; i <= 300; i++) edges.push({ from_id: ids[i] ?? '', to_id: ids[i <= 30 ? 0 : i - 30] ?? '' });
      for (let i = 301; i <= 310; i++) edges.push({ from_id: ids[i] ?? '', to_id: ids[300] ?? '' });
      await db.kysely.insertInto('catalog_dependencies').values(edges).execute();

      let radius: Awaited<ReturnType<CatalogService['blastRadius']>> | undefined;
      // The first walk loads the graph (the generation, the entities, the edges) ...
      const load = await queriesFor(async () => {
        radius = await catalog.blastRadius('svc-0000');
      });
      expect(radius?.impacted.length).toBe(310);
      expect(radius?.impacted.at(-1)?.depth).toBe(11);
      expect(load).toBe(3);
      // ... later ones only read the generation, whatever the size.
      const big = await queriesFor(() => catalog.blastRadius('svc-0000'));
      const small = await queriesFor(() => catalog.blastRadius('svc-0300'));
      expect(big).toBe(1);
      expect(small).toBe(1);
      // A dependency written by anyone (here by hand) moves the generation: the next walk sees it.
      await db.kysely
        .insertInto('catalog_dependencies')
        .values({ from_id: ids[0] ?? '', to_id: ids[310] ?? '' })
        .execute();
      const after = await catalog.blastRadius('svc-0310');
      expect(after.impacted.map((e) => e.name)).toContain('svc-0000');
    });
  });
});
