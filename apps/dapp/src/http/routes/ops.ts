import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { RouteContext } from './context.ts';

/** The service's version: apps/dapp/package.json, one directory above both src/ and dist/. */
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Operations endpoints: unauthenticated, outside /api/v1, never cached. */
export async function opsRoutes(app: FastifyInstance, { runtime }: RouteContext) {
  // Which replica answered, for the console's operations page and for people reading a failover: the host
  // name (the pod's name in Kubernetes) and a random suffix per start, which tells apart two replicas on
  // one host and a restarted one from its predecessor.
  const replica = `${hostname()}-${randomBytes(3).toString('hex')}`;
  // Liveness must not depend on anything outside the process: a database outage should make pods
  // unready, never make Kubernetes restart every replica at once.
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    const readiness = runtime.health.readiness();
    return reply
      .code(readiness.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({ status: readiness.ready ? 'ready' : 'unready', replica, version: VERSION, ...readiness });
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const body = await runtime.metrics.registry.metrics();
    return reply.header('content-type', runtime.metrics.registry.contentType).send(body);
  });
}
