import type { FastifyInstance } from 'fastify';
import { errors } from '../../errors.ts';

/**
 * HTTP/1.1 requires a Host header (RFC 9112, 3.2). Node enforces it itself, but answers with an empty
 * 400 before Fastify sees the request; Node's check is off (http.requireHostHeader in app.ts) and this
 * hook refuses the request in the API's error shape instead. A callback hook: every request runs it.
 */
export function registerHostRequired(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.raw.httpVersion === '1.1' && !request.headers.host ? errors.hostRequired() : undefined);
  });
}
