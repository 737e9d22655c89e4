import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { InputError } from '../core/errors.ts';
import { readManifestFiles } from './files.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vigil-files-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

const location = (...targets: string[]) =>
  `apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: l\nspec:\n  targets:\n${targets.map((t) => `    - ${t}\n`).join('')}`;

const read = (paths: string[]) => readManifestFiles(paths, { cwd: root });

async function rejection(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (error instanceof InputError) return error;
  throw new Error(`expected an InputError, got ${String(error)}`);
}

describe('readManifestFiles', () => {
  test('a folder yields its YAML files recursively, sorted, with paths relative to cwd', async () => {
    await write({
      'org/b.yaml': 'kind: B\n',
      'org/a.yml': 'kind: A\n',
      'org/teams/c.yaml': 'kind: C\n',
      'org/README.md': '# not a manifest',
      'org/.github/workflows/ci.yaml': 'on: push\n',
      'org/node_modules/x/y.yaml': 'kind: X\n',
    });
    const files = await read(['org']);
    expect(files.map((f) => f.path)).toEqual(['org/a.yml', 'org/b.yaml', 'org/teams/c.yaml']);
    expect(files[0]?.content).toBe('kind: A\n');
  });

  test('a file is read whatever its extension, and files named twice are read once', async () => {
    await write({ 'one.txt': 'kind: A\n', 'org/two.yaml': 'kind: B\n' });
    const files = await read(['one.txt', 'org', 'org/two.yaml', './one.txt']);
    expect(files.map((f) => f.path)).toEqual(['one.txt', 'org/two.yaml']);
  });

  test('follows Location targets relative to the Location file', async () => {
    await write({
      'repo/catalog-info.yaml': location('./services/checkout.yaml', '../shared/teams.yaml'),
      'repo/services/checkout.yaml': 'kind: Component\n',
      'shared/teams.yaml': 'kind: Group\n',
    });
    const files = await read(['repo/catalog-info.yaml']);
    expect(files.map((f) => f.path)).toEqual(['repo/catalog-info.yaml', 'repo/services/checkout.yaml', 'shared/teams.yaml']);
  });

  test('accepts spec.target, a folder target and a glob target', async () => {
    await write({
      'a.yaml': 'apiVersion: backstage.io/v1alpha1\nkind: Location\nspec:\n  target: ./more\n',
      'more/x.yaml': location('../globbed/**/catalog-info.yaml'),
      'globbed/one/catalog-info.yaml': 'kind: One\n',
      'globbed/two/deeper/catalog-info.yaml': 'kind: Two\n',
      'globbed/two/other.yaml': 'kind: Other\n',
    });
    const files = await read(['a.yaml']);
    expect(files.map((f) => f.path)).toEqual([
      'a.yaml',
      'more/x.yaml',
      'globbed/one/catalog-info.yaml',
      'globbed/two/deeper/catalog-info.yaml',
    ]);
  });

  test('Locations that point at each other are read once each', async () => {
    await write({
      'a.yaml': location('./b.yaml'),
      'b.yaml': location('./a.yaml', './c.yaml'),
      'c.yaml': location('./c.yaml'),
    });
    const files = await read(['a.yaml']);
    expect(files.map((f) => f.path)).toEqual(['a.yaml', 'b.yaml', 'c.yaml']);
  });

  test('a file reached through a symlink and directly is read once', async () => {
    await write({ 'real/a.yaml': 'kind: A\n' });
    await symlink(join(root, 'real'), join(root, 'link'));
    const files = await read(['real', 'link']);
    expect(files.map((f) => f.path)).toEqual(['real/a.yaml']);
  });

  test('a missing target is an error naming the Location file and line', async () => {
    await write({ 'org/catalog-info.yaml': location('./exists.yaml', './missing.yaml'), 'org/exists.yaml': 'kind: A\n' });
    const error = await rejection(read(['org']));
    expect(error.issues).toEqual([
      expect.objectContaining({
        file: 'org/catalog-info.yaml',
        line: 8,
        path: 'spec.targets[1]',
        message: expect.stringContaining('"./missing.yaml" does not exist'),
      }),
    ]);
  });

  test('an optional Location may point at nothing', async () => {
    await write({
      'a.yaml': 'apiVersion: backstage.io/v1alpha1\nkind: Location\nspec:\n  presence: optional\n  target: ./nope.yaml\n',
    });
    expect((await read(['a.yaml'])).map((f) => f.path)).toEqual(['a.yaml']);
  });

  test('URL targets are refused with the Location line', async () => {
    await write({ 'a.yaml': location('https://github.com/acme/repo/blob/main/catalog-info.yaml') });
    const error = await rejection(read(['a.yaml']));
    expect(error.issues[0]).toMatchObject({ file: 'a.yaml', line: 7, message: expect.stringContaining('URL') });
  });

  test('a path that does not exist is an error', async () => {
    const error = await rejection(read(['nowhere']));
    expect(error.message).toContain('nowhere');
  });

  test('a syntax error while looking for Locations carries file and line', async () => {
    await write({ 'bad.yaml': 'kind: A\nmetadata: [\n' });
    const error = await rejection(read(['bad.yaml']));
    expect(error.issues[0]).toMatchObject({ file: 'bad.yaml', path: 'syntax' });
  });
});
