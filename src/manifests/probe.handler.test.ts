import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AlertService } from '../alerts/alert.service.ts';
import { AlertPolicyService } from '../alerts/policy.service.ts';
import { type Principal, SCOPES, systemPrincipal } from '../auth/principal.ts';
import { CatalogService } from '../catalog/index.ts';
import { FakeClock } from '../core/clock.ts';
import { InputError, NotAllowedError } from '../core/errors.ts';
import { createTestDatabase, type TestDatabase, testDialects } from '../db/testing.ts';
import { Journal } from '../journal/journal.ts';
import { runCheck } from '../probes/checks.ts';
import { ProbeService } from '../probes/probe.service.ts';
import { SloService } from '../slo/slo.service.ts';
import { readManifestFiles } from './files.ts';
import { ManifestService } from './manifests.service.ts';
import type { ManifestFile } from './parse.ts';
import type { StoredProbe } from './probe.handler.ts';

const admin = systemPrincipal('test');
const defaults = { source: 'default', prune: false };

const SERVICES = `apiVersion: vigil.dev/v1
kind: Service
metadata: { name: checkout }
---
apiVersion: vigil.dev/v1
kind: Service
metadata: { name: api-gateway }
`;

const HOME = `apiVersion: vigil.dev/v1
kind: Probe
metadata:
  name: checkout-home
  description: Storefront home page
spec:
  service: checkout
  type: http
  interval: 30s
  timeout: 5s
  http:
    url: https://shop.example.com/
  conditions: ['[STATUS] == 200', '[RESPONSE_TIME] < 300']
`;

const GATEWAY_TCP = `apiVersion: vigil.dev/v1
kind: Probe
metadata:
  name: gateway-port
spec:
  service: api-gateway
  type: tcp
  tcp: { host: gateway.internal, port: 8443 }
`;

const BACKUP = `apiVersion: vigil.dev/v1
kind: Probe
metadata:
  name: nightly-backup
spec:
  service: checkout
  type: heartbeat
  heartbeat: { period: 1d, grace: 30m }
`;

const file = (path: string, content: string): ManifestFile => ({ path, content });
const docs = (...contents: string[]): string => contents.join('---\n');

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (error instanceof InputError) return error;
  throw new Error(`expected an InputError, got ${String(error)}`);
}

/** `file:line: path: message` of every issue, as the CLI prints them. */
const located = (e: InputError) => e.issues.map((i) => `${i.file}:${i.line}: ${i.path}: ${i.message}`);

interface Setup {
  tdb: TestDatabase;
  catalog: CatalogService;
  slo: SloService;
  probes: ProbeService;
  manifests: ManifestService;
}

async function setup(dialect: 'sqlite' | 'postgres'): Promise<Setup> {
  const tdb = await createTestDatabase(dialect);
  const clock = new FakeClock('2026-03-02T10:00:00Z');
  const journal = new Journal(clock);
  const catalog = new CatalogService({ db: tdb.db, clock, journal });
  const slo = new SloService({ db: tdb.db, clock, journal, catalog });
  // As the server builds it; these tests run no checks.
  const probes = new ProbeService({ db: tdb.db, clock, journal, slo, runCheck: (spec) => runCheck(spec, { clock }) });
  const alerts = new AlertService({ db: tdb.db, clock, journal });
  const policies = new AlertPolicyService({ db: tdb.db, clock, journal });
  return {
    tdb,
    catalog,
    slo,
    probes,
    manifests: new ManifestService({ db: tdb.db, clock, catalog, slo, probes, alerts, policies }),
  };
}

