import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../cli/context.ts';
import { runCli } from '../cli/testing.ts';
import type { Db } from '../db/database.ts';
import type { AlertsTable } from '../db/schema.ts';
import { testDialects } from '../db/testing.ts';
import { seedCatalog } from '../slo/slo.testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import { registerAlertCommands } from './alert.cli.ts';
import { seedAlertHistory } from './alert.simulator.ts';
import type { FatigueReport } from './fatigue.ts';

const t = (iso: string) => Date.parse(iso);
let seq = 0;

async function serviceId(db: Db, name: string): Promise<string> {
  const row = await db.kysely.selectFrom('catalog_entities').select('id').where('name', '=', name).executeTakeFirstOrThrow();
  return row.id;
}

function row(over: Partial<AlertsTable> & { service_id: string; created_at: number }): AlertsTable {
  seq++;
  return {
    id: `alert-${String(seq).padStart(4, '0')}`,
    integration_id: null,
    origin: 'events-api-v2',
    dedup_key: `key-${seq}`,
    status: over.resolved_at ? 'resolved' : over.acknowledged_at ? 'acknowledged' : 'triggered',
    severity: 'critical',
    summary: 'Something is wrong',
    source: null,
    component: null,
    grp: null,
    class: null,
    details: '{}',
    links: '[]',
    images: '[]',
    labels: '{}',
    last_event_at: over.created_at,
    event_count: 1,
    acknowledged_at: null,
    acknowledged_by: null,
    resolved_at: null,
    resolved_by: null,
    urgency: 'high',
    suppressed_by: null,
    notify_at: null,
    ...over,
  };
}

/**
 * Monday 2026-02-23 and Tuesday in UTC. Payments (checkout, ledger) is paged three times on
 * Sunday night's shift, twice for nothing, and once more on Monday by an SLO that resolves
 * itself; one ledger alert is suppressed. Search has one open probe alert on Tuesday night.
 */
async function seed(db: Db): Promise<void> {
  const checkout = await serviceId(db, 'checkout');
  const ledger = await serviceId(db, 'ledger');
  const search = await serviceId(db, 'search');
  await db.kysely
    .insertInto('integrations')
    .values({
      id: 'int-checkout-pd',
      name: 'checkout-pd',
      service_id: checkout,
      type: 'events-api-v2',
      key_hash: 'x'.repeat(64),
      key_hint: 'vik_abcd',
      config: '{}',
      rate_limit_per_minute: 6000,
      source: null,
      created_at: t('2026-02-01T00:00:00Z'),
      updated_at: t('2026-02-01T00:00:00Z'),
      revoked_at: null,
    })
    .execute();
  const pd = { service_id: checkout, integration_id: 'int-checkout-pd', dedup_key: 'checkout/5xx' };
  const rows: AlertsTable[] = [
    row({
      ...pd,
      created_at: t('2026-02-23T02:00:00Z'),
      resolved_at: t('2026-02-23T02:02:00Z'),
      resolved_by: 'integration:checkout-pd',
    }),
    row({
      ...pd,
      created_at: t('2026-02-23T03:00:00Z'),
      resolved_at: t('2026-02-23T03:04:00Z'),
      resolved_by: 'integration:checkout-pd',
    }),
    row({
      ...pd,
      created_at: t('2026-02-23T05:00:00Z'),
      acknowledged_at: t('2026-02-23T05:01:00Z'),
      acknowledged_by: 'user:alice',
      resolved_at: t('2026-02-23T05:20:00Z'),
      resolved_by: 'user:alice',
    }),
    row({
      service_id: ledger,
      origin: 'slo',
      dedup_key: 'slo:ledger:availability:page-fast',
      created_at: t('2026-02-23T10:00:00Z'),
      resolved_at: t('2026-02-23T10:30:00Z'),
      resolved_by: 'system:slo',
    }),
    row({ service_id: ledger, created_at: t('2026-02-23T11:00:00Z'), suppressed_by: 'flapping' }),
    row({
      service_id: search,
      origin: 'probe',
      dedup_key: 'probe:search-home',
      urgency: 'low',
      severity: 'warning',
      created_at: t('2026-02-24T21:00:00Z'),
    }),
    // Just outside the period on either side.
    row({ service_id: checkout, created_at: t('2026-02-22T23:59:59Z') }),
    row({ service_id: checkout, created_at: t('2026-02-25T00:00:00Z') }),
  ];
  await db.kysely.insertInto('alerts').values(rows).execute();
}

