import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { runCheck } from './checks.ts';
import { ProbeSpec, type ProbeSpecInput } from './probe.model.ts';

const closers: (() => Promise<void>)[] = [];

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        (server as http.Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

const probe = (input: Partial<ProbeSpecInput> & Pick<ProbeSpecInput, 'type'>): ProbeSpec =>
  ProbeSpec.parse({ name: 'p', service: 'svc', interval: '30s', timeout: '5s', ...input });

/** Bytes the 10 MB handler managed to write before the probe stopped reading. */
let bigBodyWritten = 0;
let httpPort = 0;

beforeAll(async () => {
  const server = http.createServer((req, res) => {
    switch (req.url) {
      case '/ok':
        res.end('hello');
        return;
      case '/error':
        res.statusCode = 500;
        res.end('boom');
        return;
      case '/json':
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ status: 'UP', data: [{ id: 1 }] }));
        return;
      case '/slow':
        setTimeout(() => res.end('late'), 300);
        return;
      case '/hang':
        return;
      case '/hang-body':
        res.write('partial');
        return;
      case '/redirect':
        res.writeHead(302, { location: '/json' });
        res.end();
        return;
      case '/big': {
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let left = 10 * 1024 * 1024;
        bigBodyWritten = 0;
        res.setHeader('content-length', String(left));
        const pump = () => {
          while (left > 0) {
            left -= chunk.length;
            bigBodyWritten += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => {
          left = 0;
        });
        pump();
        return;
      }
      default:
        res.statusCode = 404;
        res.end();
    }
  });
  httpPort = await listen(server);
});

afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});

const url = (path: string) => `http://127.0.0.1:${httpPort}${path}`;

