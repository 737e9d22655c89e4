import type { Principal } from '../auth/principal.ts';
import type { CatalogService } from '../catalog/index.ts';
import {
  type CatalogState,
  canonicalRef,
  type EntitySpec,
  normalizeEntity,
  normalizeTeam,
  normalizeUser,
  type TeamSpec,
  type UserSpec,
} from '../catalog/index.ts';
import { type FieldIssue, InputError } from '../core/errors.ts';
import { CATALOG_HANDLER, type CatalogFragment, type Origins, VIGIL_ENTITY_KINDS, VIGIL_V1 } from './catalog.kinds.ts';
import type { ExportedDocument, FieldChange, HandlerPlan, Located, ManifestHandler, PlanOptions } from './kinds.ts';
import { type FieldPath, issueAt, type ManifestDocument, manifestError } from './parse.ts';

/** What the manifests layer needs from the catalog. */
export type CatalogPort = Pick<CatalogService, 'snapshot' | 'applyDesired'>;

type Sourced<T> = T & { source: string | null };
type Spec = Sourced<UserSpec> | Sourced<TeamSpec> | Sourced<EntitySpec>;

interface Placed {
  doc: ManifestDocument;
  at: FieldPath;
}

/** A desired catalog object and where each of its parts was written. */
interface Declared {
  ref: string;
  doc: ManifestDocument;
  origins: Origins;
  /** List field → element key → where the element came from (possibly another document). */
  elements: Map<string, Map<string, Placed>>;
  spec: Spec;
}

/** The desired catalog, normalized exactly as `snapshot()` is, with an index from ref to declaration. */
interface Desired {
  state: CatalogState;
  declared: Map<string, Declared>;
}

