import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import {
  due,
  flushDue,
  type GroupedAlert,
  type GroupingPolicy,
  type GroupingState,
  type GroupNotification,
  groupKey,
  groupLabels,
  initialGroupingState,
  nextFlush,
  nextFlushAt,
  onAlert,
  parseGroupingPolicy,
} from './grouping.ts';

const S = 1_000;
const M = 60 * S;
const H = 60 * M;
const T0 = Date.UTC(2026, 4, 1, 8);

const policy: GroupingPolicy = { groupBy: ['alertname'], groupWaitMs: 30 * S, groupIntervalMs: 5 * M, repeatIntervalMs: 4 * H };

function fire(id: string, alertname = 'HighLatency', extra: Partial<GroupedAlert> = {}): GroupedAlert {
  return { id, labels: { alertname }, service: 'api', severity: 'warning', status: 'triggered', ...extra };
}
function resolve(a: GroupedAlert): GroupedAlert {
  return { ...a, status: 'resolved' };
}

/** Runs every flush due up to and including `until`, at its own time, all delivered. */
function runUntil(state: GroupingState, until: number, sent: Array<GroupNotification & { at: number }> = []): GroupingState {
  let s = state;
  for (let at = nextFlushAt(s); at !== null && at <= until; at = nextFlushAt(s)) {
    const r = flushDue(s, at);
    for (const n of r.notifications) sent.push({ ...n, at });
    s = r.state;
  }
  return s;
}

describe('groupKey', () => {
  const labels = { alertname: 'HighLatency', service: 'api', env: 'prod' };

  it('keys on the group_by labels the alert has, names sorted', () => {
    expect(groupKey(labels, ['service', 'alertname'], 'route')).toBe('route:{alertname="HighLatency", service="api"}');
    expect(groupKey(labels, ['service', 'team'])).toBe(':{service="api"}');
    expect(groupKey({ service: 'api' }, ['service', 'team'])).toBe(groupKey(labels, ['service', 'team']));
  });

  it("groups by every label with ['...'] and by the route alone with []", () => {
    expect(groupKey(labels, ['...'])).toBe(':{alertname="HighLatency", env="prod", service="api"}');
    expect(groupKey(labels, [], 'service:api')).toBe('service:api:{}');
    expect(groupKey({ other: 'x' }, [], 'service:api')).toBe('service:api:{}');
    expect(groupLabels(labels, [])).toEqual({});
  });

  it('escapes values so that different label sets never share a key', () => {
    expect(groupKey({ a: 'x", b="y' }, ['...'])).not.toBe(groupKey({ a: 'x', b: 'y' }, ['...']));
  });
});