describe.each(testDialects)('Probe manifests on %s', (dialect) => {
  let s: Setup;

  beforeEach(async () => {
    s = await setup(dialect);
  });
  afterEach(async () => {
    await s.tdb.destroy();
  });

  const probe = async (name: string): Promise<StoredProbe | undefined> =>
    (await s.probes.snapshot()).find((p) => p.spec.name === name);

  test('apply creates the probes with their defaults and source; the same files then plan without drift', async () => {
    const files = [file('services.yaml', SERVICES), file('probes.yaml', docs(HOME, GATEWAY_TCP, BACKUP))];
    const plan = await s.manifests.plan(files, defaults);
    expect(plan.changes.filter((c) => c.ref.startsWith('probe:'))).toEqual([
      { action: 'create', ref: 'probe:checkout-home', fields: [], file: 'probes.yaml', line: 4 },
      { action: 'create', ref: 'probe:gateway-port', fields: [], file: 'probes.yaml', line: 18 },
      { action: 'create', ref: 'probe:nightly-backup', fields: [], file: 'probes.yaml', line: 27 },
    ]);

    const applied = await s.manifests.apply(admin, files, defaults);
    expect(applied.created).toEqual(
      expect.arrayContaining(['service:checkout', 'probe:checkout-home', 'probe:gateway-port', 'probe:nightly-backup']),
    );
    expect(await probe('checkout-home')).toEqual({
      source: 'default',
      spec: expect.objectContaining({
        name: 'checkout-home',
        service: 'checkout',
        type: 'http',
        description: 'Storefront home page',
        enabled: true,
        interval: '30s',
        timeout: '5s',
        retries: 2,
        successesBeforeUp: 1,
        http: expect.objectContaining({ url: 'https://shop.example.com/', method: 'GET', followRedirects: true }),
        conditions: ['[STATUS] == 200', '[RESPONSE_TIME] < 300'],
      }),
    });
    expect((await probe('nightly-backup'))?.spec.heartbeat).toEqual({ period: '1d', grace: '30m' });

    expect(await s.manifests.plan(files, { ...defaults, prune: true })).toMatchObject({ drift: false, changes: [] });
  });

  test('a changed probe is an update naming its fields, file and line; another source only adopts', async () => {
    await s.manifests.apply(admin, [file('services.yaml', SERVICES), file('probes.yaml', docs(HOME, GATEWAY_TCP))], defaults);
    const changed = HOME.replace('interval: 30s', 'interval: 1m')
      .replace('https://shop.example.com/', 'https://shop.example.com/health')
      .replace("'[RESPONSE_TIME] < 300'", "'[RESPONSE_TIME] < 500'")
      .replace('  description: Storefront home page\n', '');
    const files = [file('services.yaml', SERVICES), file('probes.yaml', docs(changed, GATEWAY_TCP))];
    const plan = await s.manifests.plan(files, defaults);
    expect(plan.drift).toBe(true);
    expect(plan.changes).toEqual([
      {
        action: 'update',
        ref: 'probe:checkout-home',
        file: 'probes.yaml',
        line: 4,
        fields: expect.arrayContaining([
          { field: 'interval', from: '30s', to: '1m' },
          { field: 'http.url', from: 'https://shop.example.com/', to: 'https://shop.example.com/health' },
          {
            field: 'conditions',
            from: ['[STATUS] == 200', '[RESPONSE_TIME] < 300'],
            to: ['[STATUS] == 200', '[RESPONSE_TIME] < 500'],
          },
          { field: 'description', from: 'Storefront home page', to: null },
        ]),
      },
    ]);
    expect(plan.changes[0]?.fields).toHaveLength(4);
    expect(plan.summary).toMatchObject({ update: 1, unchanged: 3 });

    // Defaults written out are not drift.
    const explicit = GATEWAY_TCP.replace('  type: tcp\n', '  type: tcp\n  enabled: true\n  retries: 2\n  interval: 60s\n');
    const same = [file('services.yaml', SERVICES), file('probes.yaml', docs(HOME, explicit))];
    expect(await s.manifests.plan(same, defaults)).toMatchObject({ drift: false, changes: [] });

    // The same content under another source changes hands and nothing else.
    const other = await s.manifests.plan(same, { source: 'team-repo', prune: false });
    expect(other.drift).toBe(false);
    expect(other.changes.filter((c) => c.ref.startsWith('probe:'))).toEqual([
      {
        action: 'adopt',
        ref: 'probe:checkout-home',
        fields: [{ field: 'source', from: 'default', to: 'team-repo' }],
        file: 'probes.yaml',
        line: 4,
      },
      {
        action: 'adopt',
        ref: 'probe:gateway-port',
        fields: [{ field: 'source', from: 'default', to: 'team-repo' }],
        file: 'probes.yaml',
        line: 18,
      },
    ]);
    const applied = await s.manifests.apply(admin, same, { source: 'team-repo', prune: false });
    expect(applied.adopted).toEqual(expect.arrayContaining(['probe:checkout-home', 'probe:gateway-port']));
    expect((await probe('gateway-port'))?.source).toBe('team-repo');

    const updated = await s.manifests.apply(admin, files, defaults);
    expect(updated.updated).toContain('probe:checkout-home');
    expect((await probe('checkout-home'))?.spec).toMatchObject({ interval: '1m', description: null });
  });

  test('mistakes are refused at their file, line and field, in plan as in apply', async () => {
    const bad = `apiVersion: vigil.dev/v1
kind: Probe
metadata:
  name: broken
spec:
  service: checkout
  type: http
  interval: 5s
  timeout: 2s
  http:
    url: not-a-url
    verb: GET
  colour: blue
  conditions:
    - '[STATUS] == 200'
    - '[STATUSCODE] == 200'
`;
    const files = [file('services.yaml', SERVICES), file('probes/bad.yaml', bad)];
    // Every problem of the document at once, in the order they are written.
    for (const attempt of [() => s.manifests.plan(files, defaults), () => s.manifests.apply(admin, files, defaults)]) {
      const error = await refusal(attempt());
      expect(located(error)).toEqual([
        'probes/bad.yaml:8: spec.interval: must be at least 10s',
        'probes/bad.yaml:11: spec.http.url: must be an absolute http:// or https:// URL',
        'probes/bad.yaml:12: spec.http.verb: unknown field',
        'probes/bad.yaml:13: spec.colour: unknown field',
        expect.stringMatching(/^probes\/bad\.yaml:16: spec\.conditions\[1\]: unknown placeholder \[STATUSCODE\]/),
      ]);
      expect(error.message).toMatch(/^5 problems in the manifests; the first: probes\/bad\.yaml:8: spec\.interval/);
    }

    const required = `apiVersion: vigil.dev/v1
kind: Probe
metadata:
  name: bare
spec:
  service: checkout
  type: tls
  name: bare
`;
    expect(
      located(await refusal(s.manifests.plan([file('services.yaml', SERVICES), file('bare.yaml', required)], defaults))),
    ).toEqual(["bare.yaml:8: spec.name: unknown field; a Probe's name is metadata.name"]);
    const sectionless = required.replace(/ {2}name: bare\n$/, '  interval: 1h\n');
    expect(
      located(await refusal(s.manifests.plan([file('services.yaml', SERVICES), file('bare.yaml', sectionless)], defaults))),
    ).toEqual(['bare.yaml:5: spec.tls: a probe of type tls needs a tls section']);
    const typeless = `apiVersion: vigil.dev/v1
kind: Probe
metadata: { name: typeless }
spec:
  service: checkout
`;
    expect(located(await refusal(s.manifests.plan([file('t.yaml', typeless)], defaults)))).toEqual([
      't.yaml:4: spec.type: required; one of: http, tcp, dns, tls, heartbeat',
    ]);

    expect(await s.probes.snapshot()).toEqual([]);
    expect((await s.catalog.snapshot()).entities).toEqual([]);
  });

  test('a probe names a catalog service: declared in the same manifests, stored, or refused at its line', async () => {
    const elsewhere = HOME.replace('service: checkout', 'service: storefront');
    const files = [file('services.yaml', SERVICES), file('probes.yaml', docs(GATEWAY_TCP, elsewhere))];
    for (const attempt of [() => s.manifests.plan(files, defaults), () => s.manifests.apply(admin, files, defaults)]) {
      expect(located(await refusal(attempt()))).toEqual([
        expect.stringMatching(/^probes\.yaml:16: spec\.service: probe:checkout-home: service "storefront" is not in the catalog/),
      ]);
    }
    // All or nothing: the services and the good probe of the refused apply were not written either.
    expect(await s.probes.snapshot()).toEqual([]);
    expect((await s.catalog.snapshot()).entities).toEqual([]);

    // Stored services count; a service this prune deletes does not.
    await s.manifests.apply(admin, [file('services.yaml', SERVICES)], { source: 'catalog-repo', prune: false });
    expect((await s.manifests.plan([file('probes.yaml', HOME)], defaults)).summary.create).toBe(1);
    const pruning = await refusal(s.manifests.plan([file('probes.yaml', HOME)], { source: 'catalog-repo', prune: true }));
    expect(located(pruning)).toEqual([
      expect.stringMatching(/^probes\.yaml:7: spec\.service: .*"checkout" is not in the catalog/),
    ]);
  });

  test("only the owner team's members (and admins) write probes of a service, and a refusal writes nothing", async () => {
    const owned = `apiVersion: vigil.dev/v1
kind: Team
metadata: { name: payments }
---
apiVersion: vigil.dev/v1
kind: Service
metadata: { name: checkout }
spec: { owner: payments }
`;
    await s.manifests.apply(admin, [file('catalog.yaml', owned)], { source: 'catalog', prune: false });
    const outsider: Principal = { ...admin, role: 'member', scopes: new Set(SCOPES.filter((x) => x !== 'admin')) };
    await expect(s.manifests.apply(outsider, [file('probes.yaml', HOME)], defaults)).rejects.toBeInstanceOf(NotAllowedError);
    expect(await s.probes.snapshot()).toEqual([]);
  });

  test('a probe defined twice is refused at the second place, naming the first', async () => {
    const files = [file('services.yaml', SERVICES), file('a.yaml', HOME), file('b.yaml', `# again\n${HOME}`)];
    expect(located(await refusal(s.manifests.plan(files, defaults)))).toEqual([
      'b.yaml:5: metadata.name: Probe checkout-home is defined twice: here and at a.yaml:4',
    ]);
  });

  test('prune deletes the probes of its own source only', async () => {
    await s.manifests.apply(admin, [file('services.yaml', SERVICES)], { source: 'catalog', prune: false });
    await s.manifests.apply(admin, [file('a.yaml', docs(HOME, BACKUP))], { source: 'team-a', prune: false });
    await s.manifests.apply(admin, [file('b.yaml', GATEWAY_TCP)], { source: 'team-b', prune: false });

    const remaining = [file('a.yaml', HOME)];
    const plan = await s.manifests.plan(remaining, { source: 'team-a', prune: true });
    expect(plan.changes).toEqual([{ action: 'delete', ref: 'probe:nightly-backup', fields: [] }]);
    expect(plan.drift).toBe(true);
    // Without prune nothing goes away.
    expect((await s.manifests.plan(remaining, { source: 'team-a', prune: false })).changes).toEqual([]);

    const applied = await s.manifests.apply(admin, remaining, { source: 'team-a', prune: true });
    expect(applied.deleted).toEqual(['probe:nightly-backup']);
    expect((await s.probes.snapshot()).map((p) => [p.spec.name, p.source])).toEqual([
      ['checkout-home', 'team-a'],
      ['gateway-port', 'team-b'],
    ]);
  });

  test('export applies back without drift, here and on a fresh server', async () => {
    const everyKind = `apiVersion: vigil.dev/v1
kind: Probe
metadata: { name: api-post }
spec:
  service: api-gateway
  type: http
  enabled: false
  interval: 2m
  timeout: 20s
  retries: 0
  successesBeforeUp: 3
  http:
    url: http://gateway.internal:8080/v1/ping
    method: POST
    headers: { Content-Type: application/json, X-Probe: vigil }
    body: '{"ping": true}'
    followRedirects: false
    tlsVerify: false
    maxBodyBytes: 4096
  conditions: ['[STATUS] == any(200, 204)', '[BODY].ok == true', 'len([BODY].items) > 0']
---
apiVersion: vigil.dev/v1
kind: Probe
metadata: { name: edge-dns }
spec:
  service: api-gateway
  type: dns
  dns: { name: www.example.com, recordType: AAAA, server: '1.1.1.1:53', expect: '2001:db8::1' }
  conditions: ['[DNS_RCODE] == NOERROR']
---
apiVersion: vigil.dev/v1
kind: Probe
metadata: { name: shop-cert }
spec:
  service: checkout
  type: tls
  interval: 1h
  tls: { host: shop.example.com, port: 8443 }
  conditions: ['[CERTIFICATE_EXPIRATION] > 21d']
---
apiVersion: vigil.dev/v1
kind: Probe
metadata: { name: redis-ping }
spec:
  service: checkout
  type: tcp
  tcp: { host: redis.internal, port: 6379, send: "PING\\r\\n", expect: "+PONG" }
`;
    const files = [file('services.yaml', SERVICES), file('probes.yaml', docs(HOME, BACKUP, everyKind))];
    await s.manifests.apply(admin, files, defaults);
    const before = await s.probes.snapshot();
    expect(before).toHaveLength(6);

    const yaml = await s.manifests.exportYaml();
    expect(yaml).toContain('kind: Probe');
    expect(yaml).toContain('name: checkout-home\n  description: Storefront home page');
    // Defaults are left out, so the export reads like what was written.
    expect(yaml).not.toContain('maxBodyBytes: 1048576');
    expect(yaml).toContain('maxBodyBytes: 4096');
    const exported = [file('export.yaml', yaml)];
    expect(await s.manifests.plan(exported, { ...defaults, prune: true })).toMatchObject({ drift: false, changes: [] });

    const fresh = await setup(dialect);
    try {
      await fresh.manifests.apply(admin, exported, { source: 'restored', prune: false });
      const after = await fresh.probes.snapshot();
      expect(after.map((p) => p.spec)).toEqual(before.map((p) => p.spec));
      expect(await fresh.manifests.plan(files, { source: 'restored', prune: true })).toMatchObject({ drift: false, changes: [] });
    } finally {
      await fresh.tdb.destroy();
    }
  });

  test('the example probes apply with the example organization, then plan without drift', async () => {
    const files = await readManifestFiles(['examples']);
    const applied = await s.manifests.apply(systemPrincipal('examples'), files, { source: 'examples', prune: false });
    expect(applied.created).toEqual(
      expect.arrayContaining(['probe:api-gateway-health', 'probe:api-gateway-port', 'probe:nightly-backup', 'probe:db-vacuum']),
    );
    const stored = await s.probes.snapshot();
    expect(new Set(stored.map((p) => p.spec.type))).toEqual(new Set(['http', 'tcp', 'tls', 'dns', 'heartbeat']));
    // Only the probes that need the internet are paused; the others check the demo server itself.
    expect(
      stored
        .filter((p) => !p.spec.enabled)
        .map((p) => p.spec.type)
        .sort(),
    ).toEqual(['dns', 'tls']);
    for (const p of stored.filter((x) => x.spec.http)) expect(p.spec.http?.url).toMatch(/^http:\/\/localhost:4600\//);
    expect(await s.manifests.plan(files, { source: 'examples', prune: true })).toMatchObject({ drift: false, changes: [] });
  });

  test('an SLO measured by a probe applies together with the probe', async () => {
    const slo = `apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: checkout-home-uptime }
spec:
  service: checkout
  indicator: { probe: checkout-home }
  target: 99.5
`;
    const files = [file('services.yaml', SERVICES), file('probes.yaml', HOME), file('slo.yaml', slo)];
    const applied = await s.manifests.apply(admin, files, defaults);
    expect(applied.created).toEqual(expect.arrayContaining(['probe:checkout-home', 'slo:checkout-home-uptime']));
    expect((await s.slo.snapshot()).slis.find((x) => x.name === 'checkout-home-uptime-sli')).toMatchObject({
      source: 'probe',
      probe: 'checkout-home',
    });
    expect((await s.manifests.plan(files, defaults)).drift).toBe(false);
  });

  test('Probe is a kind only when the probe service is installed', async () => {
    expect(s.manifests.kinds.get('vigil.dev/v1', 'Probe')).toBeDefined();
    const without = new ManifestService({ db: s.tdb.db, clock: new FakeClock(), catalog: s.catalog });
    expect(located(await refusal(without.plan([file('p.yaml', HOME)], defaults)))).toEqual([
      expect.stringMatching(/^p\.yaml:2: kind: unknown kind "Probe"/),
    ]);
  });
});
