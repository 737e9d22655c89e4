import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { parseChannelSpec } from './channel.model.ts';
import { deliver } from './index.ts';
import type { SlackBlock, SlackMessage } from './slack.ts';
import { type Receiver, sampleAlert, sampleNotification, startReceiver } from './testing.ts';

let receiver: Receiver;
const clock = new FakeClock('2026-03-01T12:00:00Z');

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.requests.length = 0;
  receiver.reply({ status: 200, body: 'ok' });
});

const slack = () => parseChannelSpec({ type: 'slack', url: receiver.url('/services/T000/B000/XXXX') });

async function sent(n = sampleNotification()): Promise<SlackMessage> {
  const outcome = await deliver(slack(), n, { clock });
  expect(outcome).toMatchObject({ ok: true, status: 200 });
  const req = receiver.requests.at(-1)!;
  expect(req.headers['content-type']).toMatch(/^application\/json/);
  expect(req.headers['user-agent']).toBe('Vigil-Notifier/1');
  return JSON.parse(req.body) as SlackMessage;
}

const ofType = <T extends SlackBlock['type']>(m: SlackMessage, type: T) =>
  m.blocks.filter((b): b is Extract<SlackBlock, { type: T }> => b.type === type);

describe('Slack message', () => {
  it('is Block Kit with a text fallback, the facts and the one-click buttons', async () => {
    const message = await sent();
    expect(message.text).toContain('[TRIGGERED] checkout: Error rate 5% (critical)');
    expect(message.text).toContain('<https://vigil.example.com/a/ack?t=signed-ack|Acknowledge>');

    const [header] = ofType(message, 'header');
    expect(header?.text).toEqual({
      type: 'plain_text',
      text: ':red_circle: [TRIGGERED] checkout: Error rate 5% (critical)',
      emoji: true,
    });

    const [section] = ofType(message, 'section');
    expect(section?.text.text).toBe('*Error rate 5%*');
    const fields = section?.fields?.map((f) => f.text) ?? [];
    expect(fields).toContain('*Severity*\ncritical');
    expect(fields).toContain('*Service*\ncheckout');
    expect(fields).toContain('*Source*\nprometheus');
    expect(fields).toContain('*region*\neu-west-1');
    expect(fields.find((f) => f.startsWith('*Since*'))).toMatch(/<!date\^1767225600\^.*\|2026-01-01T00:00:00.000Z>/);

    const [actions] = ofType(message, 'actions');
    expect(actions?.elements.map((e) => [e.text.text, e.url])).toEqual([
      ['Acknowledge', 'https://vigil.example.com/a/ack?t=signed-ack'],
      ['Resolve', 'https://vigil.example.com/a/resolve?t=signed-resolve'],
      ['Open in Vigil', 'https://vigil.example.com/alerts/alt_01'],
    ]);
    for (const button of actions?.elements ?? []) expect(button.type).toBe('button');

    const contexts = ofType(message, 'context').flatMap((c) => c.elements.map((e) => e.text));
    expect(contexts).toContain('<https://grafana.example.com/d/checkout|Dashboard>');
  });

  it('escapes what Slack would read as markup and drops links that are not http(s)', async () => {
    const alert = sampleAlert({
      summary: '<script>alert(1)</script> & <!channel>',
      service: 'check<out>',
      details: { '<b>': '<img src=x>' },
      links: [
        { href: 'javascript:alert(1)', text: 'click' },
        { href: 'https://example.com/a|b>c', text: 'A <link>' },
      ],
    });
    const message = await sent(sampleNotification({ alerts: [alert] }));
    const raw = JSON.stringify(message);
    expect(raw).not.toContain('<script>');
    expect(raw).not.toContain('<!channel>');
    expect(raw).not.toContain('javascript:');
    expect(raw).not.toContain('<img');
    const [section] = ofType(message, 'section');
    expect(section?.text.text).toBe('*&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;*');
    const contexts = ofType(message, 'context').flatMap((c) => c.elements.map((e) => e.text));
    expect(contexts).toContain('<https://example.com/a%7Cb%3Ec|A &lt;link&gt;>');
  });

  it('offers no acknowledge or resolve on a resolved alert', async () => {
    const message = await sent(sampleNotification({ kind: 'alert.resolved', alerts: [sampleAlert({ status: 'resolved' })] }));
    const [header] = ofType(message, 'header');
    expect(header?.text.text).toBe(':white_check_mark: [RESOLVED] checkout: Error rate 5% (critical)');
    const [actions] = ofType(message, 'actions');
    expect(actions?.elements.map((e) => e.text.text)).toEqual(['Open in Vigil']);
  });

  it('lists a group within Block Kit limits', async () => {
    const alerts = Array.from({ length: 14 }, (_, i) =>
      sampleAlert({
        id: `alt_${i}`,
        summary: `Disk ${i} ${'full '.repeat(1000)}`,
        severity: i === 3 ? 'critical' : 'warning',
        details: Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`k${k}`, 'v'.repeat(5000)])),
      }),
    );
    const message = await sent(sampleNotification({ alerts, groupKey: 'checkout/disk' }));
    const [header] = ofType(message, 'header');
    expect(header?.text.text).toBe(':red_circle: [TRIGGERED] 14 alerts on checkout (critical)');
    expect(ofType(message, 'section')).toHaveLength(10);
    expect(ofType(message, 'context').flatMap((c) => c.elements.map((e) => e.text))).toContain('…and 4 more alerts');
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    for (const section of ofType(message, 'section')) {
      expect(section.text.text.length).toBeLessThanOrEqual(3000);
      expect(section.fields?.length ?? 0).toBeLessThanOrEqual(10);
      for (const field of section.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(2000);
    }
    expect(header!.text.text.length).toBeLessThanOrEqual(150);
  });

  it('reports Slack refusing the message as not worth retrying', async () => {
    receiver.reply({ status: 400, body: 'invalid_blocks' });
    const outcome = await deliver(slack(), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: false, status: 400, detail: 'HTTP 400: invalid_blocks' });
  });

  it('reports a rate limit with its Retry-After', async () => {
    receiver.reply({ status: 429, headers: { 'retry-after': '30' }, body: 'rate_limited' });
    const outcome = await deliver(slack(), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 30_000 });
  });
});
