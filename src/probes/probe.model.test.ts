import { describe, expect, it } from 'vitest';
import { ProbeSpec, probeTimings } from './probe.model.ts';

const base = { name: 'api-health', service: 'api', type: 'http', http: { url: 'https://api.example.com/health' } };

function issues(input: unknown): Record<string, string> {
  const r = ProbeSpec.safeParse(input);
  if (r.success) throw new Error('parsed');
  return Object.fromEntries(r.error.issues.map((i) => [i.path.join('.'), i.message]));
}

describe('ProbeSpec', () => {
  it('fills defaults', () => {
    const spec = ProbeSpec.parse({ ...base, conditions: ['[STATUS] == 200'] });
    expect(spec).toMatchObject({ interval: '60s', timeout: '10s', retries: 2, successesBeforeUp: 1 });
    expect(spec.http).toMatchObject({ method: 'GET', followRedirects: true, tlsVerify: true, maxBodyBytes: 1_048_576 });
    expect(probeTimings(spec)).toEqual({ intervalMs: 60_000, timeoutMs: 10_000 });
  });

  it('rejects bad URLs, short intervals and long timeouts with paths', () => {
    expect(issues({ ...base, http: { url: 'not a url' } })).toHaveProperty(['http.url']);
    expect(issues({ ...base, http: { url: 'ftp://example.com' } })).toHaveProperty(['http.url']);
    expect(issues({ ...base, interval: '5s' }).interval).toMatch(/at least 10s/);
    expect(issues({ ...base, interval: 'often' })).toHaveProperty(['interval']);
    expect(issues({ ...base, interval: '10s', timeout: '30s' }).timeout).toMatch(/must not exceed/);
  });

  it('needs the section of its type and no other', () => {
    expect(issues({ name: 'a', service: 'b', type: 'tcp' }).tcp).toMatch(/needs a tcp section/);
    expect(issues({ ...base, tcp: { host: 'x', port: 1 } }).tcp).toMatch(/not allowed/);
    expect(issues({ name: 'a', service: 'b', type: 'tcp', tcp: { host: 'db', port: 70_000 } })).toHaveProperty(['tcp.port']);
    expect(issues({ name: 'a', service: 'b', type: 'dns', dns: { name: 'x', recordType: 'SRV' } })).toHaveProperty([
      'dns.recordType',
    ]);
  });

  it('rejects bad conditions by index', () => {
    const found = issues({ ...base, conditions: ['[STATUS] == 200', '[STATUS] 200', '[NOPE] == 1'] });
    expect(found['conditions.1']).toMatch(/cannot parse/);
    expect(found['conditions.2']).toMatch(/unknown placeholder/);
    expect(found).not.toHaveProperty(['conditions.0']);
  });
});