describe('runCheck http', () => {
  it('passes on 200 and records phases, timestamp and excerpt', async () => {
    const clock = new FakeClock('2026-03-01T00:00:00Z');
    const r = await runCheck(probe({ type: 'http', http: { url: url('/ok') }, conditions: ['[STATUS] == 200'] }), { clock });
    expect(r).toMatchObject({
      ok: true,
      at: clock.now(),
      status: 200,
      bodyExcerpt: 'hello',
      bodyTruncated: false,
      ip: '127.0.0.1',
    });
    expect(r.error).toBeUndefined();
    expect(r.phases.totalMs).toBeGreaterThan(0);
    expect(r.phases.dnsMs).toBe(0);
    expect(r.conditionResults).toEqual([{ condition: '[STATUS] == 200', ok: true, description: '[STATUS] (200) == 200' }]);
  });

  it('fails on 500 with the actual status in the description', async () => {
    const r = await runCheck(probe({ type: 'http', http: { url: url('/error') }, conditions: ['[STATUS] == 200'] }));
    expect(r.ok).toBe(false);
    expect(r.status).toBe(500);
    expect(r.conditionResults[0]?.description).toBe('[STATUS] (500) == 200');
  });

  it('fails on an error status when no conditions are given', async () => {
    const r = await runCheck(probe({ type: 'http', http: { url: url('/error') } }));
    expect(r.ok).toBe(false);
    expect(r.conditionResults[0]?.condition).toBe('[STATUS] < 400');
  });

  it('evaluates JSON paths and follows redirects', async () => {
    const conditions = ['[BODY].status == UP', '[BODY].data[0].id == 1'];
    const r = await runCheck(probe({ type: 'http', http: { url: url('/redirect') }, conditions }));
    expect(r.ok).toBe(true);
    const noFollow = await runCheck(probe({ type: 'http', http: { url: url('/redirect'), followRedirects: false }, conditions }));
    expect(noFollow.status).toBe(302);
    expect(noFollow.ok).toBe(false);
  });

  it('fails a response-time condition on a slow server', async () => {
    const r = await runCheck(probe({ type: 'http', http: { url: url('/slow') }, conditions: ['[RESPONSE_TIME] < 100'] }));
    expect(r.ok).toBe(false);
    expect(r.status).toBe(200);
    expect(r.durationMs).toBeGreaterThanOrEqual(250);
    expect(r.conditionResults[0]?.description).toMatch(/^\[RESPONSE_TIME\] \(\d+(\.\d+)?\) < 100$/);
  });

  it('times out on a hanging server', async () => {
    const started = Date.now();
    const r = await runCheck(probe({ type: 'http', timeout: '500ms', http: { url: url('/hang') } }));
    const elapsed = Date.now() - started;
    expect(r.ok).toBe(false);
    expect(r.error).toBe('timed out after 500ms');
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(3_000);
  });

  it('times out on a server that stalls mid-body', async () => {
    const r = await runCheck(probe({ type: 'http', timeout: '300ms', http: { url: url('/hang-body') } }));
    expect(r).toMatchObject({ ok: false, error: 'timed out after 300ms' });
  });

  it('stops an in-flight check when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const r = await runCheck(probe({ type: 'http', http: { url: url('/hang') } }), { signal: controller.signal });
    expect(r).toMatchObject({ ok: false, error: 'aborted' });
  });

  it('stops reading a 10 MB body at the limit', async () => {
    const r = await runCheck(
      probe({ type: 'http', http: { url: url('/big'), maxBodyBytes: 100_000 }, conditions: ['len([BODY]) == 100000'] }),
    );
    expect(r.ok).toBe(true);
    expect(r.bodyTruncated).toBe(true);
    expect(Buffer.byteLength(r.bodyExcerpt)).toBe(1024);
    // Give the server a moment to notice the closed socket; it must not have pushed all 10 MB.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(bigBodyWritten).toBeLessThan(10 * 1024 * 1024);
  });

  it('reports a refused connection as a failed result', async () => {
    const r = await runCheck(probe({ type: 'http', http: { url: 'http://127.0.0.1:1/' } }));
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/ECONNREFUSED/);
  });

  it('sends its own headers and body, a probe header replacing the default whatever its case', async () => {
    const seen: { method?: string; headers?: http.IncomingHttpHeaders; body?: string }[] = [];
    const echo = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        seen.push({ method: req.method, headers: req.headers, body });
        res.end('ok');
      });
    });
    const port = await listen(echo);
    const r = await runCheck(
      probe({
        type: 'http',
        http: {
          url: `http://user:p%40ss@127.0.0.1:${port}/in?q=1`,
          method: 'POST',
          headers: { 'User-Agent': 'custom/2', 'X-Token': 't' },
          body: '{"a":1}',
        },
      }),
    );
    expect(r).toMatchObject({ ok: true, status: 200, bodyExcerpt: 'ok' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      body: '{"a":1}',
      headers: {
        'user-agent': 'custom/2',
        'x-token': 't',
        'content-length': '7',
        connection: 'close',
        authorization: `Basic ${Buffer.from('user:p@ss').toString('base64')}`,
      },
    });
  });

  it('leaves no socket open after a check, a timeout or an abandoned handshake', async () => {
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    // Reads and never answers: a TLS handshake against it stalls. Reading lets it see the probe hang up.
    const mute = net.createServer((socket) => socket.resume().on('error', () => undefined));
    const mutePort = await listen(mute);
    const before = sockets();
    const results = await Promise.all([
      runCheck(probe({ type: 'http', http: { url: url('/ok') } })),
      runCheck(probe({ type: 'http', timeout: '200ms', http: { url: url('/hang') } })),
      runCheck(probe({ type: 'http', timeout: '200ms', http: { url: url('/hang-body') } })),
      runCheck(probe({ type: 'http', timeout: '200ms', http: { url: `https://127.0.0.1:${mutePort}/` } })),
    ]);
    expect(results.map((r) => r.error)).toEqual([
      undefined,
      'timed out after 200ms',
      'timed out after 200ms',
      'timed out after 200ms',
    ]);
    // Both ends of every connection close within a few turns of the event loop.
    for (let i = 0; i < 50 && sockets() > before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sockets()).toBeLessThanOrEqual(before);
  });
});

