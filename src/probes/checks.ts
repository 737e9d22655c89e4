import { ADDRCONFIG, type LookupAddress } from 'node:dns';
import { lookup, Resolver } from 'node:dns/promises';
import { once } from 'node:events';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { Client, type Dispatcher } from 'undici';
import { type Clock, systemClock } from '../core/clock.ts';
import { type Condition, evaluateCondition, type ProbeObservation, parseConditions } from './conditions.ts';
import type {
  CheckResult,
  ConditionResult,
  DnsProbeSpec,
  HttpProbeSpec,
  PhaseTimings,
  ProbeSpec,
  TcpProbeSpec,
  TlsProbeSpec,
} from './probe.model.ts';
import { probeTimings } from './probe.model.ts';

/**
 * Runs one check of a probe against its target. Target failures (refused, reset, timed out,
 * bad certificate, wrong answer) come back as a failed {@link CheckResult}; only a spec that
 * never went through `ProbeSpec` can make this throw.
 *
 * Phase timings use the monotonic `performance.now()`: the Clock stamps *when* a check ran,
 * and a fake clock in tests must not turn durations into zero or nonsense.
 */

export interface CheckOptions {
  clock?: Clock;
  /** Aborts the check early, e.g. on shutdown; the result then carries an error. */
  signal?: AbortSignal;
}

const EXCERPT_BYTES = 1024;
/** TCP replies are only read for `expect`; more than this is never needed to find it. */
const TCP_READ_LIMIT = 65_536;
const MAX_REDIRECTS = 10;

interface Outcome {
  phases: Omit<PhaseTimings, 'totalMs'>;
  observation: Omit<ProbeObservation, 'responseTimeMs'>;
  bodyTruncated?: boolean;
  certificateExpiresAt?: number;
  error?: string;
}

export async function runCheck(spec: ProbeSpec, options: CheckOptions = {}): Promise<CheckResult> {
  const clock = options.clock ?? systemClock;
  const at = clock.now();
  const started = performance.now();
  const { timeoutMs } = probeTimings(spec);
  // An HTTP probe without conditions still fails on error statuses rather than passing on anything.
  const conditions = parseConditions(spec.type === 'http' && spec.conditions.length === 0 ? ['[STATUS] < 400'] : spec.conditions);

  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const reasonOf = (): string => (timeout.aborted ? `timed out after ${spec.timeout}` : 'aborted');

  let outcome: Outcome;
  try {
    outcome = await runByType(spec, signal, at, reasonOf);
  } catch (err) {
    // Defensive: every runner turns target failures into outcomes, but a check never throws.
    outcome = { phases: emptyPhases(), observation: { connected: false }, error: errorMessage(err) };
  }
  const totalMs = round(performance.now() - started);
  const observation: ProbeObservation = {
    ...outcome.observation,
    responseTimeMs: totalMs,
    ...(outcome.certificateExpiresAt !== undefined ? { certificateExpiresInMs: outcome.certificateExpiresAt - at } : {}),
  };
  const conditionResults = evaluateAll(conditions, observation);
  const body = observation.body ?? '';
  const result: CheckResult = {
    ok: outcome.error === undefined && conditionResults.every((c) => c.ok),
    at,
    durationMs: totalMs,
    phases: { ...outcome.phases, totalMs },
    bodyExcerpt: excerpt(body),
    bodyTruncated: outcome.bodyTruncated ?? false,
    conditionResults,
  };
  if (observation.status !== undefined) result.status = observation.status;
  if (outcome.certificateExpiresAt !== undefined) result.certificateExpiresAt = outcome.certificateExpiresAt;
  if (observation.ip !== undefined) result.ip = observation.ip;
  if (observation.dnsRcode !== undefined) result.dnsRcode = observation.dnsRcode;
  if (outcome.error !== undefined) result.error = outcome.error;
  return result;
}

function runByType(spec: ProbeSpec, signal: AbortSignal, at: number, reasonOf: () => string): Promise<Outcome> {
  switch (spec.type) {
    case 'http':
      return runHttp(required(spec.http, 'http'), signal, reasonOf);
    case 'tcp':
      return runTcp(required(spec.tcp, 'tcp'), signal, reasonOf);
    case 'dns':
      return runDns(required(spec.dns, 'dns'), signal, reasonOf);
    case 'tls':
      return runTls(required(spec.tls, 'tls'), signal, at, reasonOf);
    case 'heartbeat':
      // Heartbeats are pushed to Vigil; there is nothing to run.
      return Promise.resolve({
        phases: { dnsMs: 0, connectMs: 0, tlsMs: 0, firstByteMs: 0 },
        observation: { connected: false },
        error: 'a heartbeat is pinged by its job, not run by Vigil',
      });
  }
}

