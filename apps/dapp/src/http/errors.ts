import type { FastifyError, FastifyInstance } from 'fastify';
import { DatabaseUnavailableError } from '../adapters/postgres/database.ts';
import { DomainError, type DomainErrorKind, RefusalError } from '../domain/errors.ts';
import { ObjectStoreUnavailableError } from '../ports/object-store.ts';

/** The one error body of the API: `{"error": {"code": "...", "message": "..."}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export class HttpError extends RefusalError {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  invalid: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rule_violation: 422,
  idempotency_misuse: 422,
};

// Fastify's own error codes that are the client's fault, with the code we expose for each.
const FASTIFY_CLIENT_ERRORS: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length'],
  FST_ERR_BAD_URL: [400, 'bad_url'],
};

/** Seconds a client should wait before retrying after a dependency failure (failovers take a few). */
export const RETRY_AFTER_SECONDS = '2';

export function classify(error: unknown): {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
} {
  const body = (code: string, message: string) => ({ error: { code, message } });
  if (error instanceof HttpError) {
    return { status: error.statusCode, body: body(error.code, error.message), headers: error.headers };
  }
  if (error instanceof DomainError) {
    return { status: STATUS_BY_KIND[error.kind], body: body(error.code, error.message), headers: {} };
  }
  if (error instanceof DatabaseUnavailableError) {
    return {
      status: 503,
      body: body('database_unavailable', 'the database is unavailable; retry shortly'),
      headers: { 'retry-after': RETRY_AFTER_SECONDS },
    };
  }
  if (error instanceof ObjectStoreUnavailableError) {
    return {
      status: 503,
      body: body('object_store_unavailable', 'document storage is unavailable; retry shortly'),
      headers: { 'retry-after': RETRY_AFTER_SECONDS },
    };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    return { status: 400, body: body('validation_failed', fastifyError.message), headers: {} };
  }
  const known = fastifyError.code ? FASTIFY_CLIENT_ERRORS[fastifyError.code] : undefined;
  if (known) return { status: known[0], body: body(known[1], fastifyError.message), headers: {} };
  if ((error as { code?: string }).code === '57014') {
    // statement_timeout: the database is too slow right now, which is a dependency problem, not ours.
    return {
      status: 503,
      body: body('database_timeout', 'the database did not answer in time; retry shortly'),
      headers: { 'retry-after': RETRY_AFTER_SECONDS },
    };
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, body: body('bad_request', fastifyError.message), headers: {} };
  }
  return { status: 500, body: body('internal_error', 'internal error'), headers: {} };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body, headers } = classify(error);
    if (status >= 500) {
      request.log[status === 503 ? 'warn' : 'error']({ err: error }, 'request failed');
    }
    return reply.code(status).headers(headers).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: 'route_not_found', message: `no route ${request.method} ${request.url}` } }),
  );
}