/** Config as code for the catalog: users, teams and entities. */
export function catalogHandler(catalog: CatalogPort): ManifestHandler<CatalogFragment> {
  return {
    ref: CATALOG_HANDLER,

    async plan(executor, fragments, options) {
      const desired = assemble(fragments, options.source);
      const current = await catalog.snapshot(executor);
      const issues = checkReferences(current, desired.state, options);
      if (issues.length > 0) throw manifestError(issues.map((i) => locate(desired, i)));
      return diff(current, desired, options);
    },

    async apply(trx, principal: Principal, fragments, options) {
      const desired = assemble(fragments, options.source);
      const current = await catalog.snapshot(trx);
      const issues = checkReferences(current, desired.state, options);
      if (issues.length > 0) throw manifestError(issues.map((i) => locate(desired, i)));
      const adopting = new Set(
        diff(current, desired, options)
          .changes.filter((c) => c.action === 'adopt')
          .map((c) => c.ref),
      );
      try {
        const applied = await catalog.applyDesired(trx, principal, desired.state, options);
        return {
          ...applied,
          updated: applied.updated.filter((ref) => !adopting.has(ref)),
          adopted: applied.updated.filter((ref) => adopting.has(ref)),
        };
      } catch (error) {
        if (error instanceof InputError && error.issues.length > 0) {
          throw manifestError(error.issues.map((i) => locate(desired, i)));
        }
        throw error;
      }
    },

    async export(executor) {
      return exportDocuments(await catalog.snapshot(executor));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Assembly: documents → one desired catalog

function refOf(fragment: Extract<CatalogFragment, { spec: unknown }>): string {
  if (fragment.type === 'user') return `user:${fragment.spec.name}`;
  if (fragment.type === 'team') return `team:${fragment.spec.name}`;
  return `${fragment.spec.kind}:${fragment.spec.name}`;
}

const where = (doc: ManifestDocument, at: FieldPath): string => `${doc.file}:${doc.lineOf(at)}`;

/**
 * Merges every catalog fragment into one desired state. Backstage spreads one object over
 * several documents (a User's `memberOf` is the Group's membership, a Component's
 * `providesApis` is the API's dependency), so those pieces land on their target here.
 */
function assemble(fragments: ReadonlyArray<Located<CatalogFragment>>, source: string): Desired {
  const issues: FieldIssue[] = [];
  const declared = new Map<string, Declared>();

  for (const { fragment, doc } of fragments) {
    if (fragment.type === 'member' || fragment.type === 'dependency') continue;
    const ref = refOf(fragment);
    const first = declared.get(ref);
    if (first) {
      issues.push(
        issueAt(doc, fragment.origins.self, `${ref} is defined twice: here and at ${where(first.doc, first.origins.self)}`),
      );
      continue;
    }
    const elements = new Map<string, Map<string, Placed>>();
    for (const [field, list] of Object.entries(fragment.origins.elements)) {
      const byKey = new Map<string, Placed>();
      for (const { key, at } of list ?? []) if (!byKey.has(key)) byKey.set(key, { doc, at });
      elements.set(field, byKey);
    }
    // Lists are copied because other documents' fragments add to them below.
    const spec: Spec =
      fragment.type === 'team'
        ? { ...fragment.spec, members: [...fragment.spec.members], source }
        : fragment.type === 'entity'
          ? { ...fragment.spec, dependsOn: [...fragment.spec.dependsOn], source }
          : { ...fragment.spec, source };
    declared.set(ref, { ref, doc, origins: fragment.origins, elements, spec });
  }

  const addElement = (target: Declared, field: string, key: string, placed: Placed): void => {
    const byKey = target.elements.get(field) ?? new Map<string, Placed>();
    if (!byKey.has(key)) byKey.set(key, placed);
    target.elements.set(field, byKey);
  };

  for (const { fragment, doc } of fragments) {
    if (fragment.type === 'member') {
      const team = declared.get(`team:${fragment.team}`);
      if (!team) {
        issues.push(
          issueAt(
            doc,
            fragment.at,
            `group "${fragment.team}" is not defined in these manifests; Vigil keeps membership on the team, so apply the Group together with its Users`,
          ),
        );
        continue;
      }
      (team.spec as Sourced<TeamSpec>).members.push(fragment.user);
      addElement(team, 'members', fragment.user, { doc, at: fragment.at });
    } else if (fragment.type === 'dependency') {
      const from = declared.get(fragment.from);
      if (!from) {
        issues.push(
          issueAt(
            doc,
            fragment.at,
            `${fragment.from} is not defined in these manifests; this adds a dependency to it, so apply it together with ${fragment.to}`,
          ),
        );
        continue;
      }
      (from.spec as Sourced<EntitySpec>).dependsOn.push(fragment.to);
      addElement(from, 'dependsOn', fragment.to, { doc, at: fragment.at });
    }
  }
  if (issues.length > 0) throw manifestError(issues);

  const state: CatalogState = { users: [], teams: [], entities: [] };
  for (const d of declared.values()) {
    if (d.ref.startsWith('user:')) d.spec = normalizeUser(d.spec as Sourced<UserSpec>);
    else if (d.ref.startsWith('team:')) d.spec = normalizeTeam(d.spec as Sourced<TeamSpec>);
    else d.spec = normalizeEntity(d.spec as Sourced<EntitySpec>);
  }
  const sorted = [...declared.values()].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  for (const d of sorted) {
    if (d.ref.startsWith('user:')) state.users.push(d.spec as Sourced<UserSpec>);
    else if (d.ref.startsWith('team:')) state.teams.push(d.spec as Sourced<TeamSpec>);
    else state.entities.push(d.spec as Sourced<EntitySpec>);
  }
  return { state, declared };
}

/** The catalog the fragments declare, in normal form; what `apply` hands `applyDesired`. */
export function desiredCatalog(fragments: ReadonlyArray<Located<CatalogFragment>>, source: string): CatalogState {
  return assemble(fragments, source).state;
}

// ---------------------------------------------------------------------------------------------
// Locating: a path in catalog terms (`teams[payments].members[1]`) → file, line, document field

const CATALOG_PATH = /^(users|teams|entities)\[([^\]]+)\](.*)$/;

function parseSegments(rest: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of rest.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) out.push(m[1] ?? Number(m[2]));
  return out;
}

/** The key an element of a list field is known by in {@link Origins}. */
function elementKey(field: string, value: unknown, index: number): string {
  if (field === 'interactions') {
    const i = value as { team: string; mode: string };
    return `${i.team}/${i.mode}`;
  }
  if (field === 'links') return String(index);
  return String(value);
}

/**
 * Points an issue about the desired catalog at the document field it came from. Issues that
 * name no desired object (there should be none) pass through unchanged.
 */
function locate(desired: Desired, issue: FieldIssue): FieldIssue {
  const m = CATALOG_PATH.exec(issue.path);
  if (!m) return issue;
  const [, collection, name = '', rest = ''] = m;
  const ref = collection === 'users' ? `user:${name}` : collection === 'teams' ? `team:${name}` : canonicalRef(name);
  const d = desired.declared.get(ref);
  if (!d) return issue;
  const segments = parseSegments(rest);
  const [field, index] = segments;
  let placed: Placed = { doc: d.doc, at: d.origins.self };
  if (typeof field === 'string') {
    const fieldAt = d.origins.fields[field];
    if (fieldAt) placed = { doc: d.doc, at: fieldAt };
    if (typeof index === 'number') {
      const list = (d.spec as unknown as Record<string, unknown>)[field];
      const value = Array.isArray(list) ? list[index] : undefined;
      const element = value === undefined ? undefined : d.elements.get(field)?.get(elementKey(field, value, index));
      if (element) {
        const deeper = [...element.at, ...segments.slice(2)];
        placed = { doc: element.doc, at: element.doc.has(deeper) ? deeper : element.at };
      }
    }
  }
  const located = issueAt(placed.doc, placed.at, issue.message);
  return { ...located, message: `${ref}: ${issue.message}` };
}

// ---------------------------------------------------------------------------------------------
// Checking and diffing against what is stored

/**
 * Every reference must name something that exists once the apply is done. `applyDesired` checks
 * the same; checking here lets `plan` fail where `apply` would.
 */
function checkReferences(current: CatalogState, desired: CatalogState, options: PlanOptions): FieldIssue[] {
  const finalNames = <T extends { source: string | null }>(cur: T[], want: T[], key: (x: T) => string) => {
    const wanted = new Set(want.map(key));
    const pruned = new Set(options.prune ? cur.filter((c) => c.source === options.source && !wanted.has(key(c))).map(key) : []);
    const exists = new Set([...cur.map(key).filter((k) => !pruned.has(k)), ...wanted]);
    return (k: string): string | null => (exists.has(k) ? null : pruned.has(k) ? 'would be deleted by this prune' : 'unknown');
  };
  const users = finalNames(current.users, desired.users, (u) => u.name);
  const teams = finalNames(current.teams, desired.teams, (t) => t.name);
  const entities = finalNames(current.entities, desired.entities, (e) => `${e.kind}:${e.name}`);

  const issues: FieldIssue[] = [];
  for (const t of desired.teams) {
    const at = `teams[${t.name}]`;
    t.members.forEach((member, i) => {
      const missing = users(member);
      if (missing) issues.push({ path: `${at}.members[${i}]`, message: `user "${member}" is ${missing}` });
    });
    t.interactions.forEach((it, i) => {
      const missing = teams(it.team);
      if (it.team === t.name)
        issues.push({ path: `${at}.interactions[${i}].team`, message: 'a team does not interact with itself' });
      else if (missing) issues.push({ path: `${at}.interactions[${i}].team`, message: `team "${it.team}" is ${missing}` });
    });
  }
  for (const e of desired.entities) {
    const self = `${e.kind}:${e.name}`;
    const at = `entities[${self}]`;
    const ownerMissing = e.owner === null ? null : teams(e.owner);
    if (ownerMissing) issues.push({ path: `${at}.owner`, message: `team "${e.owner}" is ${ownerMissing}` });
    e.dependsOn.forEach((dep, i) => {
      const missing = entities(dep);
      if (dep === self) issues.push({ path: `${at}.dependsOn[${i}]`, message: 'an entity cannot depend on itself' });
      else if (missing) issues.push({ path: `${at}.dependsOn[${i}]`, message: `entity "${dep}" is ${missing}` });
    });
  }
  return issues;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function fieldChanges(before: Spec, after: Spec): FieldChange[] {
  const out: FieldChange[] = [];
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  for (const field of Object.keys(a)) {
    if (field === 'name' || field === 'kind') continue;
    if (!same(b[field], a[field])) out.push({ field, from: b[field] ?? null, to: a[field] ?? null });
  }
  return out;
}

/**
 * Compares as `applyDesired` will: both sides in normal form, the source included. A difference
 * in source alone is an adopt rather than an update, so a catalog built in the UI or loaded from
 * the examples does not show as drift against files describing exactly it.
 */
function diff(current: CatalogState, desired: Desired, options: PlanOptions): HandlerPlan {
  const plan: HandlerPlan = { changes: [], unchanged: [] };
  const stored = new Map<string, Spec>();
  for (const u of current.users) stored.set(`user:${u.name}`, u);
  for (const t of current.teams) stored.set(`team:${t.name}`, t);
  for (const e of current.entities) stored.set(`${e.kind}:${e.name}`, e);

  for (const d of desired.declared.values()) {
    const before = stored.get(d.ref);
    const place = { file: d.doc.file, line: d.doc.lineOf(d.origins.self) };
    if (!before) {
      plan.changes.push({ action: 'create', ref: d.ref, fields: [], ...place });
      continue;
    }
    const fields = fieldChanges(before, d.spec);
    if (fields.length === 0) plan.unchanged.push(d.ref);
    else if (fields.length === 1 && fields[0]?.field === 'source')
      plan.changes.push({ action: 'adopt', ref: d.ref, fields, ...place });
    else plan.changes.push({ action: 'update', ref: d.ref, fields, ...place });
  }
  if (options.prune) {
    for (const [ref, spec] of stored) {
      if (spec.source === options.source && !desired.declared.has(ref)) plan.changes.push({ action: 'delete', ref, fields: [] });
    }
  }
  const order = (ref: string): number => (ref.startsWith('user:') ? 0 : ref.startsWith('team:') ? 1 : 2);
  plan.changes.sort((a, b) => order(a.ref) - order(b.ref) || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  plan.unchanged.sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0));
  return plan;
}

// ---------------------------------------------------------------------------------------------
// Export: the catalog as vigil.dev/v1 documents that apply back to exactly the same state

const ENTITY_ORDER = ['domain', 'system', 'service', 'api', 'resource'];

/** Drops nulls, empty lists and empty maps, which the kinds read back as their defaults. */
function compact(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

function document(kind: string, metadata: Record<string, unknown>, spec: Record<string, unknown>): ExportedDocument {
  const s = compact(spec);
  return { apiVersion: VIGIL_V1, kind, metadata: compact(metadata), ...(Object.keys(s).length > 0 ? { spec: s } : {}) };
}

export function exportDocuments(state: CatalogState): ExportedDocument[] {
  const out: ExportedDocument[] = [];
  for (const u of state.users) {
    out.push(document('User', { name: u.name }, { displayName: u.displayName, email: u.email, role: u.role }));
  }
  for (const t of state.teams) {
    out.push(
      document(
        'Team',
        { name: t.name, title: t.title, description: t.description, links: t.links },
        {
          type: t.type,
          members: t.members,
          interactions: t.interactions.map((i) => compact({ team: i.team, mode: i.mode, description: i.description })),
        },
      ),
    );
  }
  const entities = [...state.entities].sort(
    (a, b) => ENTITY_ORDER.indexOf(a.kind) - ENTITY_ORDER.indexOf(b.kind) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  for (const e of entities) {
    const kind = VIGIL_ENTITY_KINDS.find((k) => k.entity === e.kind)?.kind ?? 'Service';
    out.push(
      document(
        kind,
        { name: e.name, title: e.title, description: e.description, tags: e.tags, links: e.links, annotations: e.annotations },
        {
          owner: e.owner,
          [e.kind === 'system' ? 'domain' : 'system']: e.partOf,
          type: e.type,
          lifecycle: e.lifecycle,
          tier: e.tier,
          runbook: e.runbookUrl,
          dependsOn: e.dependsOn,
        },
      ),
    );
  }
  return out;
}
