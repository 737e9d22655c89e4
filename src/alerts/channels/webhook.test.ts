import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { parseChannelSpec, type WebhookChannelSpec } from './channel.model.ts';
import { deliver } from './index.ts';
import { type Receiver, sampleNotification, startReceiver } from './testing.ts';
import { signWebhook, verifyWebhookSignature, WEBHOOK_USER_AGENT, webhookPayload } from './webhook.ts';

const SECRET = 'whsec_0123456789abcdef';
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

const channel = (overrides: Partial<WebhookChannelSpec> = {}): WebhookChannelSpec =>
  parseChannelSpec({ type: 'webhook', url: receiver.url(), secret: SECRET, ...overrides }) as WebhookChannelSpec;

describe('signed webhook', () => {
  it('posts the notification as signed JSON with the idempotency key', async () => {
    const n = sampleNotification({ groupKey: 'checkout/errors' });
    const outcome = await deliver(channel({ headers: { authorization: 'Bearer receiver-token' } }), n, { clock });

    expect(outcome).toMatchObject({ ok: true, status: 200, detail: 'HTTP 200: ok' });
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/hook');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toBe(WEBHOOK_USER_AGENT);
    expect(req.headers['idempotency-key']).toBe(n.idempotencyKey);
    expect(req.headers.authorization).toBe('Bearer receiver-token');
    expect(req.headers['x-vigil-timestamp']).toBe(String(clock.now() / 1000));
    expect(req.headers['x-vigil-signature']).toMatch(/^v1=[0-9a-f]{64}$/);

    const body = JSON.parse(req.body);
    expect(body).toEqual({
      version: 1,
      kind: 'alert.triggered',
      idempotencyKey: n.idempotencyKey,
      sentAt: n.sentAt,
      groupKey: 'checkout/errors',
      alerts: n.alerts,
      urls: n.urls,
    });
    expect(body).toEqual(webhookPayload(n));
  });

  it('signs what a receiver can verify, and nothing else passes', async () => {
    await deliver(channel(), sampleNotification(), { clock });
    const req = receiver.requests[0]!;
    const timestamp = req.headers['x-vigil-timestamp'] as string;
    const signature = req.headers['x-vigil-signature'] as string;
    const now = clock.now() + 2_000;

    expect(verifyWebhookSignature(SECRET, timestamp, req.raw, signature, now)).toBe(true);
    expect(verifyWebhookSignature(SECRET, timestamp, req.body, signature, now)).toBe(true);

    const tampered = req.body.replace('Error rate 5%', 'Error rate 0%');
    expect(tampered).not.toBe(req.body);
    expect(verifyWebhookSignature(SECRET, timestamp, tampered, signature, now)).toBe(false);
    expect(verifyWebhookSignature('whsec_another-secret-value', timestamp, req.raw, signature, now)).toBe(false);
    // The timestamp is signed: a fresh one on the captured body does not verify.
    expect(verifyWebhookSignature(SECRET, String(Number(timestamp) + 1), req.raw, signature, now + 1000)).toBe(false);
    // Replays are refused once the tolerance has passed, either way.
    expect(verifyWebhookSignature(SECRET, timestamp, req.raw, signature, clock.now() + 5 * 60_000 + 1000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, req.raw, signature, clock.now() - 6 * 60_000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, req.raw, signature, clock.now() + 60 * 60_000, 2 * 60 * 60_000)).toBe(true);
    // Malformed headers are refusals, not exceptions.
    expect(verifyWebhookSignature(SECRET, timestamp, req.raw, undefined, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, null, req.raw, signature, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, 'yesterday', req.raw, signature, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, req.raw, 'v1=abc', now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, req.raw, signature.replace('v1=', 'v0='), now)).toBe(false);
  });

  it('accepts any of several signatures, for rotating secrets', async () => {
    const body = '{"version":1}';
    const old = signWebhook('whsec_old-secret-0000', 1_700_000_000, body);
    const current = signWebhook(SECRET, 1_700_000_000, body);
    const now = 1_700_000_000_000;
    expect(verifyWebhookSignature(SECRET, '1700000000', body, `${old}, ${current}`, now)).toBe(true);
    expect(verifyWebhookSignature(SECRET, '1700000000', body, old, now)).toBe(false);
  });

  it('signs every attempt at its own time', async () => {
    const n = sampleNotification();
    await deliver(channel(), n, { clock });
    clock.advance(90_000);
    await deliver(channel(), n, { clock });
    const [first, second] = receiver.requests;
    expect(first!.body).toBe(second!.body);
    expect(second!.headers['idempotency-key']).toBe(first!.headers['idempotency-key']);
    expect(Number(second!.headers['x-vigil-timestamp']) - Number(first!.headers['x-vigil-timestamp'])).toBe(90);
  });
});

