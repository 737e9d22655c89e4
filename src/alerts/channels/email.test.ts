import net from 'node:net';
import { SMTPServer, type SMTPServerError } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/clock.ts';
import { type EmailChannelSpec, parseChannelSpec, type SmtpSettings } from './channel.model.ts';
import { messageIdFor } from './email.ts';
import { deliver } from './index.ts';
import { sampleAlert, sampleNotification } from './testing.ts';

interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  user?: string;
  raw: string;
}

const inbox: ReceivedMail[] = [];
/** SMTP reply codes the server answers RCPT TO with, by address. */
let refuseRecipients: Record<string, number> = {};
/** An SMTP reply code the server answers the message data with. */
let refuseData: number | undefined;
let port = 0;
const clock = new FakeClock('2026-03-01T12:00:00Z');

const smtpError = (code: number, message: string): SMTPServerError => Object.assign(new Error(message), { responseCode: code });

const server = new SMTPServer({
  authOptional: true,
  allowInsecureAuth: true,
  // Plain SMTP: the client must not try to upgrade to the built-in test certificate.
  disabledCommands: ['STARTTLS'],
  logger: false,
  onAuth(auth, _session, callback) {
    if (auth.username === 'vigil' && auth.password === 'correct horse') return callback(null, { user: 'vigil' });
    callback(smtpError(535, 'Authentication credentials invalid'));
  },
  onRcptTo(address, _session, callback) {
    const code = refuseRecipients[address.address];
    callback(code ? smtpError(code, `Mailbox ${address.address} unavailable`) : null);
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      if (refuseData) return callback(smtpError(refuseData, 'Try again later'));
      inbox.push({
        mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
        ...(session.user !== undefined ? { user: String(session.user) } : {}),
        raw: Buffer.concat(chunks).toString('utf8'),
      });
      callback(null, 'Queued as 42');
    });
  },
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as net.AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  inbox.length = 0;
  refuseRecipients = {};
  refuseData = undefined;
});

const smtp = (overrides: Partial<SmtpSettings> = {}) => ({
  host: '127.0.0.1',
  port,
  from: 'Vigil <alerts@example.com>',
  ...overrides,
});
/** An email channel; `null` settings leave the SMTP server to the server-wide default. */
const email = (to: string[] = ['oncall@example.com'], settings: object | null = smtp()) =>
  parseChannelSpec({ type: 'email', to, ...(settings ? { smtp: settings } : {}) }) as EmailChannelSpec;