describe.each(testDialects)('the alert fatigue report on %s', (dialect) => {
  let tv: TestVigil;

  beforeAll(async () => {
    seq = 0;
    tv = await createTestVigil(dialect);
    await seedCatalog(tv.db, tv.vigil.catalog);
    await seed(tv.db);
  });
  afterAll(async () => {
    await tv?.close();
  });

  async function get(query: string, role: keyof TestVigil['tokens'] = 'read') {
    return tv.app.inject({ method: 'GET', url: `/api/v1/alerts/fatigue${query}`, headers: tv.as(role) });
  }

  it('reports pages, shifts and sources per team with exact numbers', async () => {
    const res = await get('?from=2026-02-23T00:00:00Z&to=2026-02-25T00:00:00Z');
    expect(res.statusCode).toBe(200);
    const r = res.json() as FatigueReport;
    expect([r.from, r.to, r.timeZone]).toEqual([t('2026-02-23T00:00:00Z'), t('2026-02-25T00:00:00Z'), 'UTC']);
    expect(r.teams.map((x) => x.team)).toEqual(['payments', 'search']);
    const { shifts, sources, ...payments } = r.teams[0]!;
    expect(payments).toEqual({
      team: 'payments',
      title: null,
      alerts: 5,
      suppressed: 1,
      pages: 4,
      highUrgency: 4,
      outsideWorkingHours: 3,
      acknowledged: 1,
      noise: 3,
      transient: 2,
      open: 0,
      outsideWorkingHoursShare: 0.75,
      acknowledgedShare: 0.25,
      noiseShare: 0.75,
      shiftCount: 5,
      hours: 48,
      pagesPer12h: 1,
      maxShiftPages: 3,
      flagged: false,
      flaggedShifts: 1,
    });
    expect(shifts.map((s) => [s.label, s.pages, s.outsideWorkingHours, s.acknowledged, s.noise, s.flagged])).toEqual([
      ['2026-02-22 night', 3, 3, 1, 2, true],
      ['2026-02-23 day', 1, 0, 0, 1, false],
      ['2026-02-23 night', 0, 0, 0, 0, false],
      ['2026-02-24 day', 0, 0, 0, 0, false],
      ['2026-02-24 night', 0, 0, 0, 0, false],
    ]);
    expect(sources.map((s) => [s.service, s.via, s.key, s.pages, s.noise, s.acknowledged])).toEqual([
      ['checkout', 'checkout-pd', 'checkout/5xx', 3, 2, 1],
      ['ledger', 'slo', 'slo:ledger:availability:page-fast', 1, 1, 0],
    ]);
    const search = r.teams[1]!;
    expect([search.pages, search.outsideWorkingHours, search.open, search.pagesPer12h, search.highUrgency]).toEqual([
      1, 1, 1, 0.25, 0,
    ]);
    expect(search.shifts.map((s) => s.pages)).toEqual([0, 0, 0, 0, 1]);
    expect(r.totals).toMatchObject({ alerts: 6, pages: 5, suppressed: 1, noise: 3, flaggedTeams: 0, flaggedShifts: 1 });
    // Equal pages: the noisier source first.
    expect(r.sources.map((s) => s.key)).toEqual(['checkout/5xx', 'slo:ledger:availability:page-fast', 'probe:search-home']);
  });

  it('reports one team, and reads local dates in the time zone asked for', async () => {
    const res = await get('?team=search&from=2026-02-23&to=2026-02-25&timeZone=Europe/Berlin');
    expect(res.statusCode).toBe(200);
    const r = res.json() as FatigueReport;
    expect([r.from, r.to]).toEqual([t('2026-02-22T23:00:00Z'), t('2026-02-24T23:00:00Z')]);
    expect(r.teams.map((x) => [x.team, x.pages])).toEqual([['search', 1]]);
    // 21:00 UTC is 22:00 in Berlin: the night shift of Tuesday the 24th.
    expect(r.teams[0]!.shifts.filter((s) => s.pages > 0).map((s) => s.label)).toEqual(['2026-02-24 night']);
    expect(r.workingHours.timeZone).toBe('Europe/Berlin');
  });

  it('cuts shifts at the handoff times asked for and flags them per 12 hours of their length', async () => {
    const period = '?from=2026-02-23T00:00:00Z&to=2026-02-25T00:00:00Z';
    const plain = (await get(period)).json() as FatigueReport;
    expect(plain.handoffs).toEqual(['08:00', '20:00']);

    const daily = await get(`${period}&handoffs=09:00`);
    expect(daily.statusCode).toBe(200);
    const d = daily.json() as FatigueReport;
    expect([d.handoffs, d.shiftSchedule]).toEqual([['09:00'], '24-hour shifts (09:00–09:00, UTC)']);
    const payments = d.teams.find((x) => x.team === 'payments')!;
    expect(payments.shifts.map((s) => [s.label, s.partial, s.hours, s.pages, s.pagesPer12h, s.flagged])).toEqual([
      ['2026-02-22 09:00–09:00', true, 24, 3, 1.5, false],
      ['2026-02-23 09:00–09:00', false, 24, 1, 0.5, false],
      ['2026-02-24 09:00–09:00', true, 24, 0, 0, false],
    ]);
    // The team's average does not depend on the shifts: 4 pages in 48 hours.
    expect([payments.pagesPer12h, payments.flagged, payments.flaggedShifts]).toEqual([1, false, 0]);
    expect(d.totals.flaggedShifts).toBe(0);

    const three = (await get(`${period}&handoffs=23:00,07:00,15:00&team=payments`)).json() as FatigueReport;
    expect(three.handoffs).toEqual(['07:00', '15:00', '23:00']);
    const p = three.teams[0]!;
    expect(p.shifts.slice(0, 3).map((s) => [s.label, s.kind, s.hours, s.pages, s.pagesPer12h, s.flagged])).toEqual([
      ['2026-02-22 23:00–07:00', 'night', 8, 3, 4.5, true],
      ['2026-02-23 07:00–15:00', 'day', 8, 1, 1.5, false],
      ['2026-02-23 15:00–23:00', 'day', 8, 0, 0, false],
    ]);
    expect([p.shiftCount, p.flaggedShifts]).toEqual([7, 1]);
  });

  it('covers the last 28 days by default', async () => {
    const r = (await get('')).json() as FatigueReport;
    expect([r.from, r.to]).toEqual([t('2026-02-02T10:00:00Z'), t('2026-03-02T10:00:00Z')]);
    const payments = r.teams.find((x) => x.team === 'payments')!;
    // 10:00–20:00 on the first day, 55 whole shifts, 08:00–10:00 on the last.
    expect([payments.shiftCount, payments.hours, payments.pages]).toEqual([57, 672, 6]);
    expect(r.totals.alerts).toBe(8);
    const week = (await get('?days=7')).json() as FatigueReport;
    expect(week.from).toBe(t('2026-02-23T10:00:00Z'));
    expect(week.totals.pages).toBe(3);
  });

  it('answers bad input with problem+json naming the field', async () => {
    for (const [query, path] of [
      ['?from=yesterday', 'from'],
      ['?to=2026-13-01', 'to'],
      ['?from=2026-02-25&to=2026-02-23', 'from'],
      ['?from=2024-01-01&to=2026-01-01', 'from'],
      ['?days=0', 'days'],
      ['?days=two', 'days'],
      ['?timeZone=Mars/Olympus', 'timeZone'],
      ['?team=Not%20A%20Name', 'querystring.team'],
      ['?shift=night', 'querystring.shift'],
      ['?handoffs=9:00', 'handoffs'],
      ['?handoffs=noon', 'handoffs'],
      ['?handoffs=09:00,21:00,09:00', 'handoffs'],
      ['?handoffs=00:00,01:00,02:00,03:00,04:00,05:00,06:00', 'handoffs'],
      ['?handoffs=09:00,', 'handoffs'],
    ] as const) {
      const res = await get(query);
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors[0].path, query).toBe(path);
    }
    const missing = await get('?team=nobody');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().detail).toBe('no team named "nobody"');
    const anonymous = await tv.app.inject({ method: 'GET', url: '/api/v1/alerts/fatigue' });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('vigil alert fatigue', () => {
  let tv: TestVigil;
  let server: string;

  beforeAll(async () => {
    seq = 0;
    tv = await createTestVigil('sqlite');
    server = await tv.app.listen({ port: 0, host: '127.0.0.1' });
    await seedCatalog(tv.db, tv.vigil.catalog);
    await seed(tv.db);
  });
  afterAll(async () => {
    await tv?.close();
  });

  const vigil = (...args: string[]) => runCli(registerAlertCommands, ['--server', server, '--token', tv.tokens.read, ...args]);

  it('prints the teams, the shifts over two pages and the noisiest sources', async () => {
    const out = await vigil('alert', 'fatigue', '--days', '28');
    expect(out).toContain('Alert fatigue 2026-02-02 10:00 → 2026-03-02 10:00 UTC (28 days)');
    expect(out).toMatch(/payments\s+6\s+0\.11\s+4\s+5 \(83%\)\s+1 \(17%\)\s+3 \(50%\)\s+1\s+1 busy shift\(s\)/);
    expect(out).toMatch(/search\s+1\s+0\.02\s+1\s+1 \(100%\)\s+0 \(0%\)\s+0 \(0%\)\s+0\s+ok/);
    expect(out).toContain('Shifts over 2 pages: 1');
    expect(out).toMatch(/payments\s+2026-02-22 night\s+4\s+4\s+1\s+2/);
    expect(out).toMatch(/checkout\s+checkout-pd\s+checkout\/5xx\s+3\s+2 \(67%\)\s+1\s+3/);
  });

  it('prints JSON and takes one team', async () => {
    const r = JSON.parse(await vigil('alert', 'fatigue', '--team', 'search', '--days', '7', '--json')) as FatigueReport;
    expect(r.teams.map((x) => [x.team, x.pages])).toEqual([['search', 1]]);
    expect(r.to - r.from).toBe(7 * 86_400_000);
  });

  it('refuses a bad --days before asking the server', async () => {
    await expect(vigil('alert', 'fatigue', '--days', '0')).rejects.toThrow(/--days must be a whole number/);
  });

  it('takes the handoff times with --handoffs, and refuses bad ones before asking the server', async () => {
    const out = await vigil('alert', 'fatigue', '--days', '28', '--handoffs', '07:00,15:00,23:00');
    expect(out).toContain('Shifts: 8-hour shifts (07:00–15:00, 15:00–23:00, 23:00–07:00, UTC).');
    expect(out).toContain('Shifts over 2 pages per 12 h: 1');
    expect(out).toMatch(/payments\s+2026-02-22 23:00–07:00\s+4\s+4\s+1\s+2\s+6\.00/);
    const r = JSON.parse(await vigil('alert', 'fatigue', '--handoffs', '09:00,21:00', '--json')) as FatigueReport;
    expect(r.handoffs).toEqual(['09:00', '21:00']);
    expect(r.teams[0]!.shifts[0]!.label).toMatch(/^\d{4}-\d{2}-\d{2} (09:00–21:00|21:00–09:00)$/);

    for (const bad of ['9:00', '09:00,09:00', '1,2,3']) {
      const error = await vigil('alert', 'fatigue', '--handoffs', bad).catch((e: unknown) => e);
      expect(error, bad).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(EXIT.invalid);
      expect((error as CliError).message).toMatch(/^--handoffs: /);
    }
  });
});

describe('the demo alert history', () => {
  let tv: TestVigil;

  beforeAll(async () => {
    tv = await createTestVigil('sqlite', { examples: 'examples' });
  });
  afterAll(async () => {
    await tv?.close();
  });

  it('seeds 28 days of alerts once, enough for a report with noise, acknowledgements and a flagged shift', async () => {
    const first = await seedAlertHistory(tv.db, tv.clock);
    expect(first).toBeGreaterThan(50);
    expect(await seedAlertHistory(tv.db, tv.clock)).toBe(0);
    const r = (
      await tv.app.inject({ method: 'GET', url: '/api/v1/alerts/fatigue', headers: tv.as('read') })
    ).json() as FatigueReport;
    expect(r.totals.pages).toBeGreaterThan(40);
    expect(r.totals.noise).toBeGreaterThan(0);
    expect(r.totals.acknowledged).toBeGreaterThan(0);
    expect(r.totals.suppressed).toBeGreaterThan(0);
    expect(r.totals.outsideWorkingHours).toBeGreaterThan(0);
    expect(r.totals.flaggedShifts).toBeGreaterThan(0);
    // The checkout team is paged too often: more than two pages per 12 hours.
    expect(r.teams[0]).toMatchObject({ team: 'checkout', flagged: true });
    expect(r.sources.length).toBe(10);
  });
});
