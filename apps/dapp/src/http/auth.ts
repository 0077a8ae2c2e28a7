import { hash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiKeyStore, Principal, Role } from '../store/api-keys.ts';
import type { Actor } from '../store/audit.ts';
import { HttpError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Roles allowed to call the route; admin is always allowed. Absent: any authenticated role. */
    roles?: readonly Role[];
  }
}

/**
 * Verified keys are remembered in-process for a few seconds: a database round trip per request would halve
 * read throughput. The cost is that a revoked key keeps working on a replica for at most AUTH_CACHE_MS.
 */
const AUTH_CACHE_MS = 5000;
const AUTH_CACHE_MAX = 10_000;

/**
 * The last Authorization header seen on a connection and its key's digest. A client sends the same header
 * on every request of a keep-alive connection; remembering its digest on the socket skips parsing and
 * hashing it again (a sha256 was a twentieth of a cached read). The header lives as long as the connection
 * and no longer; which key it is still comes from `verified`, so revocation works as before.
 */
const LAST_KEY = Symbol('dalp.lastApiKey');
interface PresentedKey {
  header: string;
  key: string;
  digest: string;
}
type KeyedSocket = { [LAST_KEY]?: PresentedKey };

function presentedKey(header: string | undefined): PresentedKey {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) {
    throw new HttpError(401, 'unauthenticated', 'send an API key as "Authorization: Bearer <key>"', {
      'www-authenticate': 'Bearer',
    });
  }
  const key = match[1]!;
  // One-shot hash: a third of createHash()'s cost.
  return { header: header!, key, digest: hash('sha256', key, 'base64') };
}

export function actorOf(request: FastifyRequest): Actor {
  return { principalId: request.principal!.id, requestId: request.id };
}

export function registerAuth(
  app: FastifyInstance,
  keys: ApiKeyStore,
  rateLimit?: (principal: Principal) => Promise<void>,
): void {
  const verified = new Map<string, { principal: Principal | undefined; until: number }>();

  app.decorateRequest('principal', undefined);

  /** Role check and rate limit for a verified key; throws the HTTP error that refuses the request. */
  const admit = (request: FastifyRequest, principal: Principal | undefined): Promise<void> | undefined => {
    if (!principal) {
      throw new HttpError(401, 'invalid_api_key', 'the API key is not valid', {
        'www-authenticate': 'Bearer',
      });
    }
    request.principal = principal;
    const roles = request.routeOptions.config.roles;
    if (roles && principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw new HttpError(
        403,
        'forbidden',
        `role ${principal.role} may not do this; it needs one of: admin, ${roles.join(', ')}`,
      );
    }
    return rateLimit?.(principal);
  };

  // A callback hook, not an async one: a key verified in the last AUTH_CACHE_MS (nearly every request) is
  // admitted without a promise, which is a measurable share of a cached read.
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      const header = request.headers.authorization;
      const socket = request.raw.socket as KeyedSocket | null;
      let presented = socket?.[LAST_KEY];
      if (presented === undefined || presented.header !== header) {
        presented = presentedKey(header);
        if (socket) socket[LAST_KEY] = presented;
      }
      const { key, digest } = presented;
      const entry = verified.get(digest);
      const pending =
        entry && entry.until >= Date.now()
          ? admit(request, entry.principal)
          : keys.findByKey(key).then((principal) => {
              if (verified.size >= AUTH_CACHE_MAX) verified.clear();
              verified.set(digest, { principal, until: Date.now() + AUTH_CACHE_MS });
              return admit(request, principal);
            });
      if (pending) pending.then(() => done(), done);
      else done();
    } catch (error) {
      done(error as Error);
    }
  });
}
