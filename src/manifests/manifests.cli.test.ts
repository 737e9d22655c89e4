import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { EXIT } from '../cli/context.ts';
import { runCli } from '../cli/main.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import { formatChange, formatValue } from './manifests.cli.ts';

describe('vigil plan / apply / export', () => {
  let t: TestVigil;
  let server: string;
  let dir: string;

  beforeAll(async () => {
    t = await createTestVigil('sqlite');
    server = await t.app.listen({ port: 0, host: '127.0.0.1' });
    dir = await mkdtemp(join(tmpdir(), 'vigil-cli-'));
  });
  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    process.exitCode = undefined;
  });

  /** Runs `vigil …` as the binary does; returns the exit code and what it printed. */
  async function vigil(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      err += String(chunk);
      return true;
    });
    try {
      const code = await runCli(['--server', server, '--token', t.tokens.admin, ...args]);
      return { code, out, err };
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      process.exitCode = undefined;
    }
  }

  const team = (members: string) =>
    `apiVersion: vigil.dev/v1\nkind: Team\nmetadata:\n  name: payments\nspec:\n  members: [${members}]\n---\napiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: checkout\nspec:\n  owner: payments\n`;
  const users =
    'apiVersion: vigil.dev/v1\nkind: User\nmetadata:\n  name: ann\n---\napiVersion: vigil.dev/v1\nkind: User\nmetadata:\n  name: ben\n';

  test('plan exits 2 on drift and prints a readable diff; apply applies; plan then exits 0', async () => {
    await writeFile(join(dir, 'users.yaml'), users);
    await writeFile(join(dir, 'team.yaml'), team('ann'));

    const first = await vigil('plan', '-f', dir);
    expect(first.code).toBe(EXIT.drift);
    expect(first.out).toContain('+ team:payments\n');
    expect(first.out).toContain('+ service:checkout\n');
    expect(first.out).toContain('Plan: 4 to create, 0 to update, 0 to delete, 0 unchanged.');

    const applied = await vigil('apply', '-f', dir);
    expect(applied.code).toBe(EXIT.ok);
    expect(applied.out).toContain('Applied: 4 created, 0 updated, 0 deleted, 0 unchanged.');

    const clean = await vigil('plan', '-f', dir);
    expect(clean.code).toBe(EXIT.ok);
    expect(clean.out).toContain('No drift');

    await writeFile(join(dir, 'team.yaml'), team('ann, ben'));
    const changed = await vigil('plan', '-f', join(dir, 'team.yaml'), join(dir, 'users.yaml'));
    expect(changed.code).toBe(EXIT.drift);
    expect(changed.out).toContain('~ team:payments (members: [ann] → [ann, ben])');

    const json = await vigil('plan', '-f', dir, '--json');
    expect(json.code).toBe(EXIT.drift);
    expect(JSON.parse(json.out)).toMatchObject({ drift: true, summary: { update: 1 } });

    const pruned = await vigil('plan', '-f', join(dir, 'users.yaml'), '--prune');
    expect(pruned.out).toContain('- team:payments');
    expect(pruned.out).toContain('- service:checkout');
    const otherSource = await vigil('plan', '-f', join(dir, 'users.yaml'), '--prune', '--source', 'elsewhere');
    expect(otherSource.out).not.toContain('- team:payments');
  });

  test('a refused manifest is reported with its file and line and exit code 3', async () => {
    await writeFile(
      join(dir, 'broken.yaml'),
      'apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: x\nspec:\n  dependsOn: [nowhere]\n',
    );
    const result = await vigil('apply', '-f', join(dir, 'broken.yaml'));
    expect(result.code).toBe(EXIT.invalid);
    expect(result.err).toMatch(/broken\.yaml:6: spec\.dependsOn\[0\]: service:x: entity "service:nowhere" is unknown/);

    // Syntax errors are found while reading the files, before anything is sent.
    await writeFile(join(dir, 'syntax.yaml'), 'kind: [\n');
    const syntax = await vigil('plan', '-f', join(dir, 'syntax.yaml'));
    expect(syntax.code).toBe(EXIT.invalid);
    expect(syntax.err).toMatch(/syntax\.yaml:\d+: syntax: /);

    const missing = await vigil('plan', '-f', join(dir, 'no-such-folder'));
    expect(missing.code).toBe(EXIT.invalid);
    expect(missing.err).toContain('no such file or folder');
  });

  test('export writes YAML to stdout or to a file, and it plans back without changes', async () => {
    const printed = await vigil('export');
    expect(printed.code).toBe(EXIT.ok);
    expect(printed.out).toContain('kind: Team');
    const file = join(dir, 'export', 'catalog.yaml');
    await mkdir(join(dir, 'export'), { recursive: true });
    const written = await vigil('export', '-o', file);
    expect(written.err).toMatch(/wrote \d+ documents/);
    expect(await readFile(file, 'utf8')).toBe(printed.out);
    // The admin and the test users came from no manifest: applying would only take them over.
    const plan = await vigil('plan', '-f', file);
    expect(plan.code).toBe(EXIT.ok);
    expect(plan.out).toContain('= user:admin (source: (none) → default)');
    expect(plan.out).toMatch(/No drift: .*applying takes \d+ over from other sources/);
  });

  test('export --openslo writes the SLOs as OpenSLO v1, which plan back without changes', async () => {
    const slo =
      'apiVersion: vigil.dev/v1\nkind: SLO\nmetadata:\n  name: checkout-availability\nspec:\n  service: checkout\n  indicator: { events: {} }\n  target: 99.9\n';
    await mkdir(join(dir, 'slos'), { recursive: true });
    await writeFile(join(dir, 'slos', 'slo.yaml'), slo);
    await writeFile(join(dir, 'slos', 'team.yaml'), team('ann'));
    await writeFile(join(dir, 'slos', 'users.yaml'), users);
    expect((await vigil('apply', '-f', join(dir, 'slos'))).code).toBe(EXIT.ok);
    const file = join(dir, 'export', 'slos.yaml');
    await mkdir(join(dir, 'export'), { recursive: true });
    const written = await vigil('export', '--openslo', '-o', file);
    expect(written.code).toBe(EXIT.ok);
    const yaml = await readFile(file, 'utf8');
    expect(yaml).toContain('apiVersion: openslo/v1\nkind: SLO\n');
    expect(yaml).not.toContain('vigil.dev/v1');
    const plan = await vigil('plan', '-f', file);
    expect(plan.code).toBe(EXIT.ok);
    expect(plan.out).toMatch(/^No drift/m);
  });

  test('export without a token is refused with the unauthenticated exit code', async () => {
    const result = await vigil('--token', '', 'export');
    expect(result.code).toBe(EXIT.unauthenticated);
    expect(result.err).toContain('Sign in');
  });
});

describe('plan formatting', () => {
  test('values are short and readable', () => {
    expect(formatValue(null)).toBe('(none)');
    expect(formatValue(['a', 'b'])).toBe('[a, b]');
    expect(formatValue('tier-1')).toBe('tier-1');
    expect(formatValue('two words')).toBe('"two words"');
    expect(formatValue('x'.repeat(100))).toHaveLength(60);
    expect(formatValue({ b: '1' })).toBe('{"b":"1"}');
  });

  test('changes read as +, ~ and -', () => {
    expect(formatChange({ action: 'create', ref: 'service:checkout', fields: [] })).toBe('+ service:checkout');
    expect(formatChange({ action: 'delete', ref: 'user:carol', fields: [] })).toBe('- user:carol');
    expect(
      formatChange({
        action: 'update',
        ref: 'team:payments',
        fields: [
          { field: 'members', from: ['a'], to: ['a', 'b'] },
          { field: 'title', from: null, to: 'Payments' },
        ],
      }),
    ).toBe('~ team:payments (members: [a] → [a, b]; title: (none) → Payments)');
  });
});