describe('the grouping timeline', () => {
  it('sends the first notification group_wait after the first alert, with everything that arrived meanwhile', () => {
    let s = initialGroupingState('service:api', policy);
    s = onAlert(s, fire('a1'), T0);
    s = onAlert(s, fire('a2'), T0 + 10 * S);
    expect(nextFlushAt(s)).toBe(T0 + 30 * S);
    expect(due(s, T0 + 29 * S)).toEqual([]);
    const [flush] = due(s, T0 + 30 * S);
    expect(flush?.notification).toEqual({
      groupKey: 'service:api:{alertname="HighLatency"}',
      groupLabels: { alertname: 'HighLatency' },
      reason: 'first',
      firing: ['a1', 'a2'],
      newlyFiring: ['a1', 'a2'],
      resolved: [],
    });
  });

  it('batches later changes and sends them at most every group_interval', () => {
    const sent: Array<GroupNotification & { at: number }> = [];
    let s = onAlert(initialGroupingState('r', policy), fire('a1'), T0);
    s = runUntil(s, T0 + 30 * S, sent);
    s = onAlert(s, fire('a2'), T0 + 1 * M);
    s = onAlert(s, fire('a3'), T0 + 2 * M);
    s = runUntil(s, T0 + 5 * M + 29 * S, sent);
    expect(sent).toHaveLength(1);
    s = runUntil(s, T0 + 5 * M + 30 * S, sent);
    expect(sent.map((n) => [n.at - T0, n.reason, n.newlyFiring])).toEqual([
      [30 * S, 'first', ['a1']],
      [5 * M + 30 * S, 'new-alerts', ['a2', 'a3']],
    ]);
    expect(sent[1]?.firing).toEqual(['a1', 'a2', 'a3']);
  });

  it('re-notifies an unchanged firing group after repeat_interval, on a flush tick', () => {
    const sent: Array<GroupNotification & { at: number }> = [];
    let s = onAlert(initialGroupingState('r', policy), fire('a1'), T0);
    s = runUntil(s, T0 + 9 * H, sent);
    expect(sent.map((n) => [n.at - T0 - 30 * S, n.reason])).toEqual([
      [0, 'first'],
      [4 * H, 'repeat'],
      [8 * H, 'repeat'],
    ]);
  });

  it('tells of partial resolutions, then sends one resolved notification and drops the group', () => {
    const sent: Array<GroupNotification & { at: number }> = [];
    let s = onAlert(initialGroupingState('r', policy), fire('a1'), T0);
    s = onAlert(s, fire('a2'), T0);
    s = runUntil(s, T0 + 1 * M, sent);
    s = onAlert(s, resolve(fire('a1')), T0 + 2 * M);
    s = runUntil(s, T0 + 6 * M, sent);
    s = onAlert(s, resolve(fire('a2')), T0 + 7 * M);
    s = runUntil(s, T0 + 24 * H, sent);
    expect(sent.map((n) => [n.reason, n.firing, n.resolved])).toEqual([
      ['first', ['a1', 'a2'], []],
      ['resolved-alerts', ['a2'], ['a1']],
      ['all-resolved', [], ['a2']],
    ]);
    expect(s.groups).toEqual({});
    expect(nextFlushAt(s)).toBeNull();
  });

  it('says nothing about an alert that fired and resolved before anyone was told', () => {
    const sent: Array<GroupNotification & { at: number }> = [];
    let s = onAlert(initialGroupingState('r', policy), fire('blip'), T0);
    s = onAlert(s, resolve(fire('blip')), T0 + 5 * S);
    s = runUntil(s, T0 + H, sent);
    expect(sent).toEqual([]);
    expect(s.groups).toEqual({});
  });

  it('ignores a resolution for an alert it never saw, and repeats of the same status', () => {
    const s0 = initialGroupingState('r', policy);
    expect(onAlert(s0, resolve(fire('ghost')), T0)).toBe(s0);
    const s1 = onAlert(s0, fire('a1'), T0);
    expect(onAlert(s1, fire('a1'), T0 + S)).toBe(s1);
  });

  it('flushes a fresh group at once for an alert that started more than group_wait ago', () => {
    const s = onAlert(initialGroupingState('r', policy), fire('old', 'X', { createdAt: T0 - H }), T0);
    expect(nextFlushAt(s)).toBe(T0);
    const recent = onAlert(initialGroupingState('r', policy), fire('new', 'X', { createdAt: T0 - S }), T0);
    expect(nextFlushAt(recent)).toBe(T0 + 30 * S);
  });

  it('moves an alert whose labels changed, reporting it resolved in its old group', () => {
    const sent: Array<GroupNotification & { at: number }> = [];
    let s = onAlert(initialGroupingState('r', policy), fire('a1', 'HighLatency'), T0);
    s = runUntil(s, T0 + M, sent);
    s = onAlert(s, fire('a1', 'ServiceDown'), T0 + 2 * M);
    s = runUntil(s, T0 + 10 * M, sent);
    expect(sent.map((n) => [n.groupLabels.alertname, n.reason, n.firing, n.resolved])).toEqual([
      ['HighLatency', 'first', ['a1'], []],
      ['ServiceDown', 'first', ['a1'], []],
      ['HighLatency', 'all-resolved', [], ['a1']],
    ]);
  });
});

