import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import type { CatalogState } from '../catalog/index.ts';
import { type FieldIssue, InputError } from '../core/errors.ts';
import type { Executor } from '../db/database.ts';
import { ProbeSpec } from '../probes/probe.model.ts';
import { VIGIL_V1 } from './catalog.kinds.ts';
import { assembleOnce, byName, fieldChanges, finalServices, isPlain, missingService, same } from './handler-kit.ts';
import type { ExportedDocument, HandlerContext, HandlerPlan, Located, ManifestHandler, PlanOptions } from './kinds.ts';
import { type FieldPath, issueAt, type ManifestDocument, manifestError } from './parse.ts';
import { PROBE_HANDLER, type ProbeFragment, probeFieldPath } from './probe.kinds.ts';

/** A probe as the probe service stores it: its spec and the manifests that own it, if any. */
export interface StoredProbe {
  spec: ProbeSpec;
  source: string | null;
}

/** What the manifests layer needs from the probe service. */
export interface ProbePort {
  /** Every stored probe, sorted by name. */
  snapshot(executor?: Executor): Promise<StoredProbe[]>;
  /**
   * Makes the stored probes match `desired` (records `opts.source` on everything written; with
   * prune, deletes probes of that source no longer desired). Checks references (the service must
   * exist in the catalog after this apply, permissions). Throws InputError with field issues.
   * Returns refs `probe:<name>`.
   */
  applyDesired(
    trx: Executor,
    p: Principal,
    desired: ProbeSpec[],
    opts: { source: string; prune: boolean },
  ): Promise<{ created: string[]; updated: string[]; deleted: string[]; adopted: string[]; unchanged: string[] }>;
}

export interface ProbeHandlerDeps {
  probes: ProbePort;
  /** Every probe names a catalog service. */
  catalog: { snapshot(executor?: Executor): Promise<CatalogState> };
}

/** A desired probe and where it was written. */
interface Declared {
  ref: string;
  doc: ManifestDocument;
  self: FieldPath;
  spec: ProbeSpec;
}

const refOf = (name: string): string => `probe:${name}`;

// ---------------------------------------------------------------------------------------------
// Assembly and checks

/** The desired probes by name; a name declared twice is reported at the second place. */
function assemble(fragments: ReadonlyArray<Located<ProbeFragment>>): Map<string, Declared> {
  return assembleOnce(
    fragments,
    (name) => `Probe ${name}`,
    (f) => f.spec.name,
    (f, doc) => ({ ref: refOf(f.spec.name), doc, self: f.self, spec: f.spec }),
  );
}

/** Declared probes must name a service the catalog has once the apply is done. */
function checkServices(declared: ReadonlyMap<string, Declared>, services: ReadonlySet<string>): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const d of declared.values()) {
    if (services.has(d.spec.service)) continue;
    issues.push(issueAt(d.doc, ['spec', 'service'], `${d.ref}: ${missingService(d.spec.service)}`));
  }
  return issues;
}

const PROBE_PATH = /^(?:probes\[([^\]]+)\]|probe:([^.[\]]+))(.*)$/;

/**
 * Points an issue of the probe service (`probes[checkout-home].http.url`) at the document field
 * it came from. Issues that name no declared probe pass through unchanged.
 */
function locate(declared: ReadonlyMap<string, Declared>, desired: readonly ProbeSpec[], issue: FieldIssue): FieldIssue {
  const m = PROBE_PATH.exec(issue.path);
  if (!m) return issue;
  const key = m[1] ?? m[2] ?? '';
  const rest = m[3] ?? '';
  const byIndex = /^\d+$/.test(key) ? desired[Number(key)] : undefined;
  const d = declared.get(key) ?? (byIndex ? declared.get(byIndex.name) : undefined);
  if (!d) return issue;
  const segments: Array<string | number> = [];
  for (const s of rest.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) segments.push(s[1] ?? Number(s[2]));
  const [field, ...deeper] = segments;
  let at: FieldPath = d.self;
  if (typeof field === 'string') {
    const fieldAt = probeFieldPath(field);
    const full = [...fieldAt, ...deeper];
    at = d.doc.has(full) ? full : d.doc.has(fieldAt) ? fieldAt : ['spec'];
  }
  const located = issueAt(d.doc, at, issue.message);
  return { ...located, message: `${d.ref}: ${issue.message}` };
}

// ---------------------------------------------------------------------------------------------
// Diffing against what is stored, both sides in the model's normal form

/** A stored spec with the model's defaults filled in, as a desired one has them. */
function normal(spec: ProbeSpec): ProbeSpec {
  const parsed = ProbeSpec.safeParse(spec);
  return parsed.success ? parsed.data : spec;
}

