import { formatDuration, parseDuration } from '../core/duration.ts';
import { InputError } from '../core/errors.ts';

/**
 * Gatus-style probe conditions: `<left> <operator> <right>`, e.g. `[STATUS] == 200`,
 * `[BODY].data[0].id == 42`, `len([BODY].items) > 0`, `[BODY] == pat(*healthy*)`,
 * `[STATUS] == any(200, 204)`, `[CERTIFICATE_EXPIRATION] > 72h`. Teams moving from Gatus can
 * paste their conditions unchanged.
 */

export const PLACEHOLDERS = [
  'STATUS',
  'BODY',
  'RESPONSE_TIME',
  'CERTIFICATE_EXPIRATION',
  'CONNECTED',
  'DNS_RCODE',
  'IP',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const OPERATORS = ['==', '!=', '<=', '>=', '<', '>'] as const;
export type Operator = (typeof OPERATORS)[number];

/** Placeholders measured in milliseconds, whose literals may be durations (`72h`, `300ms`). */
const DURATION_PLACEHOLDERS: ReadonlySet<Placeholder> = new Set(['RESPONSE_TIME', 'CERTIFICATE_EXPIRATION']);

type PathSegment = string | number;

export type Operand =
  | { kind: 'placeholder'; text: string; name: Placeholder; path: PathSegment[]; len: boolean }
  | { kind: 'literal'; text: string }
  | { kind: 'pattern'; text: string; glob: RegExp }
  | { kind: 'any'; text: string; values: string[] };

export interface Condition {
  text: string;
  left: Operand;
  operator: Operator;
  right: Operand;
}

/** What a check observed, in the units conditions compare. */
export interface ProbeObservation {
  status?: number;
  /** The body as read (up to the probe's limit), the TCP reply, or the DNS answers. */
  body?: string;
  responseTimeMs: number;
  /** Time left until the certificate expires; negative once expired. */
  certificateExpiresInMs?: number;
  connected: boolean;
  dnsRcode?: string;
  ip?: string;
}

const CONDITION_RE = /^(.+?)\s+(==|!=|<=|>=|<|>)\s+(.+)$/s;
const PLACEHOLDER_RE = /^\[([A-Za-z_]+)\](.*)$/s;
const PATH_RE = /^(\.[^.[\]\s]+|\[\d+\])*$/;
const PATH_SEGMENT_RE = /\.([^.[\]\s]+)|\[(\d+)\]/g;
const FUNCTION_RE = /^([A-Za-z_]+)\((.*)\)$/s;
const NUMBER_RE = /^-?\d+(\.\d+)?$/;
const DURATION_RE = /^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/;

/** Parses one condition; `index` names the offending entry (`conditions[2]`) in the error. */
export function parseCondition(text: string, index = 0): Condition {
  const field = `conditions[${index}]`;
  const m = CONDITION_RE.exec(text.trim());
  if (!m) {
    throw InputError.field(field, `cannot parse "${text}": expected <left> <operator> <right>, e.g. [STATUS] == 200`);
  }
  const operator = m[2] as Operator;
  const left = parseOperand((m[1] ?? '').trim(), field);
  const right = parseOperand((m[3] ?? '').trim(), field);
  const ordering = operator !== '==' && operator !== '!=';
  for (const side of [left, right]) {
    if (ordering && (side.kind === 'pattern' || side.kind === 'any')) {
      throw InputError.field(field, `${side.text.split('(')[0]}() only works with == and !=`);
    }
  }
  if (left.kind !== 'placeholder' && right.kind !== 'placeholder') {
    throw InputError.field(field, `"${text}" compares no placeholder such as [STATUS] or [BODY]`);
  }
  // Literals next to millisecond placeholders are checked now, so `> 3 days` fails at apply time, not every check.
  for (const [a, b] of [
    [left, right],
    [right, left],
  ] as const) {
    if (a.kind === 'placeholder' && !a.len && DURATION_PLACEHOLDERS.has(a.name) && b.kind === 'literal') {
      if (literalMillis(b.text) === undefined) {
        throw InputError.field(field, `[${a.name}] compares with milliseconds or a duration such as 72h, not "${b.text}"`);
      }
    }
  }
  return { text, left, operator, right };
}

/** Parses all conditions of a probe, failing on the first bad one. */
export function parseConditions(texts: readonly string[]): Condition[] {
  return texts.map((t, i) => parseCondition(t, i));
}

function parseOperand(text: string, field: string): Operand {
  if (text === '') throw InputError.field(field, 'an operand is empty');
  const fn = FUNCTION_RE.exec(text);
  if (fn) {
    const name = fn[1] ?? '';
    const arg = (fn[2] ?? '').trim();
    switch (name) {
      case 'len': {
        const inner = parsePlaceholder(arg, field);
        if (!inner) throw InputError.field(field, `len() takes a placeholder such as [BODY].items, not "${arg}"`);
        return { ...inner, text, len: true };
      }
      case 'pat':
        return { kind: 'pattern', text, glob: globToRegExp(arg) };
      case 'any': {
        const values = arg.split(',').map((v) => v.trim());
        if (values.some((v) => v === '')) throw InputError.field(field, `any() takes comma-separated values, got "${arg}"`);
        return { kind: 'any', text, values };
      }
      default:
        throw InputError.field(field, `unknown function ${name}(); known: len(), pat(), any()`);
    }
  }
  return parsePlaceholder(text, field) ?? { kind: 'literal', text };
}

function parsePlaceholder(text: string, field: string): Extract<Operand, { kind: 'placeholder' }> | undefined {
  const m = PLACEHOLDER_RE.exec(text);
  if (!m) return undefined;
  const name = m[1] ?? '';
  if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
    throw InputError.field(field, `unknown placeholder [${name}]; known: ${PLACEHOLDERS.map((p) => `[${p}]`).join(', ')}`);
  }
  const rest = m[2] ?? '';
  if (rest !== '' && name !== 'BODY') throw InputError.field(field, `only [BODY] takes a JSON path, not [${name}]`);
  if (!PATH_RE.test(rest)) throw InputError.field(field, `"${rest}" is not a JSON path such as .data[0].id`);
  const path: PathSegment[] = [];
  for (const seg of rest.matchAll(PATH_SEGMENT_RE)) {
    path.push(seg[1] !== undefined ? seg[1] : Number(seg[2]));
  }
  return { kind: 'placeholder', text, name: name as Placeholder, path, len: false };
}

