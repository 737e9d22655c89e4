import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { type FieldIssue, VigilError } from '../core/errors.ts';
import { isUniqueViolation } from '../db/database.ts';

/** RFC 9457 problem details, with Vigil's stable `code` and the fields at fault. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  code: string;
  errors?: FieldIssue[];
}

const TITLES: Record<number, string> = {
  400: 'Invalid input',
  401: 'Authentication required',
  403: 'Not allowed',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Unavailable',
};

export function problem(status: number, code: string, detail: string, errors?: FieldIssue[]): Problem {
  const slug = code
    .replace(/^(VIGIL|FST_ERR)_/, '')
    .toLowerCase()
    .replaceAll('_', '-');
  return {
    type: `https://vigil.dev/problems/${slug}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors && errors.length > 0 ? { errors } : {}),
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, p: Problem): FastifyReply {
  return reply
    .status(p.status)
    .type('application/problem+json')
    .send(JSON.stringify({ ...p, instance: request.url }));
}

/** Converts anything thrown into a problem. 5xx problems never carry internals. */
export function toProblem(error: unknown): Problem {
  if (error instanceof VigilError) return problem(error.status, error.code, error.message, error.issues);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as { validationContext?: string }).validationContext ?? 'body';
    const issues = error.validation.map((v) => {
      const path = [where, ...v.instancePath.split('/').filter(Boolean)].join('.');
      const keys = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: string[] } | undefined)?.keys : undefined;
      return keys?.length
        ? { path: `${path}.${keys[0]}`, message: `unknown field${keys.length > 1 ? 's' : ''}: ${keys.join(', ')}` }
        : { path, message: v.message ?? 'invalid' };
    });
    return problem(400, 'VIGIL_INVALID_INPUT', issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
  }
  if (isUniqueViolation(error)) {
    // Two writers raced for the same name; the loser gets what a pre-check would have said.
    return problem(409, 'VIGIL_CONFLICT', 'A concurrent change created the same object first; retry to see it');
  }
  if (isResponseSerializationError(error)) {
    return problem(500, 'VIGIL_INTERNAL', 'The server produced an invalid response');
  }
  const fe = error as Partial<FastifyError> & { status?: number };
  const status = fe.statusCode ?? fe.status ?? 500;
  if (status >= 500) return problem(500, 'VIGIL_INTERNAL', 'Internal error; the server log has the details');
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem(400, 'VIGIL_MALFORMED_JSON', `Malformed JSON: ${fe.message ?? ''}`, [
        { path: 'body', message: 'not valid JSON' },
      ]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, 'VIGIL_MALFORMED_JSON', 'The body is empty but its content type says JSON', [
        { path: 'body', message: 'empty' },
      ]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, 'VIGIL_PAYLOAD_TOO_LARGE', 'The body exceeds the size limit', [{ path: 'body', message: 'too large' }]);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, 'VIGIL_UNSUPPORTED_MEDIA_TYPE', fe.message ?? 'Unsupported media type', [
        { path: 'headers.content-type', message: 'unsupported' },
      ]);
    default:
      return problem(status, fe.code ?? 'VIGIL_BAD_REQUEST', fe.message ?? 'Bad request');
  }
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const p = toProblem(error);
    if (p.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.debug({ err: error, code: p.code }, 'request rejected');
    return sendProblem(reply, request, p);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, problem(404, 'VIGIL_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
