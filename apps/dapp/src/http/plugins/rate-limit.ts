import type { FastifyInstance } from 'fastify';
import { errors } from '../../errors.ts';
import type { Cache } from '../../ports/cache.ts';
import { SlidingWindowLimit } from '../../rate-limits.ts';

/**
 * At most `perMinute` requests per API key in any sliding minute, counted in the cache so that every
 * replica shares the count (rate-limits.ts). Runs after authentication (registered after it, in the same
 * scope), so it counts only admitted requests. Without a cache answer the limit is not applied. Off (no
 * hook at all) when 0.
 */
export function registerRateLimit(app: FastifyInstance, cache: Cache, perMinute: number): void {
  if (perMinute <= 0) return;
  const limit = new SlidingWindowLimit(cache, 'rl', perMinute);
  app.addHook('onRequest', async (request) => {
    // The one route without a principal (console sign-in) counts against the client's address.
    const verdict = await limit.hit(request.principal?.id ?? `ip:${request.ip}`);
    if (verdict && !verdict.allowed) throw errors.rateLimited(perMinute, verdict.retryAfterSeconds);
  });
}