describe('delivery and restarts', () => {
  it('retries an undelivered notification at the next flush, with what changed meanwhile', () => {
    let s = onAlert(initialGroupingState('r', policy), fire('a1'), T0);
    const [first] = due(s, T0 + 30 * S);
    s = nextFlush(s, { ...first!, delivered: false });
    expect(nextFlushAt(s)).toBe(T0 + 30 * S + 5 * M);
    s = onAlert(s, fire('a2'), T0 + M);
    const [retry] = due(s, T0 + 30 * S + 5 * M);
    expect(retry?.notification).toMatchObject({ reason: 'first', newlyFiring: ['a1', 'a2'] });
  });

  it('keeps a resolved alert that fired again while its notification was out', () => {
    let s = onAlert(initialGroupingState('r', policy), fire('a1'), T0);
    s = onAlert(s, fire('a2'), T0);
    s = flushDue(s, T0 + 30 * S).state;
    s = onAlert(s, resolve(fire('a1')), T0 + M);
    const [flush] = due(s, T0 + 5 * M + 30 * S);
    expect(flush?.notification?.resolved).toEqual(['a1']);
    s = onAlert(s, fire('a1'), T0 + 5 * M + 31 * S);
    s = nextFlush(s, { ...flush!, delivered: true });
    const [next] = due(s, T0 + 10 * M + 30 * S);
    expect(next?.notification).toMatchObject({ reason: 'new-alerts', newlyFiring: ['a1'], firing: ['a1', 'a2'] });
  });

  it('reports an alert that resolved while the notification calling it firing was out', () => {
    let s = onAlert(initialGroupingState('r', policy), fire('a1'), T0);
    s = onAlert(s, fire('a2'), T0);
    const [flush] = due(s, T0 + 30 * S);
    expect(flush?.notification?.firing).toEqual(['a1', 'a2']);
    s = onAlert(s, resolve(fire('a1')), T0 + 31 * S);
    s = nextFlush(s, { ...flush!, delivered: true });
    const [next] = due(s, T0 + 5 * M + 30 * S);
    expect(next?.notification).toMatchObject({ reason: 'resolved-alerts', firing: ['a2'], resolved: ['a1'] });
  });

  it('lists due groups earliest first and leaves the state alone', () => {
    let s = onAlert(initialGroupingState('r', policy), fire('b', 'B'), T0 + S);
    s = onAlert(s, fire('a', 'A'), T0 + 2 * S);
    const before = JSON.stringify(s);
    expect(due(s, T0 + H).map((f) => f.groupKey)).toEqual(['r:{alertname="B"}', 'r:{alertname="A"}']);
    expect(JSON.stringify(s)).toBe(before);
    expect(nextFlush(s, { groupKey: 'r:{alertname="gone"}', at: T0, notification: null, delivered: true })).toBe(s);
  });

  it('resumes from JSON after a restart, flushing what fell due during the downtime', () => {
    let s = onAlert(initialGroupingState('r', policy), fire('a1'), T0);
    const restored: GroupingState = JSON.parse(JSON.stringify(s));
    expect(restored).toEqual(s);
    s = restored;
    const { notifications, state } = flushDue(s, T0 + 2 * H);
    expect(notifications.map((n) => n.reason)).toEqual(['first']);
    expect(nextFlushAt(state)).toBe(T0 + 2 * H + 5 * M);
  });
});

