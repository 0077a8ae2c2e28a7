import type { FastifyInstance, FastifySchema } from 'fastify';
import { ROLES } from '../../domain/identity.ts';
import { errorResponses } from '../schemas.ts';

/**
 * Completes every route's OpenAPI description from what the route already says: the error answers it can
 * give beside its own (schemas.ts errorResponses) and who may call it (`x-roles`, from the route's
 * `roles`; admin always may), which clients read and the authorization matrix test is generated from.
 */
export function registerRouteDescriptions(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const hasBody = route.schema?.body !== undefined || route.config?.streamsBody === true;
    const method = Array.isArray(route.method) ? route.method[0]! : route.method;
    const schema: FastifySchema & { 'x-roles': string[] } = {
      ...route.schema,
      'x-roles': route.config?.roles ? [...new Set(['admin', ...route.config.roles])] : [...ROLES],
      response: { ...errorResponses(method, route.url, hasBody), ...(route.schema?.response as object) },
    };
    route.schema = schema;
  });
}