/** Like the catalog's and the SLOs': a difference in source alone is an adopt, not drift. */
function diff(current: readonly StoredProbe[], declared: ReadonlyMap<string, Declared>, options: PlanOptions): HandlerPlan {
  const plan: HandlerPlan = { changes: [], unchanged: [] };
  const stored = new Map(current.map((p) => [p.spec.name, p]));
  for (const d of declared.values()) {
    const before = stored.get(d.spec.name);
    const place = { file: d.doc.file, line: d.doc.lineOf(d.self) };
    if (!before) {
      plan.changes.push({ action: 'create', ref: d.ref, fields: [], ...place });
      continue;
    }
    const fields = fieldChanges(normal(before.spec), d.spec, ['name']);
    if (before.source !== options.source) fields.push({ field: 'source', from: before.source, to: options.source });
    if (fields.length === 0) plan.unchanged.push(d.ref);
    else if (fields.length === 1 && fields[0]?.field === 'source')
      plan.changes.push({ action: 'adopt', ref: d.ref, fields, ...place });
    else plan.changes.push({ action: 'update', ref: d.ref, fields, ...place });
  }
  if (options.prune) {
    for (const p of current) {
      if (p.source === options.source && !declared.has(p.spec.name)) {
        plan.changes.push({ action: 'delete', ref: refOf(p.spec.name), fields: [] });
      }
    }
  }
  plan.changes.sort((a, b) => byName(a.ref, b.ref));
  plan.unchanged.sort(byName);
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Export: stored probes as Probe documents that apply back to the same probes

/** The defaults of an object schema's fields, for leaving them out of exported documents. */
function defaultsOf(schema: z.ZodObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape)) {
    if (field instanceof z.ZodDefault) out[key] = field.parse(undefined);
  }
  return out;
}

const PROBE_DEFAULTS = defaultsOf(ProbeSpec);
/** Written even at their defaults (heartbeats aside, which Vigil does not run): what a reader looks for. */
const ALWAYS_WRITTEN = new Set(['interval', 'timeout']);
const SECTIONS = ['http', 'tcp', 'dns', 'tls', 'heartbeat'] as const;
const SECTION_DEFAULTS: Record<string, Record<string, unknown>> = Object.fromEntries(
  SECTIONS.map((s) => {
    const field = ProbeSpec.shape[s].unwrap();
    return [s, defaultsOf(field as unknown as z.ZodObject)];
  }),
);

function withoutDefaults(value: Record<string, unknown>, defaults: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (key in defaults && same(v, defaults[key])) continue;
    out[key] = v;
  }
  return out;
}

/** One probe as a `kind: Probe` document; defaults are left out except the interval and timeout. */
export function probeDocument(stored: ProbeSpec): ExportedDocument {
  const spec = normal(stored);
  const { name, description, ...rest } = spec as ProbeSpec & Record<string, unknown>;
  const out: Record<string, unknown> = {};
  // The order a person writes them in: what and where first, then timing, then the check itself.
  const ORDER = ['service', 'type', 'enabled', 'interval', 'timeout', 'retries', 'successesBeforeUp', ...SECTIONS, 'conditions'];
  const keys = [...ORDER.filter((k) => k in rest), ...Object.keys(rest).filter((k) => !ORDER.includes(k))];
  for (const key of keys) {
    const v = rest[key];
    if (v === undefined) continue;
    if ((SECTIONS as readonly string[]).includes(key) && isPlain(v)) {
      out[key] = withoutDefaults(v, SECTION_DEFAULTS[key] ?? {});
    } else if (
      (ALWAYS_WRITTEN.has(key) && spec.type !== 'heartbeat') ||
      !(key in PROBE_DEFAULTS) ||
      !same(v, PROBE_DEFAULTS[key])
    ) {
      out[key] = v;
    }
  }
  const metadata: Record<string, unknown> = { name };
  if (description !== null && description !== undefined) metadata.description = description;
  return { apiVersion: VIGIL_V1, kind: 'Probe', metadata, spec: out };
}

export function exportProbes(probes: readonly StoredProbe[]): ExportedDocument[] {
  return [...probes].sort((a, b) => byName(a.spec.name, b.spec.name)).map((p) => probeDocument(p.spec));
}

// ---------------------------------------------------------------------------------------------
// The handler

interface Prepared {
  current: StoredProbe[];
  declared: Map<string, Declared>;
  desired: ProbeSpec[];
}

async function prepare(
  executor: Executor,
  deps: ProbeHandlerDeps,
  fragments: ReadonlyArray<Located<ProbeFragment>>,
  options: PlanOptions,
  context: HandlerContext | undefined,
): Promise<Prepared> {
  const declared = assemble(fragments);
  const current = await deps.probes.snapshot(executor);
  const services = await finalServices(executor, deps.catalog, context, options);
  const issues = checkServices(declared, services);
  if (issues.length > 0) throw manifestError(issues);
  const desired = [...declared.values()].map((d) => d.spec).sort((a, b) => byName(a.name, b.name));
  return { current, declared, desired };
}

/** Config as code for probes: `kind: Probe`. Runs after the catalog's handler, whose services probes name. */
export function probeHandler(deps: ProbeHandlerDeps): ManifestHandler<ProbeFragment> {
  return {
    ref: PROBE_HANDLER,

    async plan(executor, fragments, options, context) {
      const { current, declared } = await prepare(executor, deps, fragments, options, context);
      return diff(current, declared, options);
    },

    async apply(trx, principal, fragments, options, context) {
      const { declared, desired } = await prepare(trx, deps, fragments, options, context);
      try {
        return await deps.probes.applyDesired(trx, principal, desired, { source: options.source, prune: options.prune });
      } catch (error) {
        if (error instanceof InputError && error.issues.length > 0) {
          throw manifestError(error.issues.map((i) => locate(declared, desired, i)));
        }
        throw error;
      }
    },

    async export(executor) {
      return exportProbes(await deps.probes.snapshot(executor));
    },
  };
}
