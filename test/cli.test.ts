import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVigil, type Vigil } from '../src/server.ts';

const TOKEN = 'vgl_cli_test_admin_token_0123456789';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the vigil CLI against a running server', () => {
  let vigil: Vigil & { url: string };
  let dir: string;

  function vigilCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['bin/vigil.mjs', ...args], {
        env: { ...process.env, VIGIL_URL: vigil.url, VIGIL_TOKEN: TOKEN, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
    vigil = await startVigil({
      db: `sqlite:${join(dir, 'vigil.db')}`,
      port: 0,
      adminToken: TOKEN,
      examples: null,
      webRoot: '/nonexistent',
    });
  });
  afterAll(async () => {
    await vigil.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies the example organization, then plans no drift (exit 0)', async () => {
    const applied = await vigilCli(['apply', '-f', 'examples', '--source', 'examples']);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const plan = await vigilCli(['plan', '-f', 'examples', '--source', 'examples']);
    expect(plan.code).toBe(0);
  });

  it('plan exits 2 on drift and shows the change without applying it', async () => {
    const copy = join(dir, 'examples');
    cpSync('examples', copy, { recursive: true });
    const file = join(copy, 'catalog', 'services.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('tier: tier-3', 'tier: tier-2'));
    const plan = await vigilCli(['plan', '-f', copy, '--source', 'examples']);
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/notifications/);
    expect(plan.stdout).toMatch(/tier/);
    const show = await vigilCli(['catalog', 'show', 'notifications', '--json']);
    expect(JSON.parse(show.stdout).tier).toBe('tier-3');
  });

  it('prints blast radius as a table and as JSON', async () => {
    const table = await vigilCli(['catalog', 'blast-radius', 'payments']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/checkout/);
    expect(table.stdout).toMatch(/web-frontend/);
    const json = await vigilCli(['--json', 'catalog', 'blast-radius', 'payments']);
    const radius = JSON.parse(json.stdout);
    const names = radius.impacted.map((i: { name: string }) => i.name);
    expect(names).toEqual(expect.arrayContaining(['payments-api', 'checkout', 'api-gateway', 'web-frontend', 'mobile-bff']));
    expect(names).not.toContain('ledger');
  });

  it('exports YAML that apply accepts unchanged and that plans no drift (round trip)', async () => {
    const out = join(dir, 'export.yaml');
    const exported = await vigilCli(['export', '-o', out]);
    expect(exported.code).toBe(0);
    const plan = await vigilCli(['plan', '-f', out, '--source', 'examples']);
    expect(plan.code).toBe(0);
    const apply = await vigilCli(['apply', '-f', out, '--source', 'examples']);
    expect(apply.code).toBe(0);
  });

  it('shows the audit trail of what apply did', async () => {
    const audit = await vigilCli(['audit', '--since', '1h', '--json']);
    expect(audit.code).toBe(0);
    const kinds = JSON.parse(audit.stdout).items.map((e: { kind: string }) => e.kind);
    expect(kinds).toContain('catalog.entity.created');
    expect(kinds).toContain('catalog.team.created');
  });

  it('reports a bad manifest with file and line and exits non-zero, changing nothing', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: broken\nspec:\n  owner: nobody-owns-this\n');
    const res = await vigilCli(['apply', '-f', bad]);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/bad\.yaml:6/);
    const show = await vigilCli(['catalog', 'show', 'broken']);
    expect(show.code).toBe(5);
  });

  it("prints the SLA compliance report and a team's weekly SLO review, as JSON and Markdown", async () => {
    const month = new Date().toISOString().slice(0, 7);
    const sla = await vigilCli(['--json', 'report', 'sla', '--month', month]);
    expect(sla.code, sla.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(sla.stdout))).toMatch(/checkout/);
    const review = await vigilCli(['report', 'slo-review', '--team', 'checkout', '--markdown']);
    expect(review.code, review.stderr).toBe(0);
    expect(review.stdout).toMatch(/^#/m);
    expect(review.stdout).toMatch(/checkout-availability/);
    const unknown = await vigilCli(['report', 'slo-review', '--team', 'no-such-team']);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toMatch(/no-such-team/);
  });

  it('says how to authenticate when no token is given (exit 4)', async () => {
    const res = await vigilCli(['catalog', 'list'], { VIGIL_TOKEN: '' });
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(/VIGIL_TOKEN/);
  });

  it('fails clearly when the server is unreachable (exit 1)', async () => {
    const res = await vigilCli(['catalog', 'list'], { VIGIL_URL: 'http://127.0.0.1:9' });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/cannot reach/);
  });
});
