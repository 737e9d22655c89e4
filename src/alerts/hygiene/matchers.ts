import { z } from 'zod';
import { InputError } from '../../core/errors.ts';
import { type Labels, labelValue, quoteLabelValue } from './labels.ts';
import { compileAnchored, RegexSyntaxError } from './regex.ts';

/**
 * Alertmanager's label matchers: `severity="critical"`, `env!="prod"`, `service=~"api|web"`,
 * `instance!~"db-.*"`, alone or as a list (`{severity="critical", env=~"prod|staging"}`), in the
 * syntax `amtool`, silences and `alertmanager.yml` accept. Teams moving from Alertmanager can paste
 * their matchers unchanged.
 *
 * Parsing follows Alertmanager's `pkg/labels/parse.go`:
 * - a matcher is a label name, an operator (`=`, `!=`, `=~`, `!~`) and a value, with any
 *   whitespace around each;
 * - the value may be double-quoted, and then `\"`, `\n` and `\\` are escapes while a backslash
 *   before anything else is a literal backslash; unquoted values run to the end of the matcher,
 *   trimmed, and must not contain `"`;
 * - a list is split at commas outside quotes, may be wrapped in `{…}` and may end with a comma.
 *
 * Beyond the classic syntax, a label name may be double-quoted (`"my label"="x"`), as in
 * Alertmanager's UTF-8 matchers, so that every structured matcher can be printed and read back.
 * Vigil is stricter than Alertmanager in one place: a list that opens with `{` must close with `}`.
 *
 * Matching follows `pkg/labels/matcher.go`: a missing label has the value `""`, and regexes are
 * anchored at both ends (see `regex.ts`).
 */

export const MATCH_TYPES = ['=', '!=', '=~', '!~'] as const;
export type MatchType = (typeof MATCH_TYPES)[number];

/** One label matcher, as plain data (silences and rules are stored as JSON). */
export interface Matcher {
  name: string;
  type: MatchType;
  value: string;
}

/** Label names that can be written unquoted (Alertmanager's classic parser also allows `:`). */
const BARE_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
/** Go's `\s`, which Alertmanager trims around names, operators and values. */
const SPACE = new Set([' ', '\t', '\n', '\f', '\r']);

function fieldOf(field: string, index: number): string {
  return `${field}[${index}]`;
}

function isRegex(type: MatchType): boolean {
  return type === '=~' || type === '!~';
}

/** Throws an {@link InputError} naming `field` when the matcher's regex does not compile. */
function checkRegex(m: Matcher, field: string): void {
  if (!isRegex(m.type)) return;
  try {
    compileAnchored(m.value);
  } catch (error) {
    if (!(error instanceof RegexSyntaxError)) throw error;
    throw InputError.field(field, `invalid regex "${m.value}" for label ${m.name}: ${error.message}`);
  }
}

function skipSpace(text: string, i: number): number {
  let j = i;
  while (j < text.length && SPACE.has(text[j] ?? '')) j += 1;
  return j;
}

function trimSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && SPACE.has(text[start] ?? '')) start += 1;
  while (end > start && SPACE.has(text[end - 1] ?? '')) end -= 1;
  return text.slice(start, end);
}

/**
 * Reads the body of a quoted string starting after its opening quote, with OpenMetrics escapes.
 * Returns the text and the index just past the closing quote, or null when it never closes.
 */
function readQuoted(text: string, from: number): { value: string; end: number } | null {
  let value = '';
  for (let i = from; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '"') return { value, end: i + 1 };
    if (c === '\\' && i + 1 < text.length) {
      const next = text[i + 1] ?? '';
      i += 1;
      if (next === 'n') value += '\n';
      else if (next === '"' || next === '\\') value += next;
      // A spurious escape is a literal backslash, as Alertmanager reads it.
      else value += `\\${next}`;
      continue;
    }
    value += c;
  }
  return null;
}

/**
 * Unescapes a value the way Alertmanager's classic parser does, quoted or not: `\"`, `\n` and
 * `\\` are escapes, a backslash before anything else (or at the end) is literal, and an
 * unescaped `"` may only open and close a quoted value. Null when a quote is misplaced.
 */
function readValue(raw: string): string | null {
  const quoted = raw.startsWith('"');
  const body = quoted ? raw.slice(1) : raw;
  let value = '';
  let closed = !quoted;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c === '\\' && i < body.length - 1) {
      i += 1;
      const next = body[i] ?? '';
      value += next === 'n' ? '\n' : next === '"' || next === '\\' ? next : `\\${next}`;
      continue;
    }
    if (c === '"') {
      if (!quoted || i < body.length - 1) return null;
      closed = true;
      continue;
    }
    value += c;
  }
  return closed ? value : null;
}

/**
 * Parses one matcher, e.g. `severity=~"critical|error"`. `index` and `field` name it in errors
 * (`matchers[2]`). Throws an {@link InputError} for bad syntax or an invalid regex.
 */
export function parseMatcher(text: string, index = 0, field = 'matchers'): Matcher {
  const path = fieldOf(field, index);
  const example = 'expected a label name, an operator (=, !=, =~ or !~) and a value, e.g. severity="critical"';
  let i = skipSpace(text, 0);
  let name: string;
  if (text[i] === '"') {
    const quoted = readQuoted(text, i + 1);
    if (!quoted) throw InputError.field(path, `"${text}" has an unterminated quoted label name`);
    name = quoted.value;
    i = quoted.end;
  } else {
    const bare = BARE_NAME_RE.exec(text.slice(i));
    if (!bare) throw InputError.field(path, `cannot parse "${text}": ${example}`);
    name = bare[0];
    i += name.length;
  }
  if (name === '') throw InputError.field(path, `"${text}" has an empty label name`);
  i = skipSpace(text, i);
  const type = (['=~', '!=', '!~', '='] as const).find((op) => text.startsWith(op, i));
  if (!type) throw InputError.field(path, `cannot parse "${text}": ${example}`);
  const raw = trimSpace(text.slice(i + type.length));
  const value = readValue(raw);
  if (value === null) {
    throw InputError.field(path, `the value ${raw} contains an unescaped double quote; quote it whole and write \\" inside`);
  }
  const matcher: Matcher = { name, type, value };
  checkRegex(matcher, path);
  return matcher;
}