describe('grouping never loses an alert', () => {
  const gw = 30 * S;
  const gi = 5 * M;
  const props: GroupingPolicy = { groupBy: ['alertname'], groupWaitMs: gw, groupIntervalMs: gi, repeatIntervalMs: 1 * H };

  /** Each alert fires once at `start` and maybe resolves once, `length` later. */
  const episodes = fc.array(
    fc.record({
      name: fc.constantFrom('A', 'B', 'C'),
      start: fc.integer({ min: 0, max: 3 * H }),
      length: fc.option(fc.integer({ min: 1, max: H }), { nil: null }),
    }),
    { minLength: 1, maxLength: 25 },
  );

  function simulate(list: Array<{ name: string; start: number; length: number | null }>, viaJson: boolean) {
    const events = list
      .flatMap((e, i) => {
        const a = fire(`a${i}`, e.name);
        return [
          { at: T0 + e.start, alert: a },
          ...(e.length === null ? [] : [{ at: T0 + e.start + e.length, alert: resolve(a) }]),
        ];
      })
      .sort((x, y) => x.at - y.at);
    const sent: Array<GroupNotification & { at: number }> = [];
    let s = initialGroupingState('r', props);
    for (const ev of events) {
      s = runUntil(s, ev.at - 1, sent);
      s = onAlert(s, ev.alert, ev.at);
      if (viaJson) s = JSON.parse(JSON.stringify(s));
    }
    const end = T0 + 6 * H;
    s = runUntil(s, end, sent);
    return { sent, state: s, end };
  }

  it('tells of every lasting alert exactly once as new, within group_wait + group_interval', () => {
    fc.assert(
      fc.property(episodes, (list) => {
        const { sent } = simulate(list, false);
        list.forEach((e, i) => {
          const id = `a${i}`;
          const news = sent.filter((n) => n.newlyFiring.includes(id));
          if (e.length === null || e.length > gw + gi) {
            expect(news).toHaveLength(1);
            expect(news[0]!.at - (T0 + e.start)).toBeLessThanOrEqual(gw + gi);
            expect(news[0]!.at).toBeGreaterThanOrEqual(T0 + e.start);
          } else {
            expect(news.length).toBeLessThanOrEqual(1);
          }
        });
      }),
    );
  });

  it('reports a resolution once, and only for alerts it reported firing', () => {
    fc.assert(
      fc.property(episodes, (list) => {
        const { sent } = simulate(list, false);
        list.forEach((e, i) => {
          const id = `a${i}`;
          const told = sent.some((n) => n.newlyFiring.includes(id));
          const resolutions = sent.filter((n) => n.resolved.includes(id));
          expect(resolutions).toHaveLength(e.length !== null && told ? 1 : 0);
          if (resolutions[0] && e.length !== null) {
            expect(resolutions[0].at - (T0 + e.start + e.length)).toBeLessThanOrEqual(gi);
          }
        });
        for (const n of sent) {
          expect(n.firing.filter((id) => n.resolved.includes(id))).toEqual([]);
          expect(n.newlyFiring.every((id) => n.firing.includes(id))).toBe(true);
        }
      }),
    );
  });

  it('keeps only groups with firing alerts once everything has been flushed', () => {
    fc.assert(
      fc.property(episodes, (list) => {
        const { state } = simulate(list, false);
        for (const g of Object.values(state.groups)) {
          expect(Object.values(g.alerts).every((m) => m.firing)).toBe(true);
        }
        const stillFiring = list.filter((e) => e.length === null).length;
        expect(Object.values(state.groups).reduce((n, g) => n + Object.keys(g.alerts).length, 0)).toBe(stillFiring);
      }),
    );
  });

  it('behaves the same when the state goes through JSON after every event', () => {
    fc.assert(
      fc.property(episodes, (list) => {
        expect(simulate(list, true).sent).toEqual(simulate(list, false).sent);
      }),
    );
  });
});

describe('parseGroupingPolicy', () => {
  it("reads durations and defaults to Alertmanager's timings", () => {
    expect(parseGroupingPolicy({})).toEqual({
      groupBy: [],
      groupWaitMs: 30 * S,
      groupIntervalMs: 5 * M,
      repeatIntervalMs: 4 * H,
    });
    expect(parseGroupingPolicy({ groupBy: ['service', 'service'], groupWait: '0s', repeatInterval: '1h30m' })).toMatchObject({
      groupBy: ['service'],
      groupWaitMs: 0,
      repeatIntervalMs: 90 * M,
    });
  });

  it('refuses bad durations and "..." mixed with labels', () => {
    try {
      parseGroupingPolicy({ groupBy: ['...', 'service'], groupInterval: '0s', repeatInterval: 'soon' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).issues.map((i) => i.path)).toEqual([
        'grouping.groupBy',
        'grouping.groupInterval',
        'grouping.repeatInterval',
      ]);
    }
  });
});
