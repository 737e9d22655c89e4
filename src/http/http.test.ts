import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';

describe.each(['sqlite', 'postgres'] as const)('HTTP basics on %s', (dialect) => {
  let t: TestVigil;
  beforeAll(async () => {
    t = await createTestVigil(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  it('reports liveness and readiness', async () => {
    const health = await t.app.inject({ url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json().status).toBe('ok');
    const ready = await t.app.inject({ url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: true, migrationsPending: 0 } });
  });

  it('exposes Prometheus metrics with request durations by route and the job queue depth', async () => {
    await t.app.inject({ url: '/api/v1/teams', headers: t.as('read') });
    const res = await t.app.inject({ url: '/metrics' });
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/vigil_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/teams"[^}]*status="200"/);
    expect(res.body).toContain('vigil_jobs_pending');
    expect(res.body).toContain('vigil_process_cpu_user_seconds_total');
  });

  it('publishes an OpenAPI 3.1 document generated from the route schemas, and a reference page', async () => {
    const res = await t.app.inject({ url: '/openapi.json' });
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/services', '/api/v1/teams', '/api/v1/journal']));
    expect(doc.paths['/api/v1/tokens'].post.requestBody).toBeDefined();
    const page = await t.app.inject({ url: '/api/docs' });
    expect([200, 302]).toContain(page.statusCode);
  });

  it('answers unknown API paths with problem+json, not the UI', async () => {
    const res = await t.app.inject({ url: '/api/v1/nothing-here', headers: t.as('read') });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 404, code: 'VIGIL_NOT_FOUND', instance: '/api/v1/nothing-here' });
  });
});
