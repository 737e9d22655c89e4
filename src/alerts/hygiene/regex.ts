/**
 * Regular expressions as Alertmanager reads them. Alertmanager is written in Go, whose `regexp`
 * package speaks RE2 syntax, and compiles every matcher's value fully anchored
 * (`regexp.Compile("^(?:" + value + ")$")` in `pkg/labels/matcher.go`): `=~"api"` matches the
 * value `api` only, never `api-gateway`.
 *
 * JavaScript's RegExp reads most RE2 the same way. Where the two spell a thing differently this
 * module translates, so a matcher copied from an Alertmanager silence or config means the same in
 * Vigil; where JavaScript has features RE2 lacks (lookaround, backreferences) it refuses them, so
 * Vigil's matchers can be handed back to Alertmanager unchanged.
 *
 * Translated: leading flags `(?i)`, `(?s)`, `(?m)` (and combinations), `(?P<name>…)`, `\A`, `\z`,
 * `\x{1F600}`, `\pL`, `\Q…\E`, POSIX classes such as `[[:alpha:]]`, and RE2's literals that
 * Unicode-mode JavaScript rejects (`\-` or `\_` outside a class, a lone `{`, `}` or `]`).
 */

const MAX_CACHED = 10_000;
const cache = new Map<string, RegExp>();

/** JavaScript's syntax characters, which keep their backslash; other punctuation is emitted as `\xHH`. */
const SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);

/** POSIX classes RE2 accepts inside brackets, as JavaScript class ranges. */
const POSIX: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`\\{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

const REPETITION_RE = /^\{\d+(,\d*)?\}/;
const LEADING_FLAGS_RE = /^\(\?([a-zA-Z]+)\)/;

/** Thrown for a pattern that is not valid RE2, or that uses RE2 this translation does not cover. */
export class RegexSyntaxError extends Error {}

function hex(ch: string): string {
  return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** Translates RE2 syntax to a JavaScript (Unicode-mode) source and flags, unanchored. */
export function translateRe2(pattern: string): { source: string; flags: string } {
  let flags = '';
  let i = 0;
  const lead = LEADING_FLAGS_RE.exec(pattern);
  if (lead) {
    for (const f of lead[1] ?? '') {
      if (f !== 'i' && f !== 'm' && f !== 's') throw new RegexSyntaxError(`flag ${f} in (?${lead[1]}) is not supported`);
      if (!flags.includes(f)) flags += f;
    }
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i] ?? '';
    if (c === '\\') {
      const [text, length] = translateEscape(pattern, i, inClass);
      out += text;
      i += length;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const posix = /^\[:(\^?)([a-z]+):\]/.exec(pattern.slice(i));
        const range = posix ? POSIX[posix[2] ?? ''] : undefined;
        if (posix && (range === undefined || posix[1] === '^')) {
          throw new RegexSyntaxError(`the class ${posix[0]} is not supported`);
        }
        if (posix && range !== undefined) {
          out += range;
          i += posix[0].length;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += '[';
      i += 1;
      if (pattern[i] === '^') {
        out += '^';
        i += 1;
      }
      // RE2 reads a `]` right after the opening bracket as a literal.
      if (pattern[i] === ']') {
        out += '\\]';
        i += 1;
      }
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 4;
        continue;
      }
      if (/^(=|!|<=|<!)/.test(rest)) throw new RegexSyntaxError('lookaround assertions such as (?=…) are not supported');
    }
    if (c === '{') {
      const rep = REPETITION_RE.exec(pattern.slice(i));
      out += rep ? rep[0] : '\\{';
      i += rep ? rep[0].length : 1;
      continue;
    }
    out += c === '}' || c === ']' ? `\\${c}` : c;
    i += 1;
  }
  if (inClass) throw new RegexSyntaxError('missing closing ]');
  return { source: out, flags };
}

/** One escape sequence at `pattern[i]`: its translation and how many characters it took. */
function translateEscape(pattern: string, i: number, inClass: boolean): [string, number] {
  const next = pattern[i + 1];
  if (next === undefined) throw new RegexSyntaxError('trailing backslash');
  if (next === 'A' && !inClass) return ['(?<![\\s\\S])', 2];
  if (next === 'z' && !inClass) return ['(?![\\s\\S])', 2];
  if (next === 'x' && pattern[i + 2] === '{') {
    const m = /^\{([0-9A-Fa-f]{1,6})\}/.exec(pattern.slice(i + 2));
    if (!m) throw new RegexSyntaxError('invalid \\x{…} escape');
    return [`\\u{${m[1]}}`, 2 + m[0].length];
  }
  if ((next === 'p' || next === 'P') && pattern[i + 2] !== '{') {
    const name = pattern[i + 2];
    if (name === undefined || !/[A-Z]/.test(name)) throw new RegexSyntaxError(`invalid \\${next} escape`);
    return [`\\${next}{${name}}`, 3];
  }
  if (next === 'Q') {
    const end = pattern.indexOf('\\E', i + 2);
    const literal = pattern.slice(i + 2, end < 0 ? pattern.length : end);
    const escaped = [...literal].map((ch) => (SYNTAX.has(ch) || ch === '-' ? `\\${ch}` : ch)).join('');
    return [escaped, (end < 0 ? pattern.length : end + 2) - i];
  }
  if (/[1-9]/.test(next)) throw new RegexSyntaxError(`backreferences such as \\${next} are not supported`);
  if (/[A-Za-z0-9]/.test(next)) return [`\\${next}`, 2];
  // RE2 reads a backslash before any ASCII punctuation as that character, literally.
  if (next.charCodeAt(0) < 0x80) return [SYNTAX.has(next) || (inClass && next === '-') ? `\\${next}` : hex(next), 2];
  throw new RegexSyntaxError(`invalid escape \\${next}`);
}

/**
 * Compiles an RE2 pattern fully anchored, as Alertmanager does, into a cached RegExp. Throws a
 * {@link RegexSyntaxError} with a readable reason for a pattern either engine would reject.
 */
export function compileAnchored(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const { source, flags } = translateRe2(pattern);
  let re: RegExp;
  try {
    // With (?m), ^ and $ mean line boundaries, so the whole-value anchors are written as lookarounds.
    re = flags.includes('m')
      ? new RegExp(`(?<![\\s\\S])(?:${source})(?![\\s\\S])`, `${flags}u`)
      : new RegExp(`^(?:${source})$`, `${flags}u`);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') : '';
    throw new RegexSyntaxError(reason || 'invalid regular expression');
  }
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(pattern, re);
  return re;
}
