import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { parseChannelSpec } from './channel.model.ts';
import { deliver } from './index.ts';
import { type CardElement, escapeTeams, type TeamsMessage, type TextRun } from './teams.ts';
import { type Receiver, sampleAlert, sampleNotification, startReceiver } from './testing.ts';

let receiver: Receiver;
const clock = new FakeClock('2026-03-01T12:00:00Z');

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.close());
beforeEach(() => {
  receiver.requests.length = 0;
  // What Workflows webhooks answer.
  receiver.reply({ status: 202 });
});

const teams = () => parseChannelSpec({ type: 'teams', url: receiver.url('/workflows/abc/triggers/manual/run') });

async function sent(n = sampleNotification()): Promise<TeamsMessage> {
  const outcome = await deliver(teams(), n, { clock });
  expect(outcome).toMatchObject({ ok: true, status: 202, detail: 'HTTP 202' });
  return JSON.parse(receiver.requests.at(-1)!.body) as TeamsMessage;
}

/** Every element of the card, containers opened. */
const elements = (body: CardElement[]): CardElement[] =>
  body.flatMap((e) => (e.type === 'Container' ? [e, ...elements(e.items)] : [e]));
const runs = (body: CardElement[]): TextRun[] => elements(body).flatMap((e) => (e.type === 'RichTextBlock' ? e.inlines : []));
const markdownTexts = (body: CardElement[]): string[] =>
  elements(body).flatMap((e) =>
    e.type === 'TextBlock' ? [e.text] : e.type === 'FactSet' ? e.facts.flatMap((f) => [f.title, f.value]) : [],
  );

describe('Teams message', () => {
  it('is an Adaptive Card 1.4 in the attachments envelope', async () => {
    const message = await sent();
    expect(message.type).toBe('message');
    expect(message.attachments).toHaveLength(1);
    const [attachment] = message.attachments;
    expect(attachment.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = attachment.content;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });

    const all = elements(card.body);
    expect(all[0]).toMatchObject({ type: 'Container', style: 'attention' });
    const [title, summary, link] = runs(card.body);
    expect(title).toMatchObject({ text: '[TRIGGERED] checkout: Error rate 5% (critical)', weight: 'Bolder' });
    expect(summary).toMatchObject({ text: 'Error rate 5%', weight: 'Bolder' });
    expect(link).toMatchObject({
      text: 'Dashboard',
      selectAction: { type: 'Action.OpenUrl', url: 'https://grafana.example.com/d/checkout' },
    });

    const facts = all.flatMap((e) => (e.type === 'FactSet' ? e.facts : []));
    expect(facts).toEqual(
      expect.arrayContaining([
        { title: 'Severity', value: 'critical' },
        { title: 'Service', value: 'checkout' },
        { title: 'Source', value: 'prometheus' },
        { title: 'Since', value: '2026-01-01T00:00:00.000Z' },
        { title: 'region', value: 'eu-west-1' },
      ]),
    );

    expect(card.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Acknowledge', url: 'https://vigil.example.com/a/ack?t=signed-ack' },
      { type: 'Action.OpenUrl', title: 'Resolve', url: 'https://vigil.example.com/a/resolve?t=signed-resolve' },
      { type: 'Action.OpenUrl', title: 'Open in Vigil', url: 'https://vigil.example.com/alerts/alt_01' },
    ]);
  });

  it('keeps alert text out of Markdown: literal runs, escaped facts, no unsafe links', async () => {
    const hostile = '<script>alert(1)</script> [click](https://evil.example.com) **now**';
    const alert = sampleAlert({
      summary: hostile,
      source: '_italic_ [x](https://evil.example.com)',
      details: { note: '- not a list', '*key*': '1. not numbered' },
      links: [
        { href: 'javascript:alert(1)', text: 'js' },
        { href: 'https://example.com/runbook', text: 'Runbook [v2]' },
      ],
    });
    const message = await sent(sampleNotification({ alerts: [alert] }));
    const body = message.attachments[0].content.body;
    expect(JSON.stringify(message)).not.toContain('javascript:');
    // TextRuns are shown as they are: Teams reads no Markdown in them.
    expect(runs(body).map((r) => r.text)).toEqual(expect.arrayContaining([hostile, 'Runbook [v2]']));
    expect(runs(body).map((r) => r.text)).not.toContain('js');
    // Where Teams reads Markdown, nothing from the alert can open a link, emphasise or list.
    for (const text of markdownTexts(body)) {
      expect(text).not.toMatch(/(?<!\\)\[[^\]]*(?<!\\)\]\(/);
      expect(text).not.toContain('<script>alert(1)</script> [');
    }
    const facts = elements(body).flatMap((e) => (e.type === 'FactSet' ? e.facts : []));
    expect(facts).toEqual(
      expect.arrayContaining([
        { title: 'Source', value: '\\_italic\\_ \\[x\\](https://evil.example.com)' },
        { title: 'note', value: '\\- not a list' },
        { title: '\\*key\\*', value: '1\\. not numbered' },
      ]),
    );
  });

  it('counts a connector failure reported with a 200 as a failure', async () => {
    receiver.reply({
      status: 200,
      body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId abc',
    });
    const limited = await deliver(teams(), sampleNotification(), { clock });
    expect(limited).toMatchObject({ ok: false, retryable: true, status: 200 });

    receiver.reply({
      status: 200,
      body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413',
    });
    const tooLarge = await deliver(teams(), sampleNotification(), { clock });
    expect(tooLarge).toMatchObject({ ok: false, retryable: false, status: 200 });

    receiver.reply({ status: 200, body: '1' });
    expect(await deliver(teams(), sampleNotification(), { clock })).toMatchObject({
      ok: true,
      status: 200,
      detail: 'HTTP 200: 1',
    });
  });

  it('reports a hanging receiver as retryable within the timeout', async () => {
    receiver.reply('hang');
    const outcome = await deliver(teams(), sampleNotification(), { clock, timeoutMs: 200 });
    expect(outcome).toMatchObject({ ok: false, retryable: true, detail: 'timed out after 200 ms' });
    expect(outcome.durationMs).toBeLessThan(2000);
  });
});

describe('escapeTeams', () => {
  it('leaves plain text alone and escapes list markers only at the start', () => {
    expect(escapeTeams('Error rate 5% on eu-west-1')).toBe('Error rate 5% on eu-west-1');
    expect(escapeTeams('1. first')).toBe('1\\. first');
    expect(escapeTeams('+ plus')).toBe('\\+ plus');
    expect(escapeTeams('a_b*c [d]')).toBe('a\\_b\\*c \\[d\\]');
    expect(escapeTeams('<b>(x)</b>')).toBe('<b>(x)</b>');
  });
});