describe('webhook outcomes', () => {
  it('treats a 404 as a config to fix, not worth retrying', async () => {
    receiver.reply({ status: 404, body: 'no such hook' });
    const outcome = await deliver(channel(), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: false, status: 404, detail: 'HTTP 404: no such hook' });
    expect(outcome).not.toHaveProperty('retryAfterMs');
  });

  it('retries server errors and quotes the first 512 bytes of the answer', async () => {
    receiver.reply({ status: 503, body: `${'x'.repeat(600)}\nTAIL` });
    const outcome = await deliver(channel(), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: true, status: 503 });
    expect(outcome.detail).toBe(`HTTP 503: ${'x'.repeat(512)}`);
  });

  it('honours Retry-After in seconds on a 429', async () => {
    receiver.reply({ status: 429, headers: { 'retry-after': '7' }, body: 'slow down' });
    const outcome = await deliver(channel(), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 7000 });
  });

  it('honours Retry-After as an HTTP date, measured by the clock', async () => {
    const at = new Date(clock.now() + 120_000).toUTCString();
    receiver.reply({ status: 503, headers: { 'retry-after': at } });
    const outcome = await deliver(channel(), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: true, status: 503, retryAfterMs: 120_000, detail: 'HTTP 503' });
  });

  it('does not follow redirects and names where they lead', async () => {
    receiver.reply({ status: 301, headers: { location: 'https://elsewhere.example.com/hook' } });
    const outcome = await deliver(channel(), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: false, status: 301 });
    expect(outcome.detail).toContain('https://elsewhere.example.com/hook');
    expect(receiver.requests).toHaveLength(1);
  });

  it('reports a hanging receiver as retryable once the timeout is over', async () => {
    receiver.reply('hang');
    const started = Date.now();
    const outcome = await deliver(channel(), sampleNotification(), { clock, timeoutMs: 300 });
    const took = Date.now() - started;
    expect(outcome).toMatchObject({ ok: false, retryable: true, detail: 'timed out after 300 ms' });
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(2000);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(250);
  });

  it('reports an abort by the caller as retryable', async () => {
    receiver.reply('hang');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const outcome = await deliver(channel(), sampleNotification(), { clock, timeoutMs: 5000, signal: controller.signal });
    expect(outcome).toMatchObject({ ok: false, retryable: true, detail: 'aborted' });
    const again = await deliver(channel(), sampleNotification(), { clock, signal: controller.signal });
    expect(again).toMatchObject({ ok: false, retryable: true, detail: 'aborted before sending' });
  });

  it('reports a refused connection as retryable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await deliver(channel({ url: `http://127.0.0.1:${port}/hook` }), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(outcome.detail).toMatch(/^connection failed: .*ECONNREFUSED/);
  });

  it('reads no more than 64 KiB of a huge answer', async () => {
    const huge = Buffer.alloc(4 * 1024 * 1024, 'y');
    receiver.reply({ status: 200, body: huge });
    const outcome = await deliver(channel(), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    expect(outcome.detail).toContain('not read to the end');
    expect(outcome.detail.length).toBeLessThan(700);
  });
});
