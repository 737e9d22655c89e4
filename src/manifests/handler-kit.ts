import type { CatalogState } from '../catalog/index.ts';
import type { FieldIssue } from '../core/errors.ts';
import type { Executor } from '../db/database.ts';
import { desiredCatalog } from './catalog.handler.ts';
import { CATALOG_HANDLER } from './catalog.kinds.ts';
import type { FieldChange, HandlerContext, Located, PlanOptions } from './kinds.ts';
import { type FieldPath, issueAt, type ManifestDocument, manifestError } from './parse.ts';

/**
 * What the handlers of service-scoped kinds (SLOs, probes, integrations, alert policies) share:
 * where a document says something, duplicate detection, the services that exist once an apply
 * is done, and field-by-field diffs for plans.
 */

/** `file:line` of a field of a document. */
export const where = (doc: ManifestDocument, at: FieldPath): string => `${doc.file}:${doc.lineOf(at)}`;

export const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** JSON with keys sorted (and undefined members dropped), so key order never reads as a difference. */
export function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (!isPlain(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) if (value[key] !== undefined) out[key] = stable(value[key]);
  return out;
}

export const same = (a: unknown, b: unknown): boolean => JSON.stringify(stable(a)) === JSON.stringify(stable(b));

/**
 * The fields that differ, nested objects field by field (`grouping.groupWait`), stored value
 * first. Top-level keys in `skip` (an object's own name, say) are not compared.
 */
export function fieldChanges(before: unknown, after: unknown, skip: readonly string[] = [], prefix = ''): FieldChange[] {
  const out: FieldChange[] = [];
  const walk = (b: unknown, a: unknown, at: string): void => {
    if (isPlain(b) && isPlain(a)) {
      for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])]) {
        if (at === prefix && skip.includes(key)) continue;
        walk(b[key], a[key], at ? `${at}.${key}` : key);
      }
    } else if (!same(b, a)) {
      out.push({ field: at, from: b ?? null, to: a ?? null });
    }
  };
  walk(before, after, prefix);
  return out;
}

/** Declared objects by key; a key declared twice is reported at its second place, naming the first. */
export function assembleOnce<F, D extends { doc: ManifestDocument; self: FieldPath }>(
  fragments: ReadonlyArray<Located<F>>,
  label: (key: string) => string,
  keyOf: (fragment: F) => string,
  build: (fragment: F, doc: ManifestDocument) => D,
): Map<string, D> {
  const issues: FieldIssue[] = [];
  const declared = new Map<string, D>();
  for (const { fragment, doc } of fragments) {
    const key = keyOf(fragment);
    const first = declared.get(key);
    const made = build(fragment, doc);
    if (first) {
      issues.push(issueAt(doc, made.self, `${label(key)} is defined twice: here and at ${where(first.doc, first.self)}`));
      continue;
    }
    declared.set(key, made);
  }
  if (issues.length > 0) throw manifestError(issues);
  return declared;
}

/**
 * The catalog's services once this apply is done. The catalog handler runs first, so within an
 * apply the snapshot already holds them; a plan adds what the same manifests declare and leaves
 * out what their prune would remove.
 */
export async function finalServices(
  executor: Executor,
  catalog: { snapshot(executor?: Executor): Promise<CatalogState> },
  context: HandlerContext | undefined,
  options: PlanOptions,
): Promise<Set<string>> {
  const current = (await catalog.snapshot(executor)).entities.filter((e) => e.kind === 'service');
  const declared = context
    ? desiredCatalog(context.fragmentsOf(CATALOG_HANDLER), options.source).entities.filter((e) => e.kind === 'service')
    : [];
  const names = new Set(declared.map((e) => e.name));
  for (const e of current) {
    const pruned = options.prune && e.source === options.source && !names.has(e.name);
    if (!pruned) names.add(e.name);
  }
  return names;
}

/** The message for a reference to a service the catalog will not have. */
export function missingService(name: string): string {
  return `service "${name}" is not in the catalog; add it there (a vigil.dev/v1 Service or a Backstage Component), in these manifests or before`;
}
