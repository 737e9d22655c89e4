import type { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import type { FieldIssue } from '../core/errors.ts';
import type { Executor } from '../db/database.ts';
import { type FieldPath, issueAt, type ManifestDocument, manifestError } from './parse.ts';

/**
 * Names a handler and the type of what its kinds hand it, so a kind and its handler agree at
 * compile time even though the registry holds every kind side by side.
 */
export interface HandlerRef<Fragment> {
  readonly name: string;
  /** Never set; carries the fragment type. */
  readonly fragment?: Fragment;
}

export function handlerRef<Fragment>(name: string): HandlerRef<Fragment> {
  return { name };
}

/** A piece of desired state and the document that asked for it. */
export interface Located<Fragment> {
  fragment: Fragment;
  doc: ManifestDocument;
}

export interface KindContext {
  readonly doc: ManifestDocument;
  /** Records a problem with a field of this document. Any problem fails the whole plan or apply. */
  issue(path: FieldPath, message: string): void;
}

export interface KindDefinition<Spec, Fragment> {
  apiVersion: string;
  kind: string;
  /** What the kind is, in one line, for error messages and docs. */
  description: string;
  /** Validates the whole document. Vigil's own kinds are strict; foreign formats ignore what Vigil does not model. */
  schema: z.ZodType<Spec>;
  handler: HandlerRef<Fragment>;
  /** What the document asks for, in its handler's terms. */
  toDesired(doc: Spec, ctx: KindContext): Fragment[];
}

// The registry stores kinds of every handler together; `register` is where the types meet.
type AnyKind = KindDefinition<unknown, unknown>;

export interface PlanOptions {
  /** Which manifests an object belongs to; prune only ever deletes objects of this source. */
  source: string;
  /** Delete objects of this source that the manifests no longer declare. */
  prune: boolean;
}

/**
 * A difference between what is stored and what the manifests declare. `adopt` is an object whose
 * content already matches but that another source (or no source) owns: applying takes it over,
 * which matters to later prunes but is not drift.
 */
export interface PlannedChange {
  action: 'create' | 'update' | 'delete' | 'adopt';
  /** `service:checkout`, `team:payments`, `user:alice`, … */
  ref: string;
  /** Changed fields of an update (or the source of an adopt), stored value first. */
  fields: FieldChange[];
  /** Where the object is declared (absent for deletes). */
  file?: string;
  line?: number;
}

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface HandlerPlan {
  changes: PlannedChange[];
  unchanged: string[];
}

export interface HandlerApplied {
  created: string[];
  updated: string[];
  deleted: string[];
  /** Content unchanged, source taken over. */
  adopted: string[];
  unchanged: string[];
  /** Credentials this apply made (integration keys): only their hashes are stored, so this is the one time they are shown. */
  secrets?: AppliedSecret[];
}

/** A credential made by an apply, such as a new integration's key, and where a sender uses it. */
export interface AppliedSecret {
  ref: string;
  key: string;
  /** Where the sender posts, relative to Vigil's URL. */
  path: string;
}

/** An object for `vigil export`: a whole manifest document. */
export type ExportedDocument = { apiVersion: string; kind: string } & Record<string, unknown>;

/**
 * What every handler of one plan or apply was handed. References may cross handlers (an SLO names
 * a catalog service), and a plan must see what the same manifests declare elsewhere.
 */
export interface HandlerContext {
  fragmentsOf<Fragment>(ref: HandlerRef<Fragment>): Array<Located<Fragment>>;
}

/** Formats `vigil export` writes besides Vigil's own (`openslo`: OpenSLO v1). */
export type ExportFormat = 'openslo';

/**
 * Owns the objects of some kinds: diffs them against storage, applies them and exports them.
 * Handlers run even when no document names them, so `prune` can empty their source. Handlers run
 * in the order they are installed, so one may rely on an earlier one's objects (services before SLOs).
 */
export interface ManifestHandler<Fragment = unknown> {
  readonly ref: HandlerRef<Fragment>;
  plan(
    executor: Executor,
    fragments: Array<Located<Fragment>>,
    options: PlanOptions,
    context?: HandlerContext,
  ): Promise<HandlerPlan>;
  /** Runs inside the one transaction of an apply; throwing rolls back every handler's work. */
  apply(
    trx: Executor,
    principal: Principal,
    fragments: Array<Located<Fragment>>,
    options: PlanOptions,
    context?: HandlerContext,
  ): Promise<HandlerApplied>;
  export(executor: Executor): Promise<ExportedDocument[]>;
  /** Its objects in another format; handlers without this have nothing in that format. */
  exportAs?(executor: Executor, format: ExportFormat): Promise<ExportedDocument[]>;
}

/** Documents sorted out by the handler that will act on them. */
export type Interpreted = Map<string, Array<Located<unknown>>>;

/** The kinds Vigil reads from manifests. Later modules (SLOs, probes, alerting, …) register theirs. */
export class KindRegistry {
  readonly #kinds = new Map<string, AnyKind>();

  register<Spec, Fragment>(definition: KindDefinition<Spec, Fragment>): this {
    const key = `${definition.apiVersion}/${definition.kind}`;
    if (this.#kinds.has(key)) throw new Error(`kind ${definition.kind} of ${definition.apiVersion} is registered twice`);
    this.#kinds.set(key, definition as unknown as AnyKind);
    return this;
  }

  get(apiVersion: string, kind: string): KindDefinition<unknown, unknown> | undefined {
    return this.#kinds.get(`${apiVersion}/${kind}`);
  }

  list(): Array<KindDefinition<unknown, unknown>> {
    return [...this.#kinds.values()];
  }

  apiVersions(): string[] {
    return [...new Set(this.list().map((k) => k.apiVersion))].sort();
  }

  /**
   * Validates every document and turns it into its handler's fragments. Problems of all
   * documents are reported together, each at its file and line.
   */
  interpret(docs: readonly ManifestDocument[]): Interpreted {
    const issues: FieldIssue[] = [];
    const out: Interpreted = new Map();
    for (const doc of docs) {
      const definition = this.#identify(doc, issues);
      if (!definition) continue;
      const parsed = definition.schema.safeParse(doc.value);
      if (!parsed.success) {
        issues.push(...zodIssues(doc, parsed.error));
        continue;
      }
      const found: FieldIssue[] = [];
      const ctx: KindContext = { doc, issue: (path, message) => found.push(issueAt(doc, path, message)) };
      const fragments = definition.toDesired(parsed.data, ctx);
      if (found.length > 0) {
        issues.push(...found);
        continue;
      }
      const list = out.get(definition.handler.name) ?? [];
      for (const fragment of fragments) list.push({ fragment, doc });
      out.set(definition.handler.name, list);
    }
    if (issues.length > 0) throw manifestError(issues);
    return out;
  }

  #identify(doc: ManifestDocument, issues: FieldIssue[]): AnyKind | undefined {
    const value = doc.value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      issues.push(issueAt(doc, [], 'a manifest is a mapping with apiVersion, kind, metadata and spec'));
      return undefined;
    }
    const { apiVersion, kind } = value as { apiVersion?: unknown; kind?: unknown };
    const known = this.apiVersions();
    if (typeof apiVersion !== 'string') {
      issues.push(issueAt(doc, ['apiVersion'], `required; one of: ${known.join(', ')}`));
      return undefined;
    }
    if (!known.includes(apiVersion)) {
      issues.push(issueAt(doc, ['apiVersion'], `unknown apiVersion "${apiVersion}"; Vigil reads ${known.join(', ')}`));
      return undefined;
    }
    const kinds = this.list()
      .filter((k) => k.apiVersion === apiVersion)
      .map((k) => k.kind);
    if (typeof kind !== 'string') {
      issues.push(issueAt(doc, ['kind'], `required; one of: ${kinds.join(', ')}`));
      return undefined;
    }
    const definition = this.#kinds.get(`${apiVersion}/${kind}`);
    if (!definition) issues.push(issueAt(doc, ['kind'], `unknown kind "${kind}" for ${apiVersion}; known: ${kinds.join(', ')}`));
    return definition;
  }
}

/** zod issues as located field issues; unknown fields are named one by one. */
export function zodIssues(doc: ManifestDocument, error: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(issueAt(doc, [...path, key], 'unknown field'));
    } else if (issue.code === 'invalid_type' && !doc.has(path)) {
      out.push(issueAt(doc, path, `required (${issue.expected})`));
    } else {
      out.push(issueAt(doc, path, issue.message));
    }
  }
  return out;
}
