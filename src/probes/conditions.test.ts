import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { evaluateCondition, type ProbeObservation, parseCondition, parseConditions } from './conditions.ts';

const obs = (o: Partial<ProbeObservation> = {}): ProbeObservation => ({ responseTimeMs: 120, connected: true, ...o });

function parseError(text: string, index = 0): InputError {
  try {
    parseCondition(text, index);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error(`"${text}" parsed`);
}

describe('parseCondition', () => {
  it('parses placeholders, JSON paths and functions', () => {
    const c = parseCondition('[BODY].data[0].id == 42');
    expect(c.operator).toBe('==');
    expect(c.left).toMatchObject({ kind: 'placeholder', name: 'BODY', path: ['data', 0, 'id'], len: false });
    expect(parseCondition('len([BODY].items) > 0').left).toMatchObject({ kind: 'placeholder', len: true, path: ['items'] });
    expect(parseCondition('[STATUS] == any(200, 204)').right).toMatchObject({ kind: 'any', values: ['200', '204'] });
    expect(parseCondition('[BODY] == pat(*ok*)').right).toMatchObject({ kind: 'pattern' });
  });

  it('names the condition in errors', () => {
    const unknown = parseError('[STATUSCODE] == 200', 3);
    expect(unknown.issues[0]?.path).toBe('conditions[3]');
    expect(unknown.issues[0]?.message).toMatch(/unknown placeholder \[STATUSCODE\]/);
    expect(parseError('[STATUS] 200').issues[0]?.message).toMatch(/cannot parse/);
    expect(parseError('[STATUS]==200').issues[0]?.message).toMatch(/cannot parse/);
    expect(parseError('foo([BODY]) == 1').issues[0]?.message).toMatch(/unknown function foo/);
    expect(parseError('[STATUS] > any(200, 201)').issues[0]?.message).toMatch(/only works with == and !=/);
    expect(parseError('1 == 1').issues[0]?.message).toMatch(/no placeholder/);
    expect(parseError('[STATUS].code == 1').issues[0]?.message).toMatch(/only \[BODY\] takes a JSON path/);
    expect(parseError('[BODY].a..b == 1').issues[0]?.message).toMatch(/not a JSON path/);
    expect(parseError('[CERTIFICATE_EXPIRATION] > soon').issues[0]?.message).toMatch(/duration/);
    expect(parseError('len(foo) == 1').issues[0]?.message).toMatch(/len\(\) takes a placeholder/);
  });

  it('reports the first bad entry of a list', () => {
    expect(() => parseConditions(['[STATUS] == 200', '[NOPE] == 1'])).toThrow(/conditions\[1\]/);
  });
});

describe('evaluateCondition', () => {
  it('describes actual against expected as Gatus does', () => {
    expect(evaluateCondition('[STATUS] == 200', obs({ status: 500 }))).toEqual({
      ok: false,
      description: '[STATUS] (500) == 200',
    });
    expect(evaluateCondition('[STATUS] == 200', obs({ status: 200 })).ok).toBe(true);
    expect(evaluateCondition('[STATUS] < 400', obs({ status: 302 })).ok).toBe(true);
    expect(evaluateCondition('[STATUS] != 200', obs({ status: 200 })).ok).toBe(false);
  });

  it('reads JSON paths from the body', () => {
    const o = obs({ body: JSON.stringify({ status: 'UP', data: [{ id: 7 }, { id: 8 }], nested: { ok: true } }) });
    expect(evaluateCondition('[BODY].status == UP', o)).toEqual({ ok: true, description: '[BODY].status (UP) == UP' });
    expect(evaluateCondition('[BODY].data[0].id == 7', o).ok).toBe(true);
    expect(evaluateCondition('[BODY].data[1].id >= 8', o).ok).toBe(true);
    expect(evaluateCondition('[BODY].nested.ok == true', o).ok).toBe(true);
    expect(evaluateCondition('len([BODY].data) == 2', o)).toEqual({ ok: true, description: 'len([BODY].data) (2) == 2' });
    expect(evaluateCondition('[BODY].missing == x', o)).toEqual({ ok: false, description: '[BODY].missing (n/a) == x' });
    // A missing value satisfies nothing, not even !=.
    expect(evaluateCondition('[BODY].missing != x', o).ok).toBe(false);
    expect(evaluateCondition('[BODY].status == UP', obs({ body: 'not json' })).ok).toBe(false);
  });

  it('supports pat() and any()', () => {
    expect(evaluateCondition('[BODY] == pat(*healthy*)', obs({ body: 'all healthy here' })).ok).toBe(true);
    expect(evaluateCondition('[BODY] == pat(*healthy*)', obs({ body: 'sick' })).ok).toBe(false);
    expect(evaluateCondition('[BODY] != pat(*error*)', obs({ body: 'fine' })).ok).toBe(true);
    expect(evaluateCondition('[IP] == pat(10.0.?.*)', obs({ ip: '10.0.3.4' })).ok).toBe(true);
    expect(evaluateCondition('[STATUS] == any(200, 204)', obs({ status: 204 })).ok).toBe(true);
    expect(evaluateCondition('[STATUS] == any(200, 204)', obs({ status: 201 })).ok).toBe(false);
    // Regex characters in a pattern are literal.
    expect(evaluateCondition('[BODY] == pat(a.c)', obs({ body: 'abc' })).ok).toBe(false);
  });

  it('compares times in milliseconds or durations', () => {
    expect(evaluateCondition('[RESPONSE_TIME] < 300', obs({ responseTimeMs: 120 }))).toEqual({
      ok: true,
      description: '[RESPONSE_TIME] (120) < 300',
    });
    expect(evaluateCondition('[RESPONSE_TIME] < 1s', obs({ responseTimeMs: 1500 })).ok).toBe(false);
    const fiveDays = obs({ certificateExpiresInMs: 5 * 86_400_000 });
    expect(evaluateCondition('[CERTIFICATE_EXPIRATION] > 72h', fiveDays)).toEqual({
      ok: true,
      description: '[CERTIFICATE_EXPIRATION] (5d) > 72h',
    });
    expect(evaluateCondition('[CERTIFICATE_EXPIRATION] > 30d', fiveDays).ok).toBe(false);
    expect(evaluateCondition('[CERTIFICATE_EXPIRATION] > 72h', obs()).ok).toBe(false);
  });

  it('reads connection, DNS and IP placeholders', () => {
    expect(evaluateCondition('[CONNECTED] == true', obs()).ok).toBe(true);
    expect(evaluateCondition('[CONNECTED] == true', obs({ connected: false }))).toEqual({
      ok: false,
      description: '[CONNECTED] (false) == true',
    });
    expect(evaluateCondition('[DNS_RCODE] == NOERROR', obs({ dnsRcode: 'NXDOMAIN' })).ok).toBe(false);
    expect(evaluateCondition('[IP] == 127.0.0.1', obs({ ip: '127.0.0.1' })).ok).toBe(true);
  });

  it('does not compare non-numbers by order', () => {
    expect(evaluateCondition('[BODY] > 3', obs({ body: 'abc' })).ok).toBe(false);
  });
});