function required<T>(section: T | undefined, name: string): T {
  if (section === undefined) throw new Error(`probe of type ${name} has no ${name} section`);
  return section;
}

function evaluateAll(conditions: Condition[], obs: ProbeObservation): ConditionResult[] {
  return conditions.map((c) => ({ condition: c.text, ...evaluateCondition(c, obs) }));
}

const emptyPhases = (): Outcome['phases'] => ({ dnsMs: 0, connectMs: 0, tlsMs: 0, firstByteMs: 0 });
const round = (ms: number): number => Math.round(ms * 100) / 100;

function excerpt(body: string): string {
  const buf = Buffer.from(body, 'utf8');
  // Cutting mid-character leaves a replacement character at the end, which is fine for display.
  return buf.length <= EXCERPT_BYTES ? body : buf.subarray(0, EXCERPT_BYTES).toString('utf8');
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** When each phase of a connection ended; a phase that never happened has no mark and counts as 0. */
interface PhaseMarks {
  start: number;
  lookup?: number;
  connect?: number;
  secure?: number;
}

function phasesFrom(marks: PhaseMarks, firstByte?: number): Outcome['phases'] {
  const resolved = marks.lookup ?? marks.start;
  const connected = marks.connect ?? resolved;
  const secured = marks.secure ?? connected;
  return {
    dnsMs: round(resolved - marks.start),
    connectMs: round(Math.max(0, connected - resolved)),
    tlsMs: round(Math.max(0, secured - connected)),
    firstByteMs: firstByte === undefined ? 0 : round(Math.max(0, firstByte - secured)),
  };
}

/** Times the socket phases from socket events; a fresh socket per check so every phase happens. */
function socketTimer(socket: net.Socket, start: number) {
  const marks: PhaseMarks = { start };
  socket.once('lookup', () => {
    marks.lookup = performance.now();
  });
  socket.once('connect', () => {
    marks.connect = performance.now();
  });
  socket.once('secureConnect', () => {
    marks.secure = performance.now();
  });
  return { phases: (firstByte?: number) => phasesFrom(marks, firstByte) };
}

function certificateExpiry(socket: tls.TLSSocket): number | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert?.valid_to) return undefined;
  const t = Date.parse(cert.valid_to);
  return Number.isNaN(t) ? undefined : t;
}

async function runHttp(spec: HttpProbeSpec, signal: AbortSignal, reasonOf: () => string): Promise<Outcome> {
  let url = new URL(spec.url);
  let method = spec.method;
  let body = spec.body;
  let certificateExpiresAt: number | undefined;
  for (let hop = 0; ; hop++) {
    const res = await httpOnce(url, method, body, spec, signal, reasonOf);
    certificateExpiresAt ??= res.certificateExpiresAt;
    const location = res.location;
    const status = res.observation.status ?? 0;
    if (!spec.followRedirects || res.error || location === undefined || status < 300 || status >= 400) {
      // The certificate that matters is the one of the URL the probe names, not of a redirect target.
      return { ...res, ...(certificateExpiresAt !== undefined ? { certificateExpiresAt } : {}) };
    }
    if (hop >= MAX_REDIRECTS) return { ...res, error: `more than ${MAX_REDIRECTS} redirects` };
    url = new URL(location, url);
    // As browsers do: 303 (and 301/302 after POST) turn into a GET without a body.
    if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
    }
  }
}

/** The connection one HTTP exchange runs on, as far as it got. */
interface HttpConnection {
  marks: PhaseMarks;
  /** Set once the connector was asked for a socket: there is never a second connection. */
  opened: boolean;
  /** Set when the exchange is over; a lookup finishing after that opens no socket. */
  done: boolean;
  raw?: net.Socket;
  secure?: tls.TLSSocket;
  ip?: string;
  certificateExpiresAt?: number;
}