/** Splits a matcher list at commas outside double quotes, as Alertmanager's `ParseMatchers` does. */
function splitList(text: string): string[] {
  const tokens: string[] = [];
  let token = '';
  let inQuotes = false;
  let escaped = false;
  for (const c of text) {
    if (c === ',' && !inQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (c === '"') {
      if (escaped) escaped = false;
      else inQuotes = !inQuotes;
    } else if (c === '\\') {
      escaped = !escaped;
    } else {
      escaped = false;
    }
    token += c;
  }
  // A trailing comma (`{a="b",}`) leaves an empty last token, which is dropped.
  if (trimSpace(token) !== '') tokens.push(token);
  return tokens;
}

/**
 * Parses matchers: a list in one string (`{a="b", c=~"d.*"}` or `a=b,c!=d`), or an array whose
 * elements each hold one matcher or a list, as `matchers:` in `alertmanager.yml`. Errors name the
 * matcher's position in the string, or the array element (`matchers[2]`). An empty list (`{}`)
 * parses to no matchers, which match every label set.
 */
export function parseMatchers(input: string | readonly string[], field = 'matchers'): Matcher[] {
  if (typeof input !== 'string') return input.flatMap((element, index) => parseMatcherElement(element, index, field));
  return parseMatcherElement(input, null, field);
}

/**
 * Parses one string of matchers (one matcher or a list). With `at`, errors name that position
 * (the string is element `at` of an array); without, they name the matcher's place in the list.
 */
export function parseMatcherElement(text: string, at: number | null, field = 'matchers'): Matcher[] {
  let body = trimSpace(text);
  if (body.startsWith('{')) {
    if (!body.endsWith('}')) throw InputError.field(fieldOf(field, at ?? 0), `"${text}" opens with { but does not close with }`);
    body = body.slice(1, -1);
  }
  const tokens = splitList(body);
  return tokens.map((token, i) => {
    if (trimSpace(token) === '') throw InputError.field(fieldOf(field, at ?? i), `empty matcher in "${text}"`);
    return parseMatcher(token, at ?? i, field);
  });
}

/**
 * Prints a matcher in the syntax {@link parseMatcher} reads back: `name="value"` with the value
 * always quoted and escaped (Alertmanager's `Matcher.String()`), the name quoted only when it
 * cannot be written bare.
 */
export function formatMatcher(m: Matcher): string {
  const bare = BARE_NAME_RE.exec(m.name)?.[0] === m.name;
  return `${bare ? m.name : quoteLabelValue(m.name)}${m.type}${quoteLabelValue(m.value)}`;
}

/** Prints a list as `{a="b", c=~"d.*"}`, the form `amtool` prints and {@link parseMatchers} reads. */
export function formatMatchers(matchers: readonly Matcher[]): string {
  return `{${matchers.map(formatMatcher).join(', ')}}`;
}

/** Whether a single value satisfies the matcher (a missing label is `""`). */
export function matchesValue(m: Matcher, value: string): boolean {
  switch (m.type) {
    case '=':
      return value === m.value;
    case '!=':
      return value !== m.value;
    case '=~':
      return compileAnchored(m.value).test(value);
    case '!~':
      return !compileAnchored(m.value).test(value);
  }
}

/**
 * Whether a label set satisfies every matcher. No matchers match everything, as in
 * Alertmanager's `Matchers.Matches`.
 */
export function matches(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((m) => matchesValue(m, labelValue(labels, m.name)));
}

/**
 * The structured form of a matcher in Alertmanager's API v2 (`POST /api/v2/silences`):
 * `isRegex` picks `=~`/`!~` over `=`/`!=`, `isEqual` (default true) picks the positive operator.
 */
export const ApiMatcherSchema = z.object({
  name: z.string().min(1, 'a label name is required'),
  value: z.string(),
  isRegex: z.boolean(),
  isEqual: z.boolean().default(true),
});
export type ApiMatcher = z.output<typeof ApiMatcherSchema>;

/** The API v2 form of a matcher. */
export function toApiMatcher(m: Matcher): ApiMatcher {
  return { name: m.name, value: m.value, isRegex: isRegex(m.type), isEqual: m.type === '=' || m.type === '=~' };
}

/**
 * A matcher from its API v2 form (validated with {@link ApiMatcherSchema}). Throws an
 * {@link InputError} naming `field[index]` for a bad shape or an invalid regex.
 */
export function fromApiMatcher(input: unknown, index = 0, field = 'matchers'): Matcher {
  const path = fieldOf(field, index);
  const parsed = ApiMatcherSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? `.${issue.path.map(String).join('.')}` : '';
    throw InputError.field(`${path}${at}`, issue?.message ?? 'is not a matcher');
  }
  const { name, value, isRegex: regex, isEqual } = parsed.data;
  const type: MatchType = regex ? (isEqual ? '=~' : '!~') : isEqual ? '=' : '!=';
  const matcher: Matcher = { name, type, value };
  checkRegex(matcher, path);
  return matcher;
}

/** Whether the matcher matches the empty string, i.e. alerts that lack its label. */
export function matchesEmpty(m: Matcher): boolean {
  return matchesValue(m, '');
}
