import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import {
  ApiMatcherSchema,
  formatMatcher,
  formatMatchers,
  fromApiMatcher,
  type Matcher,
  matches,
  matchesEmpty,
  parseMatcher,
  parseMatchers,
  toApiMatcher,
} from './matchers.ts';

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parseMatcher', () => {
  it('reads the four operators, quoted and unquoted', () => {
    expect(parseMatcher('severity="critical"')).toEqual({ name: 'severity', type: '=', value: 'critical' });
    expect(parseMatcher('env!="prod"')).toEqual({ name: 'env', type: '!=', value: 'prod' });
    expect(parseMatcher('service=~"api|web"')).toEqual({ name: 'service', type: '=~', value: 'api|web' });
    expect(parseMatcher('instance!~db-.*')).toEqual({ name: 'instance', type: '!~', value: 'db-.*' });
    expect(parseMatcher('  foo   =   bar baz  ')).toEqual({ name: 'foo', type: '=', value: 'bar baz' });
    expect(parseMatcher('job:rate=x')).toEqual({ name: 'job:rate', type: '=', value: 'x' });
  });

  it('keeps whitespace inside quotes and accepts an empty value', () => {
    expect(parseMatcher('a=" spaced "').value).toBe(' spaced ');
    expect(parseMatcher('a=""').value).toBe('');
    expect(parseMatcher('a=').value).toBe('');
  });

  it('unescapes \\" \\n and \\\\ and keeps other backslashes, as Alertmanager does', () => {
    expect(parseMatcher('a="say \\"hi\\""').value).toBe('say "hi"');
    expect(parseMatcher('a="line\\nbreak"').value).toBe('line\nbreak');
    expect(parseMatcher('a="back\\\\slash"').value).toBe('back\\slash');
    expect(parseMatcher('a=~"\\d+\\.\\d+"').value).toBe('\\d+\\.\\d+');
    expect(parseMatcher('a=trailing\\').value).toBe('trailing\\');
  });

  it('reads quoted label names (UTF-8 matchers)', () => {
    expect(parseMatcher('"my label"="x"')).toEqual({ name: 'my label', type: '=', value: 'x' });
    expect(parseMatcher('"a\\"b"!~"y"')).toEqual({ name: 'a"b', type: '!~', value: 'y' });
  });

  it('rejects malformed matchers naming the position', () => {
    for (const bad of [
      '',
      'severity',
      '=x',
      '1abc="x"',
      'a=="x"'.replace('==', '<>'),
      'a="x',
      'a="x"y',
      'a=x"y',
      'a="x\\"',
      '""="x"',
    ]) {
      const error = errorOf(() => parseMatcher(bad, 2));
      expect(error.issues[0]?.path).toBe('matchers[2]');
    }
  });

  it('rejects an invalid regex with the reason', () => {
    const error = errorOf(() => parseMatcher('service=~"(api"', 1, 'silence.matchers'));
    expect(error.issues[0]?.path).toBe('silence.matchers[1]');
    expect(error.message).toMatch(/invalid regex "\(api" for label service/);
    expect(() => parseMatcher('a=~"(?=x)"')).toThrow(/lookaround/);
    expect(() => parseMatcher('a!~"(a)\\1"')).toThrow(/backreference/);
    // `=` and `!=` values are never regexes.
    expect(parseMatcher('a="(api"').value).toBe('(api');
  });
});

describe('parseMatchers', () => {
  it('reads the {…} list form and plain comma lists, as amtool does', () => {
    const expected: Matcher[] = [
      { name: 'foo', type: '=', value: 'bar' },
      { name: 'dings', type: '!=', value: 'bums' },
    ];
    expect(parseMatchers('{foo = "bar", dings != "bums", }')).toEqual(expected);
    expect(parseMatchers('foo=bar,dings!=bums')).toEqual(expected);
    expect(parseMatchers('foo=bar, dings!=bums')).toEqual(expected);
    expect(parseMatchers('{}')).toEqual([]);
    expect(parseMatchers('')).toEqual([]);
  });

  it('does not split at commas inside quotes', () => {
    expect(parseMatchers('{quote="She said: \\"Hi, ladies!\\"", code=~"5..|4.."}')).toEqual([
      { name: 'quote', type: '=', value: 'She said: "Hi, ladies!"' },
      { name: 'code', type: '=~', value: '5..|4..' },
    ]);
    expect(parseMatchers('a="}"')).toEqual([{ name: 'a', type: '=', value: '}' }]);
  });

  it('reads arrays element by element, each one matcher or a list', () => {
    expect(parseMatchers(['a="1"', '{b="2", c="3"}'])).toHaveLength(3);
    expect(errorOf(() => parseMatchers(['a="1"', 'b=~"("'])).issues[0]?.path).toBe('matchers[1]');
    expect(errorOf(() => parseMatchers(['a="1"', 'b="2", c=~"("'])).issues[0]?.path).toBe('matchers[1]');
  });

  it('names the offending matcher in a list', () => {
    expect(errorOf(() => parseMatchers('{a="1", b="2", c=~"[z-a]"}')).issues[0]?.path).toBe('matchers[2]');
    expect(errorOf(() => parseMatchers('a="1",,b="2"')).issues[0]?.path).toBe('matchers[1]');
    expect(errorOf(() => parseMatchers('{a="1"')).message).toMatch(/does not close/);
  });
});

