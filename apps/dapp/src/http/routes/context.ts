import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { ReadCache } from '../../read-cache.ts';
import type { Runtime } from '../../runtime.ts';

/** What every route module receives: the running instance and the shared read cache. */
export interface RouteContext {
  runtime: Runtime;
  reads: ReadCache;
}

/** The Fastify instance with TypeBox typing, so handlers see validated, typed bodies and params. */
export function typed(app: FastifyInstance) {
  return app.withTypeProvider<TypeBoxTypeProvider>();
}