function globToRegExp(glob: string): RegExp {
  const source = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's');
}

function literalMillis(text: string): number | undefined {
  if (NUMBER_RE.test(text)) return Number(text);
  if (DURATION_RE.test(text)) return parseDuration(text);
  return undefined;
}

const MISSING = Symbol('missing');
type Value = unknown;

/** Bodies are parsed once per observation, however many conditions read JSON paths. */
const parsedBodies = new WeakMap<ProbeObservation, Value>();

function jsonBody(obs: ProbeObservation): Value {
  if (parsedBodies.has(obs)) return parsedBodies.get(obs);
  let parsed: Value = MISSING;
  try {
    parsed = obs.body === undefined ? MISSING : JSON.parse(obs.body);
  } catch {
    // A body that is not JSON has no paths; conditions reading them fail rather than throw.
  }
  parsedBodies.set(obs, parsed);
  return parsed;
}

function resolve(op: Extract<Operand, { kind: 'placeholder' }>, obs: ProbeObservation): Value {
  let v: Value;
  switch (op.name) {
    case 'STATUS':
      v = obs.status;
      break;
    case 'BODY':
      v = op.path.length === 0 ? obs.body : walk(jsonBody(obs), op.path);
      break;
    case 'RESPONSE_TIME':
      v = obs.responseTimeMs;
      break;
    case 'CERTIFICATE_EXPIRATION':
      v = obs.certificateExpiresInMs;
      break;
    case 'CONNECTED':
      v = obs.connected;
      break;
    case 'DNS_RCODE':
      v = obs.dnsRcode;
      break;
    case 'IP':
      v = obs.ip;
      break;
  }
  if (v === undefined) return MISSING;
  if (!op.len || v === MISSING) return v;
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (v !== null && typeof v === 'object') return Object.keys(v).length;
  return String(v).length;
}

function walk(root: Value, path: PathSegment[]): Value {
  let cur = root;
  for (const seg of path) {
    if (cur === MISSING || cur === null || typeof cur !== 'object') return MISSING;
    const next: Value = (cur as Record<string | number, Value>)[seg];
    if (next === undefined) return MISSING;
    cur = next;
  }
  return cur;
}

function asString(v: Value): string {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function asNumber(v: Value, millis: boolean): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  return millis ? literalMillis(v) : NUMBER_RE.test(v) ? Number(v) : undefined;
}

function render(op: Operand, v: Value): string {
  if (op.kind !== 'placeholder') return op.text;
  if (v === MISSING) return `${op.text} (n/a)`;
  let shown = asString(v);
  if (op.name === 'CERTIFICATE_EXPIRATION' && !op.len && typeof v === 'number') {
    shown = v < 0 ? `expired ${formatDuration(Math.round(-v / 1000) * 1000)} ago` : formatDuration(Math.round(v / 1000) * 1000);
  }
  if (shown.length > 100) shown = `${shown.slice(0, 100)}…`;
  return `${op.text} (${shown})`;
}

/**
 * Evaluates a condition against what a check observed. Never throws for what the target sent:
 * a missing JSON path or a non-numeric value makes the condition fail, with the actual value
 * in the description. Strings are parsed first (and may throw an {@link InputError}).
 */
export function evaluateCondition(condition: Condition | string, obs: ProbeObservation): { ok: boolean; description: string } {
  const c = typeof condition === 'string' ? parseCondition(condition) : condition;
  const leftValue = c.left.kind === 'placeholder' ? resolve(c.left, obs) : c.left.text;
  const rightValue = c.right.kind === 'placeholder' ? resolve(c.right, obs) : c.right.text;
  const description = `${render(c.left, leftValue)} ${c.operator} ${render(c.right, rightValue)}`;
  return { ok: compare(c, leftValue, rightValue), description };
}

function compare(c: Condition, l: Value, r: Value): boolean {
  // A value the target did not provide satisfies nothing, not even `!=`: "no body" is not "healthy".
  if (l === MISSING || r === MISSING) return false;
  const negate = c.operator === '!=';
  for (const [matcher, other] of [
    [c.right, l],
    [c.left, r],
  ] as const) {
    if (matcher.kind === 'pattern') return matcher.glob.test(asString(other)) !== negate;
    if (matcher.kind === 'any') {
      const s = asString(other);
      return matcher.values.includes(s) !== negate;
    }
  }
  const millis = isMillis(c.left) || isMillis(c.right);
  const ln = asNumber(l, millis);
  const rn = asNumber(r, millis);
  const numeric = ln !== undefined && rn !== undefined;
  switch (c.operator) {
    case '==':
      return numeric ? ln === rn : asString(l) === asString(r);
    case '!=':
      return numeric ? ln !== rn : asString(l) !== asString(r);
    case '<':
      return numeric && ln < rn;
    case '<=':
      return numeric && ln <= rn;
    case '>':
      return numeric && ln > rn;
    case '>=':
      return numeric && ln >= rn;
  }
}

function isMillis(op: Operand): boolean {
  return op.kind === 'placeholder' && !op.len && DURATION_PLACEHOLDERS.has(op.name);
}
