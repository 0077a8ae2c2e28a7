import type { FastifyInstance } from 'fastify';

/**
 * Headers every answer carries (the answers made below the routes add them in error-handler.ts):
 * `nosniff`, so a browser never runs a JSON error or a document as a script or page of another type.
 * Set as the request starts, so error replies carry them too. HSTS is not set here: the service speaks
 * plain HTTP behind the TLS-terminating ingress or load balancer, which sets it (docs/api.md, "Headers").
 */
export const SECURITY_HEADERS = { 'x-content-type-options': 'nosniff' } as const;

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    done();
  });
}
