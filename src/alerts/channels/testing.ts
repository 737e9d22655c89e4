import http from 'node:http';
import type net from 'node:net';
import type { Notification, NotificationAlert } from './message.ts';

/**
 * Test helpers for the channels: a real HTTP receiver that records what reaches it and answers
 * as told, and notifications to send to it.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body exactly as received. */
  raw: Buffer;
  body: string;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string | Buffer } | 'hang';

export interface Receiver {
  url(path?: string): string;
  readonly requests: RecordedRequest[];
  /** How the receiver answers from now on; 200 with an empty body until told otherwise. */
  reply(reply: Reply): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const requests: RecordedRequest[] = [];
  let next: Reply = { status: 200 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, body: raw.toString('utf8') });
      const reply = next;
      if (reply === 'hang') return;
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    requests,
    reply(reply) {
      next = reply;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sampleAlert(overrides: Partial<NotificationAlert> = {}): NotificationAlert {
  return {
    id: 'alt_01',
    summary: 'Error rate 5%',
    severity: 'critical',
    status: 'triggered',
    service: 'checkout',
    source: 'prometheus',
    dedupKey: 'checkout-error-rate',
    createdAt: Date.parse('2026-01-01T00:00:00Z'),
    details: { errorRate: 0.05, region: 'eu-west-1' },
    links: [{ href: 'https://grafana.example.com/d/checkout', text: 'Dashboard' }],
    ...overrides,
  };
}

export function sampleNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    idempotencyKey: 'ntf_01HV.attempt-key',
    kind: 'alert.triggered',
    alerts: [sampleAlert()],
    urls: {
      alert: 'https://vigil.example.com/alerts/alt_01',
      acknowledge: 'https://vigil.example.com/a/ack?t=signed-ack',
      resolve: 'https://vigil.example.com/a/resolve?t=signed-resolve',
    },
    sentAt: Date.parse('2026-01-01T00:00:05Z'),
    ...overrides,
  };
}
