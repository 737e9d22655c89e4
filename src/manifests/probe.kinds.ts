import { z } from 'zod';
import { Name } from '../catalog/index.ts';
import { ProbeSpec } from '../probes/probe.model.ts';
import { VIGIL_V1 } from './catalog.kinds.ts';
import { handlerRef, type KindContext, type KindRegistry } from './kinds.ts';
import type { FieldPath } from './parse.ts';

/**
 * `kind: Probe`: one synthetic check (HTTP, TCP, DNS, TLS) or heartbeat per document. The
 * document is the probe model with the name and description in `metadata`; everything else in
 * `spec` is checked by the model itself, so what applies is exactly what the API accepts.
 */

/** A desired probe, in the model's normal form (defaults filled in), and where it was written. */
export interface ProbeFragment {
  spec: ProbeSpec;
  /** Where the probe is named. */
  self: FieldPath;
}

export const PROBE_HANDLER = handlerRef<ProbeFragment>('probes');

const ProbeDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({ name: Name, description: z.string().max(2000).optional() }),
  // Checked field by field against the model in `toDesired`, where issues get their document paths.
  spec: z.looseObject({}),
});
type ProbeDoc = z.output<typeof ProbeDoc>;

/** Model fields a Probe document writes in `metadata`, not in `spec`. */
const IN_METADATA: Readonly<Record<string, FieldPath>> = {
  name: ['metadata', 'name'],
  description: ['metadata', 'description'],
};

/** A model path (`http.url`, `conditions.1`) as the document field it came from. */
function documentPath(path: ReadonlyArray<PropertyKey>): FieldPath {
  const clean = path.filter((p): p is string | number => typeof p !== 'symbol');
  const [head] = clean;
  if (clean.length === 1 && typeof head === 'string' && IN_METADATA[head]) return IN_METADATA[head];
  return ['spec', ...clean];
}

function probeFromDocument(doc: ProbeDoc, ctx: KindContext): ProbeFragment[] {
  let misplaced = false;
  for (const key of Object.keys(IN_METADATA)) {
    if (key in doc.spec) {
      ctx.issue(['spec', key], `unknown field; a Probe's ${key} is metadata.${key}`);
      misplaced = true;
    }
  }
  if (misplaced) return [];
  const parsed = ProbeSpec.safeParse({
    ...doc.spec,
    name: doc.metadata.name,
    ...(doc.metadata.description !== undefined ? { description: doc.metadata.description } : {}),
  });
  if (!parsed.success) {
    const found: Array<{ at: FieldPath; message: string }> = [];
    for (const issue of parsed.error.issues) {
      const at = documentPath(issue.path);
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) found.push({ at: [...at, key], message: 'unknown field' });
      } else if (issue.code === 'invalid_type' && !ctx.doc.has(at)) {
        found.push({ at, message: `required (${issue.expected})` });
      } else if (issue.code === 'invalid_value' && !ctx.doc.has(at)) {
        found.push({ at, message: `required; one of: ${issue.values.map(String).join(', ')}` });
      } else {
        found.push({ at, message: issue.message });
      }
    }
    // In the order they are written, as a reader goes through the file.
    const line = (at: FieldPath): number => ctx.doc.lineOf(at);
    for (const f of found.sort((a, b) => line(a.at) - line(b.at))) ctx.issue(f.at, f.message);
    return [];
  }
  return [{ spec: parsed.data, self: ['metadata', 'name'] }];
}

/** Where each model field of a probe is written in its document. */
export function probeFieldPath(field: string): FieldPath {
  return IN_METADATA[field] ?? ['spec', field];
}

/** Registers `vigil.dev/v1` `Probe`. */
export function registerProbeKinds(registry: KindRegistry): KindRegistry {
  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'Probe',
    description:
      'a probe of a catalog service: an HTTP, TCP, DNS or TLS check run on an interval, or a heartbeat pinged by a job',
    schema: ProbeDoc,
    handler: PROBE_HANDLER,
    toDesired: probeFromDocument,
  });
  return registry;
}
