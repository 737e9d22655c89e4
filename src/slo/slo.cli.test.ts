import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../cli/context.ts';
import { runCli } from '../cli/testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import { percent, registerSloCommands, shortDuration } from './slo.cli.ts';
import { applySlo, ingestAll, minuteCounts, seedCatalog, sloState } from './slo.testing.ts';

const HOUR = 3_600_000;

describe('vigil slo', () => {
  let t: TestVigil;
  let server: string;

  beforeAll(async () => {
    t = await createTestVigil('sqlite');
    server = await t.app.listen({ port: 0, host: '127.0.0.1' });
    await seedCatalog(t.db, t.vigil.catalog);
    await applySlo(
      t.db,
      t.vigil.slo,
      sloState({
        slis: [{ name: 'checkout-requests', service: 'checkout' }, { name: 'search-requests' }],
        slos: [
          {
            name: 'checkout-availability',
            service: 'checkout',
            sli: 'checkout-requests',
            objectives: [{ target: 0.999 }],
          },
          { name: 'search-availability', service: 'search', sli: 'search-requests', objectives: [{ target: 0.99 }] },
        ],
      }),
    );
    const now = t.clock.now();
    await ingestAll(
      t.vigil.slo,
      'checkout-requests',
      minuteCounts(now - 6 * HOUR, now, 1000, (at) => (at >= now - HOUR ? 20 : 0)),
    );
    await ingestAll(t.vigil.slo, 'search-requests', minuteCounts(now - HOUR, now, 100));
    await t.vigil.slo.evaluate();
  });
  afterAll(async () => {
    await t.close();
  });

  async function vigil(role: keyof TestVigil['tokens'], ...args: string[]): Promise<string> {
    return runCli(registerSloCommands, ['--server', server, '--token', t.tokens[role], ...args]);
  }

  it('prints the status of every SLO as a table, lowest budget first, and one as JSON', async () => {
    const table = await vigil('read', 'slo', 'status');
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SERVICE\s+SLI\s+TARGET\s+REMAINING\s+BURN 1H\s+EXHAUSTION\s+POLICY\s+ALERTS$/);
    // 2 % errors for an hour against a 0.1 % budget: a 20× burn, and the six hours of data so far
    // allow 360 bad events where 1,200 failed.
    expect(lines[1]).toMatch(
      /^checkout-availability\s+checkout\s+99\.667%\s+99\.9%\s+-233\.333%\s+20\.0×\s+exhausted\s+halted\s+page-fast,ticket$/,
    );
    expect(lines[2]).toMatch(/^search-availability\s+search\s+100%\s+99%\s+100%\s+0\.00×\s+-\s+ok\s+-$/);

    const one = JSON.parse(await vigil('read', 'slo', 'status', 'search-availability', '--json'));
    expect(one).toMatchObject({ name: 'search-availability', objectives: [{ remainingRatio: 1 }] });
    await expect(vigil('read', 'slo', 'status', 'nope')).rejects.toMatchObject({ exitCode: EXIT.notFound });
  });

  it('lists firing alerts', async () => {
    const out = await vigil('read', 'slo', 'alerts');
    expect(out.split('\n')[0]).toMatch(/^SLO\s+OBJECTIVE\s+RULE\s+SEVERITY\s+STATE\s+FIRED\s+RESOLVED\s+REASON$/);
    expect(out).toMatch(/checkout-availability\s+default\s+page-fast\s+page\s+firing\s+2026-03-02T10:00:00.000Z\s+-\s+burning/);
    expect(await vigil('read', 'slo', 'alerts', '--state', 'resolved')).toBe('No alerts.\n');
    expect(JSON.parse(await vigil('read', 'slo', 'alerts', '--json')).items).toHaveLength(2);
    await expect(vigil('read', 'slo', 'alerts', '--state', 'maybe')).rejects.toBeInstanceOf(CliError);
  });

  it('overrides a halted policy with a reason and an expiry', async () => {
    expect(await vigil('read', 'slo', 'policy', 'checkout')).toMatch(/^checkout: halted \(warn, halt-deploys, halt-flag-ramps\)/);
    const out = await vigil('admin', 'slo', 'override', 'checkout', '--reason', 'roll out the fix', '--until', '2h');
    expect(out).toContain('checkout: warn (warn)');
    expect(out).toContain('override until 2026-03-02T12:00:00.000Z by');
    expect(out).toContain('roll out the fix');
    await expect(vigil('read', 'slo', 'override', 'checkout', '--reason', 'x', '--until', '2h')).rejects.toMatchObject({
      exitCode: EXIT.invalid,
    });
  });

  it('formats percentages and durations for people', () => {
    expect(percent(0.99953)).toBe('99.953%');
    expect(percent(0.5)).toBe('50%');
    expect(percent(-0.25)).toBe('-25%');
    expect(percent(null)).toBeNull();
    expect(shortDuration(3 * 86_400_000 + 4 * HOUR + 5000)).toBe('3d4h');
    expect(shortDuration(47 * 60_000)).toBe('47m');
    expect(shortDuration(HOUR + 30_000)).toBe('1h');
    expect(shortDuration(0)).toBe('0s');
  });
});
