import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import type { Severity } from '../alert.model.ts';
import {
  CRITICAL_MUTES_WARNINGS,
  DEFAULT_INHIBIT_RULES,
  type InhibitionAlert,
  type InhibitRule,
  inhibitedBy,
  parseInhibitRules,
} from './inhibition.ts';
import { parseMatchers } from './matchers.ts';

function alert(id: string, service: string | null, severity: Severity, labels: Record<string, string> = {}): InhibitionAlert {
  return { id, service, severity, labels, status: 'triggered' };
}

describe('the default rule: a critical alert mutes its service’s warnings', () => {
  const critical = alert('c1', 'api', 'critical');
  const warning = alert('w1', 'api', 'warning');
  const info = alert('i1', 'api', 'info');
  const otherWarning = alert('w2', 'web', 'warning');
  const error = alert('e1', 'api', 'error');
  const all = [critical, warning, info, otherWarning, error];

  it('mutes warnings and infos of the same service only', () => {
    expect(inhibitedBy(DEFAULT_INHIBIT_RULES, warning, all)).toEqual(['c1']);
    expect(inhibitedBy(DEFAULT_INHIBIT_RULES, info, all)).toEqual(['c1']);
    expect(inhibitedBy(DEFAULT_INHIBIT_RULES, otherWarning, all)).toEqual([]);
    expect(inhibitedBy(DEFAULT_INHIBIT_RULES, error, all)).toEqual([]);
    expect(inhibitedBy(DEFAULT_INHIBIT_RULES, critical, all)).toEqual([]);
  });

  it('ignores resolved sources', () => {
    expect(inhibitedBy(DEFAULT_INHIBIT_RULES, warning, [{ ...critical, status: 'resolved' }])).toEqual([]);
    expect(inhibitedBy(DEFAULT_INHIBIT_RULES, warning, [{ ...critical, status: 'acknowledged' }])).toEqual(['c1']);
  });

  it('lists every source, once, in the order given', () => {
    const second = alert('c2', 'api', 'critical');
    expect(inhibitedBy([CRITICAL_MUTES_WARNINGS, CRITICAL_MUTES_WARNINGS], warning, [second, critical, second])).toEqual([
      'c2',
      'c1',
    ]);
  });

  it('treats a label missing on both sides as equal, as Alertmanager does', () => {
    expect(inhibitedBy(DEFAULT_INHIBIT_RULES, alert('w', null, 'warning'), [alert('c', null, 'critical')])).toEqual(['c']);
    expect(inhibitedBy(DEFAULT_INHIBIT_RULES, alert('w', null, 'warning'), [critical])).toEqual([]);
    // "" and missing are the same value.
    expect(
      inhibitedBy(DEFAULT_INHIBIT_RULES, alert('w', null, 'warning', { service: '' }), [alert('c', null, 'critical')]),
    ).toEqual(['c']);
  });

  it('reads severity and service from the alert’s own fields, not look-alike labels', () => {
    const disguised = alert('w', 'api', 'warning', { severity: 'critical' });
    expect(inhibitedBy(DEFAULT_INHIBIT_RULES, warning, [disguised])).toEqual([]);
  });
});

describe('inhibitedBy', () => {
  const rule = (source: string, target: string, equal: string[] = []): InhibitRule => ({
    sourceMatchers: parseMatchers(source),
    targetMatchers: parseMatchers(target),
    equal,
  });
  const a = (id: string, labels: Record<string, string>): InhibitionAlert => ({ id, labels });

  it('never lets an alert inhibit itself', () => {
    const everything = rule('x=~".*"', 'x=~".*"');
    const only = a('1', { x: 'y' });
    expect(inhibitedBy([everything], only, [only])).toEqual([]);
  });

  it('keeps alerts that fit both sides of a rule from muting each other (excludeTwoSidedMatch)', () => {
    const r = rule('zone="eu"', 'zone="eu"');
    const one = a('1', { zone: 'eu' });
    const two = a('2', { zone: 'eu' });
    expect(inhibitedBy([r], one, [one, two])).toEqual([]);
    expect(inhibitedBy([r], two, [one, two])).toEqual([]);
  });

  it('still lets a one-sided source mute a two-sided target', () => {
    const r = rule('level=~"high|mid"', 'level=~"mid|low"');
    const high = a('h', { level: 'high' });
    const mid = a('m', { level: 'mid' });
    const low = a('l', { level: 'low' });
    expect(inhibitedBy([r], mid, [high, mid, low])).toEqual(['h']);
    expect(inhibitedBy([r], low, [high, mid, low])).toEqual(['h', 'm']);
    expect(inhibitedBy([r], high, [high, mid, low])).toEqual([]);
  });

  it('compares every equal label', () => {
    const r = rule('alertname="NodeDown"', 'alertname="DiskFull"', ['node', 'dc']);
    const down = a('d', { alertname: 'NodeDown', node: 'n1', dc: 'x' });
    expect(inhibitedBy([r], a('t', { alertname: 'DiskFull', node: 'n1', dc: 'x' }), [down])).toEqual(['d']);
    expect(inhibitedBy([r], a('t', { alertname: 'DiskFull', node: 'n1', dc: 'y' }), [down])).toEqual([]);
    expect(inhibitedBy([r], a('t', { alertname: 'DiskFull', node: 'n1' }), [down])).toEqual([]);
  });

  it('returns only alerts that match the source side and agree on equal labels', () => {
    const labels = fc.record({ s: fc.constantFrom('critical', 'warning'), svc: fc.constantFrom('a', 'b', '') });
    fc.assert(
      fc.property(labels, fc.array(labels, { maxLength: 8 }), (targetLabels, sourceLabels) => {
        const target = a('t', targetLabels);
        const sources = sourceLabels.map((l, i) => a(`s${i}`, l));
        const r = rule('s="critical"', 's="warning"', ['svc']);
        const ids = inhibitedBy([r], target, sources);
        for (const id of ids) {
          const src = sources.find((s) => s.id === id);
          expect(src?.labels.s).toBe('critical');
          expect(src?.labels.svc).toBe(targetLabels.svc);
        }
        if (targetLabels.s !== 'warning') expect(ids).toEqual([]);
      }),
    );
  });
});

describe('parseInhibitRules', () => {
  it('reads rules with string or API matchers', () => {
    expect(
      parseInhibitRules([
        {
          name: 'db-down',
          sourceMatchers: ['alertname="DatabaseDown"'],
          targetMatchers: [{ name: 'tier', value: 'app|web', isRegex: true }],
          equal: ['cluster'],
        },
      ]),
    ).toEqual([
      {
        name: 'db-down',
        sourceMatchers: [{ name: 'alertname', type: '=', value: 'DatabaseDown' }],
        targetMatchers: [{ name: 'tier', type: '=~', value: 'app|web' }],
        equal: ['cluster'],
      },
    ]);
  });

  it('names bad matchers and refuses rules that would mute everything', () => {
    try {
      parseInhibitRules([{ sourceMatchers: ['a="1"'], targetMatchers: ['b="2"'] }, { sourceMatchers: ['a=~"("'] }]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).issues.map((i) => i.path)).toEqual([
        'inhibitRules[1].sourceMatchers[0]',
        'inhibitRules[1].targetMatchers',
      ]);
    }
    expect(() => parseInhibitRules({})).toThrow(InputError);
  });
});
