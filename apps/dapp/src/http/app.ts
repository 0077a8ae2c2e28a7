import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ReadCache } from '../read-cache.ts';
import type { Runtime } from '../runtime.ts';
import { registerAuth } from './auth.ts';
import { HttpError, registerErrorHandling } from './errors.ts';
import { withLazyRequestLoggers } from './request-logger.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { assetRoutes } from './routes/assets.ts';
import type { RouteContext } from './routes/context.ts';
import { documentRoutes } from './routes/documents.ts';
import { investorRoutes } from './routes/investors.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { opsRoutes } from './routes/ops.ts';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Logger options: JSON lines, a request id on every line, credentials never written. */
export function loggerOptions(level: string) {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        '*.password',
        '*.key',
      ],
      censor: '[redacted]',
    },
  };
}

export async function buildApp(runtime: Runtime, logger: FastifyBaseLogger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: withLazyRequestLoggers(logger),
    // Keep a caller's request id when it looks like one, so logs correlate across the load balancer.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  // Both hooks are callback-style: they never wait for anything, and an async hook costs every request a
  // promise chain. The request id header is set as the request starts (earlier than onSend): replies of
  // every kind carry it, error replies included (Fastify resets only the content headers on errors).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });

  const { httpDuration } = runtime.metrics;
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpDuration.labels(request.method, route, String(reply.statusCode)).observe(reply.elapsedTime / 1000);
    done();
  });

  registerErrorHandling(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'DALP asset API',
        version: '1',
        description:
          'Digital assets, investors, a double-entry ledger with idempotent writes, and documents. ' +
          'Errors are {"error": {"code", "message"}}.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  const context: RouteContext = {
    runtime,
    reads: new ReadCache(runtime.cache, runtime.config.cache.ttlSeconds),
  };
  await app.register(opsRoutes, context);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const rateLimit = runtime.config.rateLimitPerMinute;
  await app.register(
    async (api) => {
      // The API speaks JSON only (documents install their own parser); text bodies are a 415, not a 400.
      api.removeContentTypeParser('text/plain');
      registerAuth(
        api,
        runtime.stores.apiKeys,
        rateLimit > 0
          ? async (principal) => {
              const window = Math.floor(Date.now() / 60_000);
              const count = await runtime.cache.increment(`rl:${principal.id}:${window}`, 60);
              if (count !== undefined && count > rateLimit) {
                const retryAfter = String(60 - Math.floor((Date.now() / 1000) % 60));
                throw new HttpError(
                  429,
                  'rate_limited',
                  `more than ${rateLimit} requests per minute for this key`,
                  {
                    'retry-after': retryAfter,
                  },
                );
              }
            }
          : undefined,
      );
      await api.register(assetRoutes, context);
      await api.register(investorRoutes, context);
      await api.register(ledgerRoutes, context);
      await api.register(apiKeyRoutes, context);
      await api.register(documentRoutes, context);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