/**
 * One request on a connection of its own: an undici Client per exchange whose connector does
 * the lookup, the TCP connect and the TLS handshake here, so every check times all three (no
 * pooling, which would hide them and keep dead targets' sockets). The client and the sockets are
 * destroyed before this returns, whatever happened.
 */
async function httpOnce(
  url: URL,
  method: HttpProbeSpec['method'],
  body: string | undefined,
  spec: HttpProbeSpec,
  signal: AbortSignal,
  reasonOf: () => string,
): Promise<Outcome & { location?: string }> {
  const conn: HttpConnection = { marks: { start: performance.now() }, opened: false, done: false };
  const client = new Client(url.origin, {
    connect: (options, callback) => {
      openConnection(url, options.servername ?? undefined, spec.tlsVerify, conn, signal).then(
        (socket) => callback(null, socket),
        (err: Error) => callback(err, null),
      );
    },
    // The check's signal bounds every phase; undici's own timers would only race it.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const outcome = (o: Omit<Outcome, 'phases'> & { location?: string }, firstByte?: number) => ({
    phases: phasesFrom(conn.marks, firstByte),
    ...(conn.certificateExpiresAt !== undefined ? { certificateExpiresAt: conn.certificateExpiresAt } : {}),
    ...o,
  });
  try {
    const res = await exchange(
      client,
      {
        path: `${url.pathname}${url.search}`,
        method,
        headers: requestHeaders(url, spec.headers),
        body: body ?? null,
        // `connection: close`: the connection serves this one request.
        reset: true,
      },
      spec.maxBodyBytes,
      signal,
    );
    const location = res.location;
    const observation: Outcome['observation'] = {
      connected: true,
      status: res.status,
      body: res.body.toString('utf8'),
      ...(conn.ip ? { ip: conn.ip } : {}),
    };
    return outcome({ observation, bodyTruncated: res.truncated, ...(location ? { location } : {}) }, res.firstByte);
  } catch (err) {
    return outcome({
      observation: { connected: conn.marks.connect !== undefined, ...(conn.ip ? { ip: conn.ip } : {}) },
      error: signal.aborted ? reasonOf() : errorMessage(err),
    });
  } finally {
    conn.done = true;
    await client.destroy(EXCHANGE_OVER).catch(ignore);
    // A socket still connecting or in its handshake was never handed to the client.
    conn.secure?.destroy();
    conn.raw?.destroy();
  }
}

/**
 * What the client is destroyed with once an exchange is over. Tearing a socket down reads its
 * error's stack, and formatting a fresh one for every check (undici's default) costs a good share
 * of a check's CPU; this one's stack is formatted once.
 */
const EXCHANGE_OVER = new Error('the check is over');

interface HttpResponse {
  status: number;
  location?: string;
  /** At most `maxBodyBytes`. */
  body: Buffer;
  truncated: boolean;
  /** When the response headers arrived. */
  firstByte: number;
}

/**
 * Sends the request and reads the response, the body up to `maxBodyBytes`. Settles on the signal
 * too, whatever undici is doing then: the caller destroys the client, which ends the rest.
 */
function exchange(
  client: Client,
  options: Dispatcher.DispatchOptions,
  maxBodyBytes: number,
  signal: AbortSignal,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const res: HttpResponse = { status: 0, body: Buffer.alloc(0), truncated: false, firstByte: 0 };
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (err !== undefined) return reject(err);
      res.body = Buffer.concat(chunks);
      resolve(res);
    };
    const onAbort = () => settle(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    client.dispatch(options, {
      // undici tells handlers of this interface from its older one by this hook.
      onRequestStart: ignore,
      onResponseStart(_controller, statusCode, headers) {
        // Informational responses (103 Early Hints) come before the one that counts.
        if (statusCode < 200) return;
        res.firstByte = performance.now();
        res.status = statusCode;
        const location = headerValue(headers.location);
        if (location !== undefined) res.location = location;
      },
      onResponseData(controller, chunk) {
        if (settled) return;
        const room = maxBodyBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          size += room;
          res.truncated = true;
          // Stop reading: the rest of a huge body is never pulled off the socket.
          controller.pause();
          settle();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      },
      onResponseEnd: () => settle(),
      onResponseError: (_controller, err) => settle(err),
    });
  });
}

