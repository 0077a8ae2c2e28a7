import { randomUUID } from 'node:crypto';
import type { FastifyInstance, RawRequestDefaultExpression } from 'fastify';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Keeps a caller's request id when it looks like one, so logs correlate across the load balancer. */
export function requestIdOf(req: RawRequestDefaultExpression): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Echoes the request id in `X-Request-Id`, set as the request starts (earlier than onSend): replies of
 * every kind carry it, error replies included (Fastify resets only the content headers on errors). A
 * callback hook: it never waits for anything, and an async hook costs every request a promise chain.
 */
export function registerRequestIdHeader(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}