describe('matches', () => {
  const labels = { service: 'api', severity: 'critical', env: 'prod' };

  it('applies every matcher, reading a missing label as ""', () => {
    expect(matches(parseMatchers('{service="api", severity=~"critical|error"}'), labels)).toBe(true);
    expect(matches(parseMatchers('{service="api", env!="prod"}'), labels)).toBe(false);
    expect(matches(parseMatchers('team=""'), labels)).toBe(true);
    expect(matches(parseMatchers('team!=""'), labels)).toBe(false);
    expect(matches(parseMatchers('team!="core"'), labels)).toBe(true);
    expect(matches([], labels)).toBe(true);
  });

  it('anchors regexes at both ends', () => {
    expect(matches(parseMatchers('service=~"ap"'), labels)).toBe(false);
    expect(matches(parseMatchers('service=~"a.*"'), labels)).toBe(true);
    expect(matches(parseMatchers('service=~"api|x"'), { service: 'api-gateway' })).toBe(false);
    expect(matches(parseMatchers('service!~"api"'), { service: 'api-gateway' })).toBe(true);
  });

  it('reads RE2 syntax as Alertmanager does', () => {
    const m = (re: string, value: string): boolean => matches([{ name: 'x', type: '=~', value: re }], { x: value });
    expect(m('(?i)API', 'api')).toBe(true);
    expect(m('(?s)a.b', 'a\nb')).toBe(true);
    expect(m('a.b', 'a\nb')).toBe(false);
    expect(m('(?m)a$', 'a\nb')).toBe(false);
    expect(m('(?P<host>[a-z]+)-\\d+', 'web-12')).toBe(true);
    expect(m('[[:alpha:]]+[[:digit:]]', 'abc1')).toBe(true);
    expect(m('a\\-b\\_c', 'a-b_c')).toBe(true);
    expect(m('\\Qa.b\\E', 'a.b')).toBe(true);
    expect(m('\\Qa.b\\E', 'axb')).toBe(false);
    expect(m('x{y}', 'x{y}')).toBe(true);
    expect(m('a{2}', 'aa')).toBe(true);
    expect(m('[]a]+', ']a]')).toBe(true);
    expect(m('\\x{1F600}', '😀')).toBe(true);
    expect(m('.', '😀')).toBe(true);
    expect(m('\\pL+', 'Grüße')).toBe(true);
    expect(m('\\Aab\\z', 'ab')).toBe(true);
  });

  it('knows which matchers match alerts that lack their label', () => {
    expect(matchesEmpty(parseMatcher('x=~".*"'))).toBe(true);
    expect(matchesEmpty(parseMatcher('x=~"a|"'))).toBe(true);
    expect(matchesEmpty(parseMatcher('x=""'))).toBe(true);
    expect(matchesEmpty(parseMatcher('x=~".+"'))).toBe(false);
    expect(matchesEmpty(parseMatcher('x="a"'))).toBe(false);
  });
});

describe('the API v2 form', () => {
  it('converts both ways', () => {
    for (const text of ['a="1"', 'a!="1"', 'a=~"1|2"', 'a!~"1|2"']) {
      const m = parseMatcher(text);
      expect(fromApiMatcher(toApiMatcher(m))).toEqual(m);
    }
    expect(toApiMatcher(parseMatcher('a!~"x"'))).toEqual({ name: 'a', value: 'x', isRegex: true, isEqual: false });
  });

  it('defaults isEqual to true and validates', () => {
    expect(ApiMatcherSchema.parse({ name: 'a', value: 'b', isRegex: false })).toEqual({
      name: 'a',
      value: 'b',
      isRegex: false,
      isEqual: true,
    });
    expect(fromApiMatcher({ name: 'a', value: 'b', isRegex: true })).toEqual({ name: 'a', type: '=~', value: 'b' });
    expect(errorOf(() => fromApiMatcher({ name: 'a', value: '(', isRegex: true }, 3)).issues[0]?.path).toBe('matchers[3]');
    expect(errorOf(() => fromApiMatcher({ name: '', value: 'x', isRegex: false }, 0)).issues[0]?.path).toBe('matchers[0].name');
    expect(errorOf(() => fromApiMatcher({ name: 'a', isRegex: false })).issues[0]?.path).toBe('matchers[0].value');
  });
});

describe('printing and parsing back', () => {
  const name = fc.oneof(
    fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/),
    fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom('a', ' ', '"', '\\', ',', '=', '{', '}', 'n', '\n', 'é') }),
  );
  const literal = fc.string({
    maxLength: 10,
    unit: fc.constantFrom('a', 'b', ' ', '"', '\\', ',', '}', '{', 'n', '\n', '~', '=', '😀'),
  });
  const regex = fc.constantFrom('.*', 'a|b', '[a-z]+', '(?i)AB', 'x{2}', '\\d+', 'a\\.b', '', '[^,]*', '"quoted"');
  const matcher: fc.Arbitrary<Matcher> = fc.oneof(
    fc.record({ name, type: fc.constantFrom('=' as const, '!=' as const), value: literal }),
    fc.record({ name, type: fc.constantFrom('=~' as const, '!~' as const), value: regex }),
  );
  const labelSet = fc.dictionary(
    fc.oneof(name, fc.constantFrom('a', 'b', 'x')),
    fc.oneof(literal, fc.constantFrom('ab', 'AB', '12', 'aa')),
    {
      maxKeys: 5,
    },
  );

  it('gives back the same matchers', () => {
    fc.assert(
      fc.property(fc.array(matcher, { maxLength: 5 }), (list) => {
        expect(parseMatchers(formatMatchers(list))).toEqual(list);
        for (const m of list) expect(parseMatcher(formatMatcher(m))).toEqual(m);
      }),
    );
  });

  it('matches the same label sets', () => {
    fc.assert(
      fc.property(fc.array(matcher, { maxLength: 4 }), labelSet, (list, labels) => {
        expect(matches(parseMatchers(formatMatchers(list)), labels)).toBe(matches(list, labels));
      }),
    );
  });
});
