import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ApiError, type ErrorDefinition, errors } from '../../errors.ts';
import { SECURITY_HEADERS } from './security-headers.ts';

/** The one error body of the API: `{"error": {"code": "...", "message": "..."}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

// Fastify's own error codes that are the client's fault, with the catalog entry we answer each with.
const FASTIFY_CLIENT_ERRORS: Record<string, ErrorDefinition> = {
  FST_ERR_CTP_BODY_TOO_LARGE: errors.payloadTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: errors.unsupportedMediaType,
  FST_ERR_CTP_EMPTY_JSON_BODY: errors.invalidJson,
  FST_ERR_CTP_INVALID_JSON_BODY: errors.invalidJson,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: errors.invalidContentLength,
};

/** The catalog error a thrown value is answered with: itself, Fastify's refusal as ours, or a 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) return new ApiError(errors.validationFailed, fastifyError.message);
  const known = fastifyError.code ? FASTIFY_CLIENT_ERRORS[fastifyError.code] : undefined;
  if (known) return new ApiError(known, fastifyError.message);
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return new ApiError(errors.badRequest, fastifyError.message, { status: fastifyError.statusCode });
  }
  return errors.internalError();
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, code, message, headers } = toApiError(error);
    if (status >= 500) {
      request.log[status === 503 ? 'warn' : 'error']({ err: error }, 'request failed');
    }
    return reply
      .code(status)
      .headers(headers)
      .send({ error: { code, message } } satisfies ErrorBody);
  });
  app.setNotFoundHandler((request, reply) => {
    const { code, message } = errors.routeNotFound(request.method);
    return reply.code(404).send({ error: { code, message } } satisfies ErrorBody);
  });
}

/**
 * Fastify's frameworkErrors: a URL its router cannot decode or a path parameter over maxParamLength,
 * refused before any route or hook runs. Without this Fastify answers in its own shape, echoing the URL.
 */
export function frameworkErrorHandler(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  const refusal =
    error.code === 'FST_ERR_BAD_URL'
      ? errors.badUrl()
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? errors.uriTooLong()
        : errors.internalError();
  void reply
    .code(refusal.status)
    .headers({ ...SECURITY_HEADERS, ...refusal.headers })
    .send({ error: { code: refusal.code, message: refusal.message } } satisfies ErrorBody);
}

/** The catalog error of a request Node's HTTP parser refused before Fastify saw it. */
function clientErrorOf(error: NodeJS.ErrnoException): ApiError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errors.requestTimeout('the request headers did not arrive in time');
    case 'HPE_HEADER_OVERFLOW':
      return errors.headersTooLarge();
    default:
      return errors.malformedRequest();
  }
}

/**
 * Fastify's clientErrorHandler: what Node's HTTP parser refuses (headers too slow or too large, a
 * malformed request line, chunk or header) is answered in the one error shape too, never with the
 * request's own text, and the connection is closed (the parser cannot go on reading it).
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = clientErrorOf(error);
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
  // Only before a response has begun on this connection: after, a status line would corrupt it.
  const responding = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !responding?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        Object.entries(SECURITY_HEADERS)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
