import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.ts';

/** Operations endpoints: unauthenticated, outside /api/v1, never cached. */
export async function opsRoutes(app: FastifyInstance, { runtime }: RouteContext) {
  // Liveness must not depend on anything outside the process: a database outage should make pods
  // unready, never make Kubernetes restart every replica at once.
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const readiness = runtime.health.readiness();
    return reply
      .code(readiness.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: readiness.ready ? 'ready' : 'unready', ...readiness });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await runtime.metrics.registry.metrics();
    return reply.header('content-type', runtime.metrics.registry.contentType).send(body);
  });
}