describe('runCheck https and tls', () => {
  let httpsPort = 0;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-probe-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '5',
        '-subj',
        '/CN=localhost',
        '-keyout',
        'key.pem',
        '-out',
        'cert.pem',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    const server = https.createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => res.end('secure'),
    );
    httpsPort = await listen(server);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes with tlsVerify off and reads the certificate expiry', async () => {
    const conditions = ['[STATUS] == 200', '[CERTIFICATE_EXPIRATION] > 72h'];
    const r = await runCheck(
      probe({ type: 'http', http: { url: `https://localhost:${httpsPort}/`, tlsVerify: false }, conditions }),
    );
    expect(r.ok).toBe(true);
    expect(r.phases.tlsMs).toBeGreaterThan(0);
    expect(r.phases.dnsMs).toBeGreaterThanOrEqual(0);
    const days = ((r.certificateExpiresAt ?? 0) - r.at) / 86_400_000;
    expect(days).toBeGreaterThan(4.9);
    expect(days).toBeLessThanOrEqual(5.01);
  });

  it('fails a 30d expiry condition', async () => {
    const r = await runCheck(
      probe({
        type: 'http',
        http: { url: `https://localhost:${httpsPort}/`, tlsVerify: false },
        conditions: ['[CERTIFICATE_EXPIRATION] > 30d'],
      }),
    );
    expect(r.ok).toBe(false);
    expect(r.conditionResults[0]?.description).toMatch(/^\[CERTIFICATE_EXPIRATION\] \((5d|4d23h59m\d+s)\) > 30d$/);
  });

  it('fails a self-signed certificate when verifying', async () => {
    const r = await runCheck(probe({ type: 'http', http: { url: `https://localhost:${httpsPort}/` } }));
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/self[- ]signed/i);
  });

  it('checks certificate expiry with a TLS probe', async () => {
    const tlsProbe = (conditions: string[]) =>
      probe({ type: 'tls', tls: { host: 'localhost', port: httpsPort, tlsVerify: false }, conditions });
    expect((await runCheck(tlsProbe(['[CERTIFICATE_EXPIRATION] > 72h', '[CONNECTED] == true']))).ok).toBe(true);
    const r = await runCheck(tlsProbe(['[CERTIFICATE_EXPIRATION] > 30d']));
    expect(r.ok).toBe(false);
    expect(r.certificateExpiresAt).toBeGreaterThan(r.at);
  });
});

describe('runCheck tcp', () => {
  let port = 0;

  beforeAll(async () => {
    const server = net.createServer((socket) => {
      socket.on('data', (d) => {
        if (d.toString().startsWith('PING')) socket.write('+PONG\r\n');
      });
      socket.on('error', () => undefined);
    });
    port = await listen(server);
  });

  it('connects', async () => {
    const r = await runCheck(probe({ type: 'tcp', tcp: { host: '127.0.0.1', port }, conditions: ['[CONNECTED] == true'] }));
    expect(r).toMatchObject({ ok: true, ip: '127.0.0.1' });
  });

  it('sends and expects', async () => {
    const ok = await runCheck(probe({ type: 'tcp', tcp: { host: '127.0.0.1', port, send: 'PING\r\n', expect: 'PONG' } }));
    expect(ok.ok).toBe(true);
    expect(ok.bodyExcerpt).toBe('+PONG\r\n');
    const silent = await runCheck(
      probe({ type: 'tcp', timeout: '300ms', tcp: { host: '127.0.0.1', port, send: 'HELLO\r\n', expect: 'PONG' } }),
    );
    expect(silent.ok).toBe(false);
    expect(silent.error).toMatch(/timed out after 300ms waiting for "PONG"/);
  });

  it('reports a refused connection', async () => {
    const closed = net.createServer();
    const freePort = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await runCheck(
      probe({ type: 'tcp', tcp: { host: '127.0.0.1', port: freePort }, conditions: ['[CONNECTED] == true'] }),
    );
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/ECONNREFUSED/);
    expect(r.conditionResults[0]?.description).toBe('[CONNECTED] (false) == true');
  });
});

