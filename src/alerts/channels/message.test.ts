import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './http.ts';
import { actionLinks, clip, oneLine, renderText, renderTitle } from './message.ts';
import { sampleAlert, sampleNotification } from './testing.ts';

describe('renderTitle', () => {
  it('names the change, the service, the summary and the severity of one alert', () => {
    expect(renderTitle(sampleNotification())).toBe('[TRIGGERED] checkout: Error rate 5% (critical)');
    expect(renderTitle(sampleNotification({ kind: 'alert.resolved', alerts: [sampleAlert({ status: 'resolved' })] }))).toBe(
      '[RESOLVED] checkout: Error rate 5% (critical)',
    );
    expect(renderTitle(sampleNotification({ kind: 'alert.escalated' }))).toMatch(/^\[ESCALATED\] /);
  });

  it('counts a group and gives its worst severity', () => {
    const alerts = [
      sampleAlert({ id: 'a', severity: 'warning' }),
      sampleAlert({ id: 'b', severity: 'error' }),
      sampleAlert({ id: 'c', severity: 'info' }),
    ];
    expect(renderTitle(sampleNotification({ alerts }))).toBe('[TRIGGERED] 3 alerts on checkout (error)');
    const services = ['a', 'b', 'c', 'd'].map((s) => sampleAlert({ service: s }));
    expect(renderTitle(sampleNotification({ alerts: services.slice(0, 2) }))).toBe('[TRIGGERED] 2 alerts on a, b (critical)');
    expect(renderTitle(sampleNotification({ alerts: services }))).toBe('[TRIGGERED] 4 alerts on 4 services (critical)');
  });

  it('stays on one line and within bounds', () => {
    const title = renderTitle(
      sampleNotification({ alerts: [sampleAlert({ summary: `line one\r\nSubject: forged\n${'x'.repeat(500)}` })] }),
    );
    expect(title).not.toMatch(/[\r\n]/);
    expect(title.length).toBeLessThanOrEqual(200);
    expect(title.endsWith('… (critical)')).toBe(true);
    expect(renderTitle(sampleNotification({ kind: 'test', alerts: [] }))).toBe('[TEST] Vigil test notification');
  });
});

describe('renderText', () => {
  it('lists the facts, details, links and one-click links', () => {
    const text = renderText(sampleNotification());
    expect(text).toBe(
      [
        '[TRIGGERED] checkout: Error rate 5% (critical)',
        '',
        'Error rate 5%',
        '  Severity: critical',
        '  Status: triggered',
        '  Service: checkout',
        '  Source: prometheus',
        '  Since: 2026-01-01T00:00:00.000Z',
        '  errorRate: 0.05',
        '  region: eu-west-1',
        '  Dashboard: https://grafana.example.com/d/checkout',
        '',
        'Acknowledge: https://vigil.example.com/a/ack?t=signed-ack',
        'Resolve: https://vigil.example.com/a/resolve?t=signed-resolve',
        'Open in Vigil: https://vigil.example.com/alerts/alt_01',
        '',
      ].join('\n'),
    );
  });

  it('shows objects in details as JSON and lists at most ten alerts', () => {
    const alerts = Array.from({ length: 12 }, (_, i) =>
      sampleAlert({ id: `a${i}`, summary: `Alert ${i}`, details: { labels: { pod: 'p-1' } } }),
    );
    const text = renderText(sampleNotification({ alerts }));
    expect(text).toContain('  labels: {"pod":"p-1"}');
    expect(text).toContain('Alert 9\n');
    expect(text).not.toContain('Alert 10\n');
    expect(text).toContain('…and 2 more');
  });
});

describe('actionLinks', () => {
  it('offers acknowledge while triggered, resolve until resolved, and only http(s) URLs', () => {
    const actions = (status: 'triggered' | 'acknowledged' | 'resolved') =>
      actionLinks(sampleNotification({ alerts: [sampleAlert({ status })] })).map((a) => a.action);
    expect(actions('triggered')).toEqual(['acknowledge', 'resolve', 'open']);
    expect(actions('acknowledged')).toEqual(['resolve', 'open']);
    expect(actions('resolved')).toEqual(['open']);
    expect(actionLinks(sampleNotification({ urls: { alert: 'javascript:alert(1)', acknowledge: '/relative' } }))).toEqual([]);
  });
});

describe('text helpers', () => {
  it('clips without splitting characters and flattens control characters', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('😀😀😀', 2)).toBe('😀…');
    expect(clip('abc', 3)).toBe('abc');
    expect(oneLine(' a\r\nb\u2028c\td ')).toBe('a b c d');
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
  });
  it('ignores what is neither', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('7.5', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
  });
});
