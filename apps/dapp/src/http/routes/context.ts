import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SlidingWindowLimit } from '../../rate-limits.ts';
import type { ReadCache } from '../../read-cache.ts';
import type { Runtime } from '../../runtime.ts';

/** What every route module receives: the running instance (its use cases and stores) and the read cache. */
export interface RouteContext {
  runtime: Runtime;
  reads: ReadCache;
  /** Unknown or revoked keys per client address (AUTH_FAILURES_PER_MINUTE); absent when 0. */
  authFailures?: SlidingWindowLimit;
}

/** The Fastify instance with TypeBox typing, so handlers see validated, typed bodies and params. */
export function typed(app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxTypeProvider>();
}

/**
 * Sends JSON text that is already serialised (a cached read) as it is: Fastify does not serialise strings,
 * so a cache hit costs no parse and no second serialisation.
 */
export function sendJsonText(reply: FastifyReply, text: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(text);
}