/** A DNS responder that knows one name: enough to exercise the probe's resolver path. */
function dnsResponder(records: Record<string, string>): dgram.Socket {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let offset = 12;
    const labels: string[] = [];
    for (let len = msg.readUInt8(offset); len > 0; len = msg.readUInt8(offset)) {
      labels.push(msg.subarray(offset + 1, offset + 1 + len).toString('ascii'));
      offset += len + 1;
    }
    offset += 1;
    const qtype = msg.readUInt16BE(offset);
    const question = msg.subarray(12, offset + 4);
    const ip = qtype === 1 ? records[labels.join('.').toLowerCase()] : undefined;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    const known = labels.join('.').toLowerCase() in records;
    // QR, RD, RA; rcode 3 (NXDOMAIN) for unknown names.
    header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(ip ? 1 : 0, 6);
    const parts = [header, question];
    if (ip) {
      const answer = Buffer.alloc(16);
      answer.writeUInt16BE(0xc00c, 0); // pointer to the question's name
      answer.writeUInt16BE(1, 2); // A
      answer.writeUInt16BE(1, 4); // IN
      answer.writeUInt32BE(60, 6); // TTL
      answer.writeUInt16BE(4, 10);
      ip.split('.').forEach((octet, i) => {
        answer.writeUInt8(Number(octet), 12 + i);
      });
      parts.push(answer);
    }
    socket.send(Buffer.concat(parts), rinfo.port, rinfo.address);
  });
  return socket;
}

describe('runCheck dns', () => {
  let server = '';

  beforeAll(async () => {
    const socket = dnsResponder({ 'api.vigil.test': '10.1.2.3' });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    server = `127.0.0.1:${socket.address().port}`;
  });

  it('resolves an A record from a custom server', async () => {
    const r = await runCheck(
      probe({
        type: 'dns',
        dns: { name: 'api.vigil.test', recordType: 'A', server, expect: '10.1.2.3' },
        conditions: ['[DNS_RCODE] == NOERROR', '[IP] == 10.1.2.3'],
      }),
    );
    expect(r).toMatchObject({ ok: true, dnsRcode: 'NOERROR', ip: '10.1.2.3', bodyExcerpt: '10.1.2.3' });
    expect(r.phases.dnsMs).toBeGreaterThan(0);
  });

  it('fails on an unexpected answer and on NXDOMAIN', async () => {
    const wrong = await runCheck(probe({ type: 'dns', dns: { name: 'api.vigil.test', server, expect: '10.9.9.9' } }));
    expect(wrong.ok).toBe(false);
    expect(wrong.error).toBe('expected answer "10.9.9.9", got "10.1.2.3"');
    const missing = await runCheck(
      probe({ type: 'dns', dns: { name: 'nope.vigil.test', server }, conditions: ['[DNS_RCODE] == NOERROR'] }),
    );
    expect(missing).toMatchObject({ ok: false, dnsRcode: 'NXDOMAIN' });
    expect(missing.conditionResults[0]?.description).toBe('[DNS_RCODE] (NXDOMAIN) == NOERROR');
  });

  it('times out against a server that never answers', async () => {
    const mute = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => mute.bind(0, '127.0.0.1', resolve));
    closers.push(() => new Promise<void>((resolve) => mute.close(() => resolve())));
    const started = Date.now();
    const r = await runCheck(
      probe({ type: 'dns', timeout: '500ms', dns: { name: 'api.vigil.test', server: `127.0.0.1:${mute.address().port}` } }),
    );
    expect(r.ok).toBe(false);
    expect(r.error).toBe('timed out after 500ms');
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});
