import type { FastifyError } from 'fastify';
import { z } from 'zod';
import { type FieldIssue, UnauthenticatedError } from '../core/errors.ts';
import { problem, sendProblem, toProblem } from '../http/problem.ts';
import type { App } from '../http/types.ts';
import { MAX_EVENT_BYTES, type NormalizedEvent } from './alert.model.ts';
import type { AlertService } from './alert.service.ts';
import { storedConfig } from './integration.config.ts';
import { compileMapping, DEFAULT_WEBHOOK_MAPPING, mapWebhookBody } from './webhook.ts';

/** Events one request may carry (Alertmanager's limit is 10,000 alerts; 512 KB comes first). */
const MAX_EVENTS = 1000;

/**
 * `POST /api/v1/integrations/webhook/{key}`: any JSON object, or a list of them, mapped onto
 * events by the integration's mapping. No other tool's protocol applies here, so errors are
 * Vigil's problem+json; each names the mapping field and its path (`summary: $.alert.title is missing`).
 */
export function registerWebhookIngestRoutes(app: App, deps: { alerts: AlertService }): void {
  const { alerts } = deps;

  app.register(async (ingest) => {
    // Parsed here, so malformed JSON and oversize bodies get a problem that says so, never a 500.
    ingest.removeAllContentTypeParsers();
    ingest.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_EVENT_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    ingest.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
        return sendProblem(
          reply,
          request,
          problem(413, 'VIGIL_PAYLOAD_TOO_LARGE', `The body must be at most ${MAX_EVENT_BYTES / 1024} KB`, [
            { path: 'body', message: 'too large' },
          ]),
        );
      }
      const p = toProblem(error);
      if (p.status < 500) return sendProblem(reply, request, p);
      request.log.error({ err: error }, 'webhook ingestion failed');
      // The sender should retry: nothing was stored.
      reply.header('retry-after', '1');
      return sendProblem(reply, request, problem(503, 'VIGIL_UNAVAILABLE', 'Could not store the events; retry'));
    });

    ingest.post(
      '/api/v1/integrations/webhook/:key',
      {
        config: { access: 'public' },
        schema: {
          tags: ['alerts'],
          summary: 'Generic JSON webhook: any JSON object (or list of them), mapped onto alert events by the integration',
          description:
            "The integration's `config.mapping` says where the summary, severity, dedup key, action and the rest are (JSONPath such as `$.alert.title`). Answers 202 `{status, message, dedup_key}` (or `count` and `dedup_keys` for a list) once the events are stored; 400 problem+json naming the mapping path that failed; 404 for an unknown key; 413 over 512 KB; 429 with Retry-After over the key's rate limit.",
          params: z.strictObject({ key: z.string().min(8).max(200) }),
        },
      },
      async (request, reply) => {
        const integration = await alerts
          .authenticate((request.params as { key: string }).key, 'webhook')
          .catch((error: unknown) => {
            if (error instanceof UnauthenticatedError) return null;
            throw error;
          });
        if (!integration) {
          return sendProblem(reply, request, problem(404, 'VIGIL_NOT_FOUND', 'unknown or revoked webhook integration key'));
        }
        const invalid = (detail: string, errors: FieldIssue[]) =>
          sendProblem(reply, request, problem(400, 'VIGIL_INVALID_INPUT', detail, errors));

        const text = typeof request.body === 'string' ? request.body : '';
        if (text.trim() === '') return invalid('The body is empty; send a JSON object', [{ path: 'body', message: 'empty' }]);
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          return invalid('The body is not valid JSON', [{ path: 'body', message: 'not valid JSON' }]);
        }
        const list = Array.isArray(body);
        const items: unknown[] = Array.isArray(body) ? body : [body];
        if (items.length === 0)
          return invalid('The list is empty; send at least one object', [{ path: 'body', message: 'empty' }]);
        if (items.length > MAX_EVENTS) {
          return invalid(`At most ${MAX_EVENTS} events per request`, [{ path: 'body', message: 'too many events' }]);
        }

        const compiled = compileMapping(storedConfig(integration.config).mapping ?? DEFAULT_WEBHOOK_MAPPING);
        const events: NormalizedEvent[] = [];
        const issues: FieldIssue[] = [];
        for (const [i, item] of items.entries()) {
          const at = list ? `[${i}]` : '';
          if (typeof item !== 'object' || item === null || Array.isArray(item)) {
            issues.push({ path: at || 'body', message: 'is not a JSON object' });
            continue;
          }
          const mapped = mapWebhookBody(item, compiled);
          if ('issues' in mapped) issues.push(...mapped.issues.map((x) => ({ ...x, path: `${at}${at ? '.' : ''}${x.path}` })));
          else events.push(mapped.event);
        }
        if (issues.length > 0) return invalid(issues.map((x) => `${x.path}: ${x.message}`).join('; '), issues);

        const admitted = alerts.admit(integration, events.length);
        if (!admitted.ok) {
          reply.header('retry-after', String(admitted.retryAfterSeconds));
          return sendProblem(
            reply,
            request,
            problem(429, 'VIGIL_RATE_LIMITED', `Over ${integration.rate_limit_per_minute} events per minute for this key`),
          );
        }
        await alerts.submit(integration, events, 'webhook');
        const keys = events.map((e) => e.dedupKey);
        return reply
          .status(202)
          .send(
            list
              ? { status: 'success', message: 'Events processed', count: events.length, dedup_keys: keys }
              : { status: 'success', message: 'Event processed', dedup_key: keys[0] },
          );
      },
    );
  });
}
