import { Name } from '../catalog/index.ts';

export interface ParsedRef {
  /** Lowercase kind as written, or the default kind. */
  kind: string;
  name: string;
}

export interface RefOptions {
  /** Kind assumed when the reference names none. */
  defaultKind: string;
  /** Kinds the field may refer to. */
  kinds: readonly string[];
  /** Backstage compares names without regard to case; Vigil's own kinds do not. */
  foldCase?: boolean;
}

const REF = /^(?:([A-Za-z][A-Za-z0-9_-]*):)?(?:([^/:]+)\/)?([^/:]+)$/;

/**
 * Parses a `[kind:][namespace/]name` reference, as Backstage writes them. Vigil has one
 * namespace, so `default/` is dropped and any other namespace is refused rather than silently
 * merged with objects of the same name.
 */
export function parseRef(raw: string, options: RefOptions): ParsedRef | { error: string } {
  const match = REF.exec(raw.trim());
  if (!match) return { error: `"${raw}" is not a reference; write [kind:][namespace/]name` };
  const kind = (match[1] ?? options.defaultKind).toLowerCase();
  const namespace = match[2];
  let name = match[3] ?? '';
  if (options.foldCase) name = name.toLowerCase();
  if (namespace !== undefined && namespace.toLowerCase() !== 'default') {
    return {
      error: `namespace "${namespace}" in "${raw}" is not supported: Vigil has a single namespace; refer to "${kind}:${name}" or "${kind}:default/${name}"`,
    };
  }
  if (!options.kinds.includes(kind)) {
    const allowed = options.kinds.join(', ');
    return {
      error: `"${raw}" refers to a ${kind}; this field refers to ${options.kinds.length > 1 ? `one of: ${allowed}` : `a ${allowed}`}`,
    };
  }
  const valid = Name.safeParse(name);
  if (!valid.success) return { error: `"${raw}": the name ${valid.error.issues[0]?.message ?? 'is invalid'}` };
  return { kind, name };
}
