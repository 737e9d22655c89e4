import { describe, expect, test } from 'vitest';
import { InputError } from '../core/errors.ts';
import { formatFieldPath, parseManifestFile, parseManifests } from './parse.ts';

const file = (content: string, path = 'catalog.yaml') => ({ path, content });

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parseManifestFile', () => {
  test('reads every document of a file and remembers where each starts', () => {
    const docs = parseManifestFile(
      file(`# leading comment
apiVersion: vigil.dev/v1
kind: User
metadata:
  name: alice
---
apiVersion: vigil.dev/v1
kind: User
metadata:
  name: bob
`),
    );
    expect(docs.map((d) => [d.index, d.line, (d.value as { metadata: { name: string } }).metadata.name])).toEqual([
      [0, 2, 'alice'],
      [1, 7, 'bob'],
    ]);
    expect(docs[1]?.file).toBe('catalog.yaml');
  });

  test('skips empty documents: a trailing separator, a document of comments', () => {
    const docs = parseManifestFile(file('---\n# nothing here\n---\nkind: A\n---\n'));
    expect(docs).toHaveLength(1);
    expect(docs[0]?.value).toEqual({ kind: 'A' });
    expect(docs[0]?.index).toBe(0);
  });

  test('maps a field path to the line of that field', () => {
    const [doc] = parseManifestFile(
      file(`apiVersion: vigil.dev/v1
kind: Service
metadata:
  name: checkout
  annotations:
    vigil.dev/tier: tier-1
spec:
  owner: payments
  dependsOn:
    - cart
    - api:payments-api

    - resource:orders-db
  links: [{ url: "https://a.example" }, { url: "https://b.example" }]
`),
    );
    if (!doc) throw new Error('no document');
    expect(doc.lineOf(['spec', 'dependsOn', 2])).toBe(13);
    expect(doc.lineOf(['spec', 'dependsOn', 0])).toBe(10);
    expect(doc.lineOf(['spec', 'owner'])).toBe(8);
    expect(doc.lineOf(['metadata', 'annotations', 'vigil.dev/tier'])).toBe(6);
    expect(doc.lineOf(['spec', 'links', 1, 'url'])).toBe(14);
    expect(doc.lineOf([])).toBe(1);
  });

  test('a field that is not written maps to its nearest written ancestor', () => {
    const [doc] = parseManifestFile(file('kind: Team\nmetadata:\n  name: payments\nspec:\n  type: platform\n'));
    if (!doc) throw new Error('no document');
    expect(doc.lineOf(['spec', 'members', 3])).toBe(4);
    expect(doc.has(['spec', 'members'])).toBe(false);
    expect(doc.has(['spec', 'type'])).toBe(true);
  });

  test('lines count from the start of the file, not of the document', () => {
    const docs = parseManifestFile(file('kind: A\n---\nkind: B\nspec:\n  x: 1\n'));
    expect(docs[1]?.lineOf(['spec', 'x'])).toBe(5);
  });

  test('a syntax error is an InputError with the file and line', () => {
    const error = inputError(() =>
      parseManifestFile(file('apiVersion: vigil.dev/v1\nkind: User\nmetadata:\n  name: [alice\n---\nkind: B\n', 'people.yaml')),
    );
    expect(error.issues[0]).toMatchObject({ path: 'syntax', file: 'people.yaml' });
    expect(error.issues[0]?.line).toBeGreaterThanOrEqual(4);
    expect(error.message).toContain('people.yaml:');
  });

  test('a duplicate key is reported at its line', () => {
    const error = inputError(() => parseManifestFile(file('kind: A\nmetadata:\n  name: a\n  name: b\n')));
    expect(error.issues).toEqual([
      expect.objectContaining({ path: 'syntax', line: 4, message: expect.stringMatching(/unique/) }),
    ]);
  });

  test('alias bombs are refused rather than expanded', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(', ')}]`,
      );
    const error = inputError(() => parseManifestFile(file(lines.join('\n'))));
    expect(error.issues[0]?.path).toBe('syntax');
  });
});

describe('parseManifests', () => {
  test('reports the syntax errors of every file together', () => {
    const error = inputError(() =>
      parseManifests([file('kind: [A\n', 'a.yaml'), file('kind: B\n', 'b.yaml'), file('x: 1\nx: 2\n', 'c.yaml')]),
    );
    expect(error.issues.map((i) => i.file)).toEqual(['a.yaml', 'c.yaml']);
    expect(error.message).toMatch(/^2 problems/);
  });
});

test('formatFieldPath writes paths as they are read in errors', () => {
  expect(formatFieldPath(['spec', 'dependsOn', 2])).toBe('spec.dependsOn[2]');
  expect(formatFieldPath(['metadata', 'annotations', 'vigil.dev/tier'])).toBe('metadata.annotations["vigil.dev/tier"]');
  expect(formatFieldPath([])).toBe('');
});
