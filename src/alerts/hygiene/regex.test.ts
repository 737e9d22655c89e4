import { describe, expect, it } from 'vitest';
import { compileAnchored, RegexSyntaxError, translateRe2 } from './regex.ts';

describe('translateRe2', () => {
  it('turns RE2 spellings into JavaScript ones', () => {
    expect(translateRe2('(?is)a')).toEqual({ source: 'a', flags: 'is' });
    expect(translateRe2('(?P<host>x)').source).toBe('(?<host>x)');
    expect(translateRe2('[[:digit:][:upper:]]').source).toBe('[0-9A-Z]');
    expect(translateRe2('a\\-b').source).toBe('a\\x2db');
    expect(translateRe2('[a\\-z]').source).toBe('[a\\-z]');
    expect(translateRe2('\\x{41}').source).toBe('\\u{41}');
    expect(translateRe2('\\pL\\PN').source).toBe('\\p{L}\\P{N}');
    expect(translateRe2('\\Q.*\\E').source).toBe('\\.\\*');
    expect(translateRe2('a{,2}}').source).toBe('a\\{,2\\}\\}');
  });

  it('refuses what RE2 cannot do or this translation does not cover', () => {
    for (const bad of ['(?U)a', '[[:^alpha:]]', '[[:foo:]]', '(?=a)', '(?<!a)b', '(a)\\1', '[a', 'a\\', '\\x{zz}', '\\é']) {
      expect(() => translateRe2(bad), bad).toThrow(RegexSyntaxError);
    }
  });
});

describe('compileAnchored', () => {
  it('anchors the whole value, also under (?m)', () => {
    expect(compileAnchored('a|ab').test('ab')).toBe(true);
    expect(compileAnchored('b').test('abc')).toBe(false);
    expect(compileAnchored('(?m)^b$').test('a\nb')).toBe(false);
    expect(compileAnchored('(?m)a$\\n^b').test('a\nb')).toBe(true);
  });

  it('explains a syntax error without the engine’s boilerplate', () => {
    expect(() => compileAnchored('(a')).toThrow(/^Unterminated group$/);
    expect(() => compileAnchored('a**')).toThrow(RegexSyntaxError);
  });

  it('caches compiled expressions', () => {
    expect(compileAnchored('x+')).toBe(compileAnchored('x+'));
  });
});
