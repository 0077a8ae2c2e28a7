import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { SlidingWindowLimit } from '../rate-limits.ts';
import type { Runtime } from '../runtime.ts';
import { registerAuth } from './plugins/auth.ts';
import { registerBodyDeadline } from './plugins/body-deadline.ts';
import { registerCloseWhileDraining } from './plugins/close-while-draining.ts';
import { registerConsole } from './plugins/console.ts';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from './plugins/error-handler.ts';
import { registerHostRequired } from './plugins/host-required.ts';
import { registerRateLimit } from './plugins/rate-limit.ts';
import { registerRequestIdHeader, requestIdOf } from './plugins/request-id.ts';
import { registerRequestMetrics } from './plugins/request-metrics.ts';
import { registerRouteDescriptions } from './plugins/route-descriptions.ts';
import { registerSecurityHeaders } from './plugins/security-headers.ts';
import { registerTextGuard } from './plugins/text-guard.ts';
import { withLazyRequestLoggers } from './request-logger.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { assetRoutes } from './routes/assets.ts';
import type { RouteContext } from './routes/context.ts';
import { documentRoutes } from './routes/documents.ts';
import { investorRoutes } from './routes/investors.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { opsRoutes } from './routes/ops.ts';
import { reconcileRoutes } from './routes/reconcile.ts';
import { sessionRoutes } from './routes/sessions.ts';

// The HTTP edge: cross-cutting concerns are plugins (plugins/, one job each), routes only parse, call a
// use case or a store, and reply (routes/), domain records become API shapes in one place (views.ts).

export async function buildApp(runtime: Runtime, logger: FastifyBaseLogger): Promise<FastifyInstance> {
  const limits = runtime.config.http;
  const app = Fastify({
    loggerInstance: withLazyRequestLoggers(logger),
    genReqId: requestIdOf,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // Every phase a client can hold a connection in is bounded (docs/configuration.md, "HTTP limits"):
    // headers by Node (checked every second, not Node's default 30 s), the body by the body-deadline
    // plugin, the wait for a next request by the keep-alive timeout.
    http: {
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
      // Checked by the host-required plugin, which answers in the API's error shape.
      requireHostHeader: false,
    },
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Whose address request.ip is: the peer's, or behind proxies the client's from X-Forwarded-For.
    trustProxy: runtime.config.trustProxy,
    // Refusals made below the routes answer in the one error shape too (plugins/error-handler.ts).
    clientErrorHandler,
    frameworkErrors: frameworkErrorHandler,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  // Connections above the cap are closed by Node as they are accepted, before a byte is read.
  app.server.maxConnections = limits.maxConnections;
  registerRequestIdHeader(app);
  registerSecurityHeaders(app);
  registerHostRequired(app);
  registerBodyDeadline(app, {
    timeoutMs: limits.bodyTimeoutMs,
    minBytesPerSecond: limits.uploadMinBytesPerSecond,
  });
  registerCloseWhileDraining(app, () => runtime.health.isShuttingDown());
  registerRequestMetrics(app, runtime.metrics.httpDuration);
  registerErrorHandling(app);

  // Parses the console's session cookie (plugins/auth.ts); API clients send none.
  await app.register(cookie);
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

  const { authFailuresPerMinute } = runtime.config;
  const authFailures =
    authFailuresPerMinute > 0
      ? new SlidingWindowLimit(runtime.cache, 'af', authFailuresPerMinute)
      : undefined;
  const context: RouteContext = { runtime, reads: runtime.reads, authFailures };
  await app.register(opsRoutes, context);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (api) => {
      // The API speaks JSON only (documents install their own parser); text bodies are a 415, not a 400.
      api.removeContentTypeParser('text/plain');
      registerRouteDescriptions(api);
      registerAuth(api, runtime.useCases.apiKeys, runtime.stores.sessions, authFailures);
      registerRateLimit(api, runtime.cache, runtime.config.rateLimitPerMinute);
      registerTextGuard(api);
      await api.register(assetRoutes, context);
      await api.register(investorRoutes, context);
      await api.register(ledgerRoutes, context);
      await api.register(apiKeyRoutes, context);
      await api.register(documentRoutes, context);
      await api.register(sessionRoutes, context);
      await api.register(reconcileRoutes, context);
    },
    { prefix: '/api/v1' },
  );
  // The web console: static files, a client of /api/v1 like any other (docs/console.md).
  await registerConsole(app, logger);
  return app;
}