/** Lookup, TCP connect and TLS handshake, each marked as it ends; the socket goes to undici. */
async function openConnection(
  url: URL,
  servername: string | undefined,
  tlsVerify: boolean,
  conn: HttpConnection,
  signal: AbortSignal,
): Promise<net.Socket> {
  if (conn.opened) throw new Error('connection closed before the response');
  conn.opened = true;
  const isHttps = url.protocol === 'https:';
  // URL keeps the brackets of an IPv6 literal.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : isHttps ? 443 : 80;
  let addresses: LookupAddress[] | undefined;
  if (!net.isIP(host)) {
    // The hints net.connect would use; all addresses so it can still race IPv6 against IPv4.
    try {
      addresses = await lookup(host, { all: true, hints: process.platform === 'win32' ? 0 : ADDRCONFIG });
    } finally {
      // A failed lookup took its time too.
      conn.marks.lookup = performance.now();
    }
    if (conn.done) throw new Error('check ended');
  }
  const raw = net.connect({ host, port, ...(addresses ? { lookup: resolvedLookup(addresses) } : {}) });
  conn.raw = raw;
  await once(raw, 'connect', { signal });
  conn.marks.connect = performance.now();
  conn.ip = raw.remoteAddress;
  // Errors after the hand-over reach undici through its own listeners; this only keeps a late one
  // on a socket being torn down from becoming an uncaught exception.
  raw.on('error', ignore);
  if (!isHttps) return raw;
  const name = servername ?? (net.isIP(host) ? undefined : host);
  const secure = tls.connect({
    socket: raw,
    host,
    // SNI needs a name; IP addresses must not be sent as one.
    ...(name !== undefined ? { servername: name } : {}),
    rejectUnauthorized: tlsVerify,
    ALPNProtocols: ['http/1.1'],
  });
  conn.secure = secure;
  await once(secure, 'secureConnect', { signal });
  conn.marks.secure = performance.now();
  conn.certificateExpiresAt = certificateExpiry(secure);
  secure.on('error', ignore);
  return secure;
}

const ignore = (): void => undefined;

/** Hands net.connect the addresses already looked up, in the shape it asks for. */
function resolvedLookup(addresses: LookupAddress[]): net.LookupFunction {
  return (hostname, options, callback) => {
    const first = addresses[0];
    if (options.all) callback(null, addresses);
    else if (first) callback(null, first.address, first.family);
    else callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '');
  };
}

/** Header names are case-insensitive: a probe's own `User-Agent` replaces the default one. */
function requestHeaders(url: URL, extra: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'Vigil-Probe/1' };
  for (const [name, value] of Object.entries(extra)) headers[name.toLowerCase()] = value;
  if ((url.username || url.password) && headers.authorization === undefined) {
    // Credentials in the URL become basic auth, as node:http does.
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  return headers;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function runTcp(spec: TcpProbeSpec, signal: AbortSignal, reasonOf: () => string): Promise<Outcome> {
  return new Promise((resolve) => {
    const start = performance.now();
    const socket = net.connect({ host: spec.host, port: spec.port });
    const timer = socketTimer(socket, start);
    let connected = false;
    let firstByte: number | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      const observation: Outcome['observation'] = { connected };
      if (socket.remoteAddress) observation.ip = socket.remoteAddress;
      socket.destroy();
      if (chunks.length > 0 || spec.expect !== undefined) observation.body = Buffer.concat(chunks).toString('utf8');
      resolve({ phases: timer.phases(firstByte), observation, ...(error !== undefined ? { error } : {}) });
    };
    const onAbort = () =>
      finish(spec.expect !== undefined && connected ? `${reasonOf()} waiting for "${spec.expect}"` : reasonOf());
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err) => finish(errorMessage(err)));
    socket.once('connect', () => {
      connected = true;
      if (spec.send !== undefined) socket.write(spec.send);
      if (spec.expect === undefined) finish();
    });
    socket.on('data', (chunk: Buffer) => {
      firstByte ??= performance.now();
      chunks.push(chunk.subarray(0, Math.max(0, TCP_READ_LIMIT - size)));
      size += chunk.length;
      const text = Buffer.concat(chunks).toString('utf8');
      if (spec.expect !== undefined && text.includes(spec.expect)) finish();
      else if (size >= TCP_READ_LIMIT) finish(`"${spec.expect}" not found in the first ${TCP_READ_LIMIT} bytes`);
    });
    socket.once('end', () => finish(spec.expect !== undefined ? `connection closed before "${spec.expect}" arrived` : undefined));
  });
}

