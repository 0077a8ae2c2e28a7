import { hash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor, Principal, Role } from '../../domain/identity.ts';
import { errors } from '../../errors.ts';
import type { SlidingWindowLimit } from '../../rate-limits.ts';
import type { SessionRecord, SessionStore } from '../../store/sessions.ts';
import type { ApiKeys } from '../../use-cases/api-keys.ts';

/** The console's session cookie (docs/console.md). */
export const SESSION_COOKIE = 'dalp_session';
/** The header a state-changing request made with a session must carry, echoing the session's token. */
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Set when the request was admitted by a console session cookie rather than an API key. */
    session?: SessionRecord & { token: string };
  }
  interface FastifyContextConfig {
    /** Roles allowed to call the route; admin is always allowed. Absent: any authenticated role. */
    roles?: readonly Role[];
    /** The route admits anyone (signing in with a key in the body): no credential is checked. */
    anonymous?: boolean;
  }
}

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
    throw errors.unauthenticated();
  }
  const key = match[1]!;
  // One-shot hash: a third of createHash()'s cost.
  return { header: header!, key, digest: hash('sha256', key, 'base64') };
}

export function actorOf(request: FastifyRequest): Actor {
  return { principalId: request.principal!.id, requestId: request.id };
}

/**
 * Authentication, and its abuse limit: every unknown key costs a database lookup, so a client address
 * that presented more than `failures.limit` unknown or revoked keys in a sliding minute has its keys
 * refused unchecked (429) until it falls below. Only lookups pay for this check (a key verified in the
 * last API_KEY_CACHE_MS does not), and only failures count.
 */
function sameToken(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function registerAuth(
  app: FastifyInstance,
  keys: ApiKeys,
  sessions: SessionStore,
  failures?: SlidingWindowLimit,
): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('session', undefined);

  /** Role check for a verified key; throws the error that refuses the request. */
  const admit = (request: FastifyRequest, principal: Principal | undefined): void => {
    if (!principal) {
      throw errors.invalidApiKey();
    }
    request.principal = principal;
    const roles = request.routeOptions.config.roles;
    if (roles && principal.role !== 'admin' && !roles.includes(principal.role)) {
      throw errors.forbidden(principal.role, roles);
    }
  };

  const lookUp = async (request: FastifyRequest, key: string, digest: string): Promise<void> => {
    if (failures) {
      const verdict = await failures.peek(request.ip);
      if (verdict && !verdict.allowed) throw errors.authFailuresLimited(verdict.retryAfterSeconds);
    }
    const principal = await keys.verify(key, digest);
    if (!principal && failures) await failures.hit(request.ip);
    admit(request, principal);
  };

  /**
   * A console session: looked up in PostgreSQL on every request (no replica remembers it), so a sign-out
   * or a revocation ends it everywhere at once. Any state-changing request must echo the session's CSRF
   * token in X-CSRF-Token: the cookie is sent by the browser on its own, the header only by the console's
   * script, which alone can read the token (same origin; the API sends no CORS headers).
   */
  const admitSession = async (request: FastifyRequest, token: string): Promise<void> => {
    if (failures) {
      const verdict = await failures.peek(request.ip);
      if (verdict && !verdict.allowed) throw errors.authFailuresLimited(verdict.retryAfterSeconds);
    }
    const session = await sessions.find(token);
    if (!session) {
      if (failures) await failures.hit(request.ip);
      throw errors.sessionInvalid();
    }
    if (!SAFE_METHODS.has(request.method) && !sameToken(request.headers[CSRF_HEADER], session.csrfToken)) {
      throw errors.csrfTokenInvalid();
    }
    request.session = { ...session, token };
    admit(request, session.principal);
  };

  // A callback hook, not an async one: a key verified in the last API_KEY_CACHE_MS (nearly every request) is
  // admitted without a promise, which is a measurable share of a cached read.
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      if (request.routeOptions.config.anonymous) {
        done();
        return;
      }
      const header = request.headers.authorization;
      const sessionToken = request.cookies?.[SESSION_COOKIE];
      // An API key, when one is sent, wins: API clients never depend on a cookie a browser may also hold.
      if (header === undefined && sessionToken) {
        admitSession(request, sessionToken).then(() => done(), done);
        return;
      }
      const socket = request.raw.socket as KeyedSocket | null;
      let presented = socket?.[LAST_KEY];
      if (presented === undefined || presented.header !== header) {
        presented = presentedKey(header);
        if (socket) socket[LAST_KEY] = presented;
      }
      const { key, digest } = presented;
      const remembered = keys.remembered(digest);
      if (remembered) {
        admit(request, remembered.principal);
        done();
        return;
      }
      lookUp(request, key, digest).then(() => done(), done);
    } catch (error) {
      done(error as Error);
    }
  });
}
