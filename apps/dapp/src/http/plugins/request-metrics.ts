import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics.ts';

/** Every response's duration, by method, route template and status (http_request_duration_seconds). */
export function registerRequestMetrics(app: FastifyInstance, httpDuration: Metrics['httpDuration']): void {
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpDuration.labels(request.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
    done();
  });
}
