import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { parseMatchers } from './matchers.ts';
import { parseSilence, type Silence, silencedBy, silenceState } from './silences.ts';

const T0 = Date.UTC(2026, 2, 1, 12);
const HOUR = 3_600_000;

function silence(id: string, matchers: string, startsAt: number, endsAt: number): Silence {
  return { id, matchers: parseMatchers(matchers), startsAt, endsAt, createdBy: 'ana', comment: 'deploy' };
}

function issuesOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error.issues;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('silenceState', () => {
  it('is pending before startsAt, active in [startsAt, endsAt), expired from endsAt', () => {
    const s = { startsAt: T0, endsAt: T0 + HOUR };
    expect(silenceState(s, T0 - 1)).toBe('pending');
    expect(silenceState(s, T0)).toBe('active');
    expect(silenceState(s, T0 + HOUR - 1)).toBe('active');
    expect(silenceState(s, T0 + HOUR)).toBe('expired');
  });

  it('moves only forward in time: pending, then active, then expired', () => {
    const rank = { pending: 0, active: 1, expired: 2 };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer(),
        fc.nat(),
        (start, length, a, step) => {
          const s = { startsAt: start, endsAt: start + length };
          expect(rank[silenceState(s, a)]).toBeLessThanOrEqual(rank[silenceState(s, a + step)]);
        },
      ),
    );
  });
});

describe('silencedBy', () => {
  const silences = [
    silence('s-b', '{service="api", severity=~"warning|info"}', T0, T0 + HOUR),
    silence('s-a', 'service="api"', T0, T0 + 2 * HOUR),
    silence('s-later', 'service="api"', T0 + HOUR, T0 + 3 * HOUR),
    silence('s-web', 'service="web"', T0, T0 + HOUR),
  ];

  it('lists the active silences whose matchers all match, sorted by id', () => {
    expect(silencedBy(silences, { service: 'api', severity: 'warning' }, T0 + 1)).toEqual(['s-a', 's-b']);
    expect(silencedBy(silences, { service: 'api', severity: 'critical' }, T0 + 1)).toEqual(['s-a']);
    expect(silencedBy(silences, { service: 'db' }, T0 + 1)).toEqual([]);
  });

  it('ignores pending and expired silences', () => {
    expect(silencedBy(silences, { service: 'api', severity: 'warning' }, T0 - 1)).toEqual([]);
    expect(silencedBy(silences, { service: 'api', severity: 'warning' }, T0 + HOUR)).toEqual(['s-a', 's-later']);
    expect(silencedBy(silences, { service: 'api' }, T0 + 3 * HOUR)).toEqual([]);
  });
});

describe('parseSilence', () => {
  const valid = {
    id: 'sil-1',
    matchers: ['service="api"', { name: 'severity', value: 'warning|info', isRegex: true }],
    startsAt: T0,
    endsAt: T0 + HOUR,
    createdBy: 'ana',
    comment: 'planned failover',
  };

  it('returns the silence in normal form, from string and API matchers', () => {
    expect(parseSilence(valid, T0)).toEqual({
      id: 'sil-1',
      matchers: [
        { name: 'service', type: '=', value: 'api' },
        { name: 'severity', type: '=~', value: 'warning|info' },
      ],
      startsAt: T0,
      endsAt: T0 + HOUR,
      createdBy: 'ana',
      comment: 'planned failover',
    });
  });

  it('requires a comment, an author and at least one matcher', () => {
    expect(issuesOf(() => parseSilence({ ...valid, comment: '  ' })).map((i) => i.path)).toEqual(['comment']);
    expect(issuesOf(() => parseSilence({ ...valid, createdBy: '' })).map((i) => i.path)).toEqual(['createdBy']);
    expect(issuesOf(() => parseSilence({ ...valid, matchers: [] })).map((i) => i.path)).toEqual(['matchers']);
    expect(issuesOf(() => parseSilence({ ...valid, matchers: ['{}'] }))[0]?.message).toMatch(/at least one matcher/);
  });

  it('requires endsAt after startsAt, and not in the past when now is given', () => {
    expect(issuesOf(() => parseSilence({ ...valid, endsAt: T0 }))).toEqual([
      { path: 'endsAt', message: 'must be after startsAt' },
    ]);
    expect(issuesOf(() => parseSilence({ ...valid, endsAt: T0 - 1 }))[0]?.path).toBe('endsAt');
    expect(issuesOf(() => parseSilence(valid, T0 + HOUR))).toEqual([{ path: 'endsAt', message: 'is in the past' }]);
    expect(parseSilence(valid, T0 + HOUR - 1).id).toBe('sil-1');
  });

  it('refuses silences that would mute every alert, as Alertmanager does', () => {
    for (const matchers of [['x=~".*"'], ['x=""'], ['x=~"a|"', 'y=~".*"'], [{ name: 'x', value: '.*', isRegex: true }]]) {
      const issues = issuesOf(() => parseSilence({ ...valid, matchers }));
      expect(issues).toHaveLength(1);
      expect(issues[0]?.message).toMatch(/must not match the empty string/);
    }
    // One selective matcher is enough; negative matchers count as selective, as in Alertmanager.
    expect(parseSilence({ ...valid, matchers: ['x=~".*"', 'service="api"'] }).matchers).toHaveLength(2);
    expect(parseSilence({ ...valid, matchers: ['env!="dev"'] }).matchers).toHaveLength(1);
  });

  it('names a bad matcher by its index and collects every problem', () => {
    const issues = issuesOf(() =>
      parseSilence({ ...valid, matchers: ['a="1"', 'b=~"("'], comment: '', endsAt: T0 }, undefined, 'silence'),
    );
    expect(issues.map((i) => i.path)).toEqual(['silence.comment']);
    const later = issuesOf(() => parseSilence({ ...valid, matchers: ['a="1"', 'b=~"("'], endsAt: T0 }, undefined, 'silence'));
    expect(later.map((i) => i.path)).toEqual(['silence.matchers[1]', 'silence.endsAt']);
    expect(later[0]?.message).toMatch(/invalid regex/);
  });
});
