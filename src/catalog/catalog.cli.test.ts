import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.ts';
import { CliError, EXIT } from '../cli/context.ts';
import { runCli } from '../cli/testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import { registerCatalogCommands } from './catalog.cli.ts';
import { EntitySpec, TeamSpec } from './catalog.model.ts';

describe('vigil catalog / vigil teams', () => {
  let t: TestVigil;
  let server: string;

  beforeAll(async () => {
    t = await createTestVigil('sqlite');
    server = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const admin = systemPrincipal('test');
    await t.vigil.catalog.createTeam(admin, TeamSpec.parse({ name: 'payments', title: 'Payments', members: ['admin'] }));
    await t.vigil.catalog.createTeam(admin, TeamSpec.parse({ name: 'core', type: 'platform' }));
    await t.vigil.catalog.createEntity(admin, EntitySpec.parse({ name: 'ledger', owner: 'core', tier: 'tier-1' }));
    await t.vigil.catalog.createEntity(admin, EntitySpec.parse({ name: 'checkout', owner: 'payments', dependsOn: ['ledger'] }));
    await t.vigil.catalog.createEntity(
      admin,
      EntitySpec.parse({ kind: 'api', name: 'checkout-api', owner: 'payments', dependsOn: ['checkout'] }),
    );
  });
  afterAll(async () => {
    await t.close();
  });

  /** Runs the commands under a root program like `vigil`'s and returns what they printed. */
  async function vigil(...args: string[]): Promise<string> {
    return runCli(registerCatalogCommands, ['--server', server, '--token', t.tokens.read, ...args]);
  }

  it('lists entities as a table, with filters, and as JSON', async () => {
    const table = await vigil('catalog', 'list');
    expect(table.split('\n')[0]).toMatch(/^ENTITY\s+OWNER\s+TIER\s+LIFECYCLE\s+TITLE$/);
    expect(table).toContain('api:checkout-api');
    expect(await vigil('catalog', 'list', '--owner', 'core')).not.toContain('checkout');
    expect(await vigil('catalog', 'list', '--limit', '1')).toContain('1–1 of 3; --offset 1 for more');
    expect(await vigil('catalog', 'list', '--search', 'nothing-like-this')).toContain('No entities match');

    const json = JSON.parse(await vigil('catalog', 'list', '--kind', 'api', '--json'));
    expect(json).toMatchObject({ total: 1, items: [{ name: 'checkout-api' }] });
    // --json also works before the command, where the root program sees it.
    expect(JSON.parse(await vigil('--json', 'catalog', 'list', '--tier', 'tier-1')).items[0].name).toBe('ledger');
  });

  it('shows an entity and its blast radius', async () => {
    const shown = await vigil('catalog', 'show', 'checkout');
    expect(shown).toContain('service:checkout');
    expect(shown).toMatch(/owner:\s+payments/);
    expect(shown).toMatch(/Depends on:\nENTITY\s+OWNER\nservice:ledger\s+core/);

    const radius = await vigil('catalog', 'blast-radius', 'ledger');
    expect(radius).toContain('Blast radius of service:ledger: 2 impacted entities, 1 team');
    expect(radius).toMatch(/api:checkout-api\s+2\s+payments\s+-\s+service:checkout/);
    expect(radius).toMatch(/Teams:\nTEAM\s+ENTITIES\npayments\s+2/);
    expect(await vigil('catalog', 'blast-radius', 'api:checkout-api')).toContain('Nothing depends on api:checkout-api');
    expect(JSON.parse(await vigil('catalog', 'blast-radius', 'ledger', '--json')).teams).toEqual([
      { name: 'payments', count: 2 },
    ]);
  });

  it('reports Conway findings', async () => {
    const findings = await vigil('catalog', 'conway');
    expect(findings).toMatch(/service:checkout\s+payments\s+service:ledger\s+core/);
    expect(findings).toContain('1 undeclared dependency');
    expect(JSON.parse(await vigil('catalog', 'conway', '--json')).items).toHaveLength(1);
  });

  it('lists and shows teams', async () => {
    expect(await vigil('teams', 'list')).toMatch(/payments\s+stream-aligned\s+1\s+2\s+Payments/);
    const payments = await vigil('teams', 'show', 'payments');
    expect(payments).toContain('payments  Payments  (stream-aligned)');
    expect(payments).toMatch(/Members:\nNAME\s+DISPLAY NAME\s+ROLE\nadmin\s+Administrator\s+member/);
    expect(payments).toContain('Interactions:\n  none declared');
    expect(JSON.parse(await vigil('teams', 'show', 'core', '--json')).entities[0].name).toBe('ledger');
  });

  it('fails with exit codes scripts can use', async () => {
    const notFound = await vigil('catalog', 'show', 'api:nothing').catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(CliError);
    expect((notFound as CliError).exitCode).toBe(EXIT.notFound);
    const invalid = await vigil('catalog', 'blast-radius', 'Not A Ref').catch((e: unknown) => e);
    expect((invalid as CliError).exitCode).toBe(EXIT.invalid);
    await expect(vigil('teams', 'show', 'nobody')).rejects.toMatchObject({ exitCode: EXIT.notFound });
  });
});
