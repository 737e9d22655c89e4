import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type FieldIssue, InputError } from '../core/errors.ts';
import { BACKSTAGE_V1ALPHA1 } from './catalog.kinds.ts';
import { type FieldPath, issueAt, type ManifestDocument, type ManifestFile, manifestError, parseManifestFile } from './parse.ts';

export interface ReadOptions {
  /** Paths are resolved against, and reported relative to, this folder (default: the process's). */
  cwd?: string;
}

const MANIFEST = /\.ya?ml$/i;
const GLOB = /[*?]/;

/**
 * Reads `-f` arguments into manifest files: a file as it is, a folder as its `*.yaml`/`*.yml`
 * files (recursively, sorted, hidden folders and node_modules skipped), and the targets of
 * Backstage `Location` documents, relative to the Location's file. Each file is read once,
 * however many times it is named, so Locations that point at each other cannot loop.
 */
export async function readManifestFiles(paths: readonly string[], options: ReadOptions = {}): Promise<ManifestFile[]> {
  const cwd = options.cwd ?? process.cwd();
  const seen = new Set<string>();
  const out: ManifestFile[] = [];

  const display = (absolute: string): string => {
    const rel = relative(cwd, absolute);
    const shown = rel === '' || rel.startsWith('..') || isAbsolute(rel) ? absolute : rel;
    return shown.split(sep).join('/');
  };

  const readOne = async (absolute: string): Promise<void> => {
    const real = await realpath(absolute);
    if (seen.has(real)) return;
    seen.add(real);
    const file = { path: display(absolute), content: await readFile(absolute, 'utf8') };
    out.push(file);
    for (const doc of parseManifestFile(file)) {
      for (const target of await locationTargets(doc, dirname(absolute))) await readOne(target);
    }
  };

  for (const path of paths) {
    const absolute = resolve(cwd, path);
    const info = await stat(absolute).catch(() => null);
    if (!info) throw new InputError(`no such file or folder: ${path}`);
    for (const file of info.isDirectory() ? await manifestsIn(absolute) : [absolute]) await readOne(file);
  }
  return out;
}

/** Every manifest file under a folder, sorted by path so that output and errors are stable. */
async function manifestsIn(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !MANIFEST.test(entry.name)) continue;
    const full = join(entry.parentPath, entry.name);
    // Dot-folders hold CI workflows and the like, which are YAML but not manifests.
    const parts = relative(folder, full).split(sep);
    if (parts.some((p) => p.startsWith('.') || p === 'node_modules')) continue;
    files.push(full);
  }
  return files.sort();
}

/** The files a Backstage Location document points at, or nothing for any other document. */
async function locationTargets(doc: ManifestDocument, base: string): Promise<string[]> {
  const value = doc.value as { apiVersion?: unknown; kind?: unknown; spec?: unknown } | null;
  if (typeof value !== 'object' || value === null) return [];
  if (value.apiVersion !== BACKSTAGE_V1ALPHA1 || value.kind !== 'Location') return [];
  const spec = (value.spec ?? {}) as { type?: unknown; target?: unknown; targets?: unknown; presence?: unknown };
  const targets: Array<{ target: unknown; at: FieldPath }> = [];
  if (spec.target !== undefined) targets.push({ target: spec.target, at: ['spec', 'target'] });
  if (Array.isArray(spec.targets)) {
    spec.targets.forEach((target, i) => {
      targets.push({ target, at: ['spec', 'targets', i] });
    });
  }
  const optional = spec.presence === 'optional';

  const issues: FieldIssue[] = [];
  const out: string[] = [];
  if (spec.type !== undefined && spec.type !== 'file') {
    throw manifestError([
      issueAt(doc, ['spec', 'type'], `only "file" Locations can be read; "${String(spec.type)}" targets must be fetched first`),
    ]);
  }
  for (const { target, at } of targets) {
    if (typeof target !== 'string' || target === '') {
      issues.push(issueAt(doc, at, 'must be a path'));
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
      issues.push(issueAt(doc, at, `"${target}" is a URL; Vigil reads Location targets from files only`));
      continue;
    }
    const absolute = resolve(base, target);
    const found = GLOB.test(target) ? await expandGlob(absolute) : await existing(absolute);
    if (found.length === 0 && !optional && !GLOB.test(target)) {
      issues.push(issueAt(doc, at, `target "${target}" does not exist (looked for ${absolute})`));
    }
    out.push(...found);
  }
  if (issues.length > 0) throw manifestError(issues);
  return out;
}

async function existing(absolute: string): Promise<string[]> {
  const info = await stat(absolute).catch(() => null);
  if (!info) return [];
  return info.isDirectory() ? manifestsIn(absolute) : [absolute];
}

/** `*` and `?` within a path segment and `**` across segments, as Backstage file Locations allow. */
async function expandGlob(pattern: string): Promise<string[]> {
  const segments = pattern.split(sep);
  const firstGlob = segments.findIndex((s) => GLOB.test(s));
  const root = segments.slice(0, firstGlob).join(sep) || sep;
  const info = await stat(root).catch(() => null);
  if (!info?.isDirectory()) return [];
  const matcher = globToRegExp(segments.slice(firstGlob).join('/'));
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((full) => matcher.test(relative(root, full).split(sep).join('/')))
    .sort();
}

function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more whole folders.
      out += glob[i + 2] === '/' ? '(?:[^/]+/)*' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
