import { hash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../errors.ts';
import type { SessionRecord } from '../../store/sessions.ts';
import { SESSION_COOKIE } from '../plugins/auth.ts';
import { ErrorResponse, NoContent, SessionCreate, SessionView } from '../schemas.ts';
import { type RouteContext, typed } from './context.ts';

/** How long a console session lasts from sign-in (docs/console.md). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const sessionView = (session: SessionRecord) => ({
  principal: session.principal,
  csrfToken: session.csrfToken,
  expiresAt: session.expiresAt.toISOString(),
});

/**
 * The cookie's attributes: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
 * Secure when the request came over TLS (request.protocol follows X-Forwarded-Proto behind trusted
 * proxies), so `npm start` on http://localhost still works.
 */
function cookieOptions(request: FastifyRequest) {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: request.protocol === 'https',
  };
}

function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
}

/** Console sign-in: an API key is exchanged for a session kept in PostgreSQL (docs/console.md). */
export async function sessionRoutes(fastify: FastifyInstance, { runtime, authFailures }: RouteContext) {
  const app = typed(fastify);
  const sessions = runtime.stores.sessions;
  const keys = runtime.useCases.apiKeys;

  app.post(
    '/sessions',
    {
      config: { anonymous: true },
      schema: {
        tags: ['sessions'],
        summary: 'Sign in: exchange an API key for a console session cookie',
        description:
          'Sets an HttpOnly, SameSite=Strict cookie (Secure over TLS). Requests made with it that change ' +
          'state must send the returned csrfToken in X-CSRF-Token.',
        security: [],
        body: SessionCreate,
        response: { 201: SessionView, 401: ErrorResponse },
      },
    },
    async (request, reply) => {
      const key = request.body.apiKey;
      // Same lookup (and digest) as a Bearer key; the replica's memory of keys is not consulted, so a
      // just-revoked key never opens a session.
      // Wrong keys count against the client's address as they do with a Bearer header (plugins/auth.ts).
      if (authFailures) {
        const verdict = await authFailures.peek(request.ip);
        if (verdict && !verdict.allowed) throw errors.authFailuresLimited(verdict.retryAfterSeconds);
      }
      const principal = await keys.verify(key, hash('sha256', key, 'base64'));
      if (!principal) {
        if (authFailures) await authFailures.hit(request.ip);
        throw errors.invalidApiKey();
      }
      const session = await sessions.create(principal, SESSION_TTL_MS);
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .setCookie(SESSION_COOKIE, session.token, {
          ...cookieOptions(request),
          maxAge: Math.floor(SESSION_TTL_MS / 1000),
        })
        .send(sessionView(session));
    },
  );

  app.get(
    '/sessions/current',
    {
      schema: {
        tags: ['sessions'],
        summary: 'The console session this request carries, with its CSRF token',
        response: { 200: SessionView },
      },
    },
    async (request, reply) => {
      if (!request.session) throw errors.noSession();
      return reply.header('cache-control', 'no-store').send(sessionView(request.session));
    },
  );

  app.delete(
    '/sessions/current',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Sign out: end this console session on every replica',
        response: { 204: NoContent('Signed out') },
      },
    },
    async (request, reply) => {
      if (!request.session) throw errors.noSession();
      await sessions.delete(request.session.token);
      return clearSessionCookie(request, reply).code(204).send(null);
    },
  );
}
