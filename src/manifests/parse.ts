import { type Document, isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';
import { type FieldIssue, InputError } from '../core/errors.ts';

/** A manifest file as the CLI sends it and the server receives it. */
export interface ManifestFile {
  path: string;
  content: string;
}

/** A field inside a document: `['spec', 'dependsOn', 2]`. */
export type FieldPath = ReadonlyArray<string | number>;

/** One YAML document of a manifest file that remembers where its fields came from. */
export interface ManifestDocument {
  readonly file: string;
  /** Position of the document within its file, from 0. */
  readonly index: number;
  /** Line (from 1) where the document's content starts. */
  readonly line: number;
  /** The document as plain data. */
  readonly value: unknown;
  /** Line of the field at `path`, or of its nearest ancestor that exists. */
  lineOf(path: FieldPath): number;
  /** Whether the field at `path` is written in the document. */
  has(path: FieldPath): boolean;
}

/** `['spec', 'dependsOn', 2]` → `spec.dependsOn[2]`; keys that are not identifiers are quoted. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** An issue about a field of a document, located at its file and line. */
export function issueAt(doc: ManifestDocument, path: FieldPath, message: string): FieldIssue {
  return { path: path.length > 0 ? formatFieldPath(path) : '(document)', message, file: doc.file, line: doc.lineOf(path) };
}

/** One InputError for many located issues, with a message that stands on its own in a log line. */
export function manifestError(issues: FieldIssue[]): InputError {
  const where = (i: FieldIssue): string => (i.file ? `${i.file}${i.line ? `:${i.line}` : ''}: ` : '');
  const first = issues[0];
  const head = first ? `${where(first)}${first.path}: ${first.message}` : 'invalid manifests';
  const message = issues.length > 1 ? `${issues.length} problems in the manifests; the first: ${head}` : head;
  return new InputError(message, issues);
}

/**
 * Parses every document of one file. Empty documents (a trailing `---`, a file of comments) are
 * skipped. YAML errors of the whole file are reported together, each with its line.
 */
export function parseManifestFile(file: ManifestFile): ManifestDocument[] {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(file.content, { lineCounter, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  const issues: FieldIssue[] = [];
  for (const doc of docs) {
    for (const error of doc.errors) {
      issues.push({
        path: 'syntax',
        message: error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.message,
        file: file.path,
        line: lineCounter.linePos(error.pos[0]).line,
      });
    }
  }
  if (issues.length > 0) throw manifestError(issues);

  const out: ManifestDocument[] = [];
  for (const doc of docs) {
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
    let value: unknown;
    try {
      // The alias limit stops "billion laughs" documents from expanding without bound.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      const at = lineCounter.linePos(contents.range?.[0] ?? 0).line;
      throw manifestError([{ path: 'syntax', message: (error as Error).message, file: file.path, line: at }]);
    }
    out.push(locatedDocument(file.path, out.length, doc, lineCounter, value));
  }
  return out;
}

/** Parses every file; syntax errors of all files are reported together. */
export function parseManifests(files: readonly ManifestFile[]): ManifestDocument[] {
  const out: ManifestDocument[] = [];
  const issues: FieldIssue[] = [];
  for (const file of files) {
    try {
      out.push(...parseManifestFile(file));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw manifestError(issues);
  return out;
}

function locatedDocument(file: string, index: number, doc: Document, lineCounter: LineCounter, value: unknown): ManifestDocument {
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;
  const start = doc.contents?.range?.[0] ?? 0;

  /** Walks the YAML node tree; a map field is located at its key, a list item at the item. */
  const locate = (path: FieldPath): { offset: number; found: boolean } => {
    let node: unknown = doc.contents;
    let offset = start;
    for (const segment of path) {
      if (isAlias(node)) node = node.resolve(doc);
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
        if (!pair) return { offset, found: false };
        offset = (pair.key as Node | null)?.range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as Node | undefined;
        if (!item) return { offset, found: false };
        offset = item.range?.[0] ?? offset;
        node = item;
      } else {
        return { offset, found: false };
      }
    }
    return { offset, found: true };
  };

  return {
    file,
    index,
    line: lineAt(start),
    value,
    lineOf: (path) => lineAt(locate(path).offset),
    has: (path) => locate(path).found,
  };
}