/** The headers of a raw message, unfolded, by lower-case name. */
function headersOf(raw: string): Record<string, string> {
  const head = raw.slice(0, raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
  return Object.fromEntries(
    head.split('\r\n').map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
}

/** The decoded body of the MIME part of the given type. */
function partOf(raw: string, type: 'text/plain' | 'text/html'): string {
  const boundary = /boundary="?([^";\r\n]+)"?/.exec(headersOf(raw)['content-type'] ?? '')?.[1];
  expect(boundary).toBeDefined();
  const part = raw.split(`--${boundary}`).find((p) => new RegExp(`content-type: ${type}`, 'i').test(p));
  expect(part).toBeDefined();
  const headers = headersOf(part!.replace(/^\r\n/, ''));
  const body = part!.slice(part!.indexOf('\r\n\r\n') + 4);
  switch (headers['content-transfer-encoding']) {
    case 'quoted-printable':
      return Buffer.from(
        body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
        'latin1',
      ).toString('utf8');
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

describe('email', () => {
  it('sends the title as subject, the links in both parts and a Message-ID from the idempotency key', async () => {
    const n = sampleNotification({
      urls: {
        alert: 'https://vigil.example.com/alerts/alt_01',
        acknowledge: 'https://vigil.example.com/a/ack?t=signed-ack&sig=abc',
        resolve: 'https://vigil.example.com/a/resolve?t=signed-resolve&sig=def',
      },
    });
    const outcome = await deliver(email(['oncall@example.com', 'lead@example.com']), n, { clock });
    expect(outcome).toMatchObject({ ok: true, status: 250 });
    expect(outcome.detail).toContain('Queued as 42');
    expect(outcome.detail).toContain('accepted 2 of 2');

    expect(inbox).toHaveLength(1);
    const mail = inbox[0]!;
    expect(mail.mailFrom).toBe('alerts@example.com');
    expect(mail.rcptTo).toEqual(['oncall@example.com', 'lead@example.com']);
    const headers = headersOf(mail.raw);
    expect(headers.subject).toBe('[TRIGGERED] checkout: Error rate 5% (critical)');
    expect(headers.from).toBe('Vigil <alerts@example.com>');
    expect(headers.to).toBe('oncall@example.com, lead@example.com');
    expect(headers['message-id']).toBe('<ntf_01HV.attempt-key@example.com>');
    expect(headers['x-vigil-idempotency-key']).toBe(n.idempotencyKey);
    expect(headers['auto-submitted']).toBe('auto-generated');

    const text = partOf(mail.raw, 'text/plain');
    expect(text).toContain('Acknowledge: https://vigil.example.com/a/ack?t=signed-ack&sig=abc');
    expect(text).toContain('Resolve: https://vigil.example.com/a/resolve?t=signed-resolve&sig=def');
    expect(text).toContain('Service: checkout');
    const html = partOf(mail.raw, 'text/html');
    expect(html).toContain('href="https://vigil.example.com/a/ack?t=signed-ack&amp;sig=abc"');
    expect(html).toContain('>Acknowledge</a>');
    expect(html).toContain('href="https://vigil.example.com/alerts/alt_01"');
  });

  it('sends every retry of a delivery with the same Message-ID', async () => {
    const n = sampleNotification({ idempotencyKey: 'delivery:42/slack#1' });
    await deliver(email(), n, { clock });
    await deliver(email(), n, { clock });
    const [first, second] = inbox.map((m) => headersOf(m.raw)['message-id']);
    expect(first).toBe(second);
    expect(first).toMatch(/^<[0-9a-f]{40}@example\.com>$/);
    expect(first).toBe(messageIdFor('delivery:42/slack#1', 'alerts@example.com'));
    expect(headersOf(inbox[0]!.raw)['x-vigil-idempotency-key']).toBe('delivery:42/slack#1');
  });

  it('escapes alert text in the HTML part', async () => {
    const alert = sampleAlert({ summary: '<script>alert("x")</script>', links: [{ href: 'javascript:alert(1)', text: 'run' }] });
    await deliver(email(), sampleNotification({ alerts: [alert] }), { clock });
    const html = partOf(inbox[0]!.raw, 'text/html');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).not.toContain('javascript:');
  });

  it('uses the server-wide SMTP settings for a channel that names none, with credentials', async () => {
    const defaults = parseChannelSpec({
      type: 'email',
      to: ['x@example.com'],
      smtp: smtp({ user: 'vigil', password: 'correct horse', from: 'ops@vigil.example.org' }),
    }) as EmailChannelSpec;
    const outcome = await deliver(email(['oncall@example.com'], null), sampleNotification(), {
      clock,
      smtpDefaults: defaults.smtp!,
    });
    expect(outcome).toMatchObject({ ok: true, status: 250 });
    expect(inbox[0]).toMatchObject({ mailFrom: 'ops@vigil.example.org', user: 'vigil' });
  });

  it('fails without retries when no SMTP server is configured at all', async () => {
    const outcome = await deliver(email(['oncall@example.com'], null), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    expect(outcome.detail).toContain('no SMTP server');
  });

  it('treats a 550 for the recipient as permanent', async () => {
    refuseRecipients = { 'gone@example.com': 550 };
    const outcome = await deliver(email(['gone@example.com']), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: false, status: 550 });
    expect(outcome.detail).toContain('550');
    expect(inbox).toHaveLength(0);
  });

  it('counts a message some recipients accepted as delivered, naming the refused', async () => {
    refuseRecipients = { 'gone@example.com': 550 };
    const outcome = await deliver(email(['oncall@example.com', 'gone@example.com']), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: true, status: 250 });
    expect(outcome.detail).toContain('accepted 1 of 2; refused gone@example.com');
    expect(inbox[0]?.rcptTo).toEqual(['oncall@example.com']);
  });

  it('retries a temporary refusal', async () => {
    refuseData = 451;
    const outcome = await deliver(email(), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: true, status: 451 });
  });

  it('treats wrong credentials as permanent', async () => {
    const outcome = await deliver(
      email(['oncall@example.com'], smtp({ user: 'vigil', password: 'wrong' })),
      sampleNotification(),
      {
        clock,
      },
    );
    expect(outcome).toMatchObject({ ok: false, retryable: false, status: 535 });
  });

  it('retries when nothing listens on the port', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await deliver(email(['oncall@example.com'], smtp({ port: closedPort })), sampleNotification(), { clock });
    expect(outcome).toMatchObject({ ok: false, retryable: true });
    expect(outcome.detail).toMatch(/^connection failed: .*ECONNREFUSED/);
  });

  it('retries a server that never greets, within the timeout', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentPort = (silent.address() as net.AddressInfo).port;
    try {
      const started = Date.now();
      const outcome = await deliver(email(['oncall@example.com'], smtp({ port: silentPort })), sampleNotification(), {
        clock,
        timeoutMs: 300,
      });
      expect(outcome).toMatchObject({ ok: false, retryable: true, detail: 'timed out after 300 ms' });
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
