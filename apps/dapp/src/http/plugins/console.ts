import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/**
 * Where the built console is: apps/console/dist, both from src/ (tsx) and dist/ (the image copies it to
 * the same place relative to this module).
 */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../../console/dist', import.meta.url));

/**
 * The console's Content-Security-Policy: its own scripts and styles only (no inline code, nothing from
 * another origin, no framing), and fetches to this origin only. The console's build keeps it so: one
 * bundled script, one stylesheet, no inline script or style attribute.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * Serves the web console's static files with @fastify/static. The bundle's files have content hashes in
 * their names (assets/), so they are cached for a year as immutable; index.html names them and is always
 * revalidated, so a new version reaches a browser on its next load. `wildcard: false` registers a route per
 * built file, so every other path keeps the API's own 404. When the console is not built (a test that never
 * built it, a checkout without `npm start`), the API is served alone and the log says why.
 */
export async function registerConsole(
  app: FastifyInstance,
  log: FastifyBaseLogger,
  root: string = CONSOLE_DIR,
): Promise<void> {
  if (!existsSync(`${root}/index.html`)) {
    log.warn({ dir: root }, 'web console not built (npm run build -w @dalp/console): serving the API only');
    return;
  }
  await app.register(async (scope) => {
    scope.addHook('onRequest', (_request, reply, done) => {
      reply.headers({
        'content-security-policy': CONSOLE_CSP,
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'cross-origin-opener-policy': 'same-origin',
      });
      done();
    });
    await scope.register(fastifyStatic, {
      root,
      wildcard: false,
      index: ['index.html'],
      cacheControl: false,
      setHeaders: (reply, path) => {
        reply.header(
          'cache-control',
          /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  });
}