/** Node's resolver error codes → the DNS response codes operators know. */
const RCODES: Record<string, string> = {
  ENODATA: 'NOERROR',
  ENOTFOUND: 'NXDOMAIN',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  ENOTIMP: 'NOTIMP',
  EFORMERR: 'FORMERR',
};

async function runDns(spec: DnsProbeSpec, signal: AbortSignal, reasonOf: () => string): Promise<Outcome> {
  const start = performance.now();
  // One try: the probe's retries are counted by the scheduler, not hidden inside one check.
  const resolver = new Resolver({ tries: 1 });
  if (spec.server !== undefined) resolver.setServers([spec.server]);
  const onAbort = () => resolver.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  const phases = (): Outcome['phases'] => ({ ...emptyPhases(), dnsMs: round(performance.now() - start) });
  try {
    const answers = await query(resolver, spec);
    const observation: Outcome['observation'] = { connected: true, dnsRcode: 'NOERROR', body: answers.join('\n') };
    if ((spec.recordType === 'A' || spec.recordType === 'AAAA') && answers[0] !== undefined) observation.ip = answers[0];
    const error =
      spec.expect !== undefined && !answers.includes(spec.expect)
        ? `expected answer "${spec.expect}", got ${answers.length ? answers.map((a) => `"${a}"`).join(', ') : 'none'}`
        : undefined;
    return { phases: phases(), observation, ...(error ? { error } : {}) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const rcode = RCODES[code];
    if (rcode === 'NOERROR') {
      const observation = { connected: true, dnsRcode: rcode, body: '' };
      // An empty answer is a valid DNS reply; it only fails when an answer was expected.
      return { phases: phases(), observation, ...(spec.expect ? { error: `expected answer "${spec.expect}", got none` } : {}) };
    }
    if (rcode !== undefined) {
      return { phases: phases(), observation: { connected: true, dnsRcode: rcode }, error: `${spec.name}: ${rcode}` };
    }
    return { phases: phases(), observation: { connected: false }, error: signal.aborted ? reasonOf() : errorMessage(err) };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

async function query(resolver: Resolver, spec: DnsProbeSpec): Promise<string[]> {
  switch (spec.recordType) {
    case 'A':
      return resolver.resolve4(spec.name);
    case 'AAAA':
      return resolver.resolve6(spec.name);
    case 'CNAME':
      return resolver.resolveCname(spec.name);
    case 'NS':
      return resolver.resolveNs(spec.name);
    case 'MX':
      return (await resolver.resolveMx(spec.name)).map((r) => `${r.priority} ${r.exchange}`);
    case 'TXT':
      return (await resolver.resolveTxt(spec.name)).map((parts) => parts.join(''));
  }
}

function runTls(spec: TlsProbeSpec, signal: AbortSignal, at: number, reasonOf: () => string): Promise<Outcome> {
  return new Promise((resolve) => {
    const start = performance.now();
    const socket = tls.connect({
      host: spec.host,
      port: spec.port,
      // SNI needs a name; IP addresses must not be sent as one.
      ...(net.isIP(spec.host) ? {} : { servername: spec.host }),
      rejectUnauthorized: spec.tlsVerify,
    });
    const timer = socketTimer(socket, start);
    let connected = false;
    let settled = false;
    const finish = (o: Omit<Outcome, 'phases' | 'observation'>) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      const observation: Outcome['observation'] = { connected };
      if (socket.remoteAddress) observation.ip = socket.remoteAddress;
      socket.destroy();
      resolve({ phases: timer.phases(), observation, ...o });
    };
    const onAbort = () => finish({ error: reasonOf() });
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      connected = true;
    });
    socket.once('error', (err) => finish({ error: errorMessage(err) }));
    socket.once('secureConnect', () => {
      const expiresAt = certificateExpiry(socket);
      if (expiresAt === undefined) return finish({ error: 'the server sent no certificate' });
      const error = expiresAt <= at ? `certificate expired at ${new Date(expiresAt).toISOString()}` : undefined;
      finish({ certificateExpiresAt: expiresAt, ...(error ? { error } : {}) });
    });
  });
}
