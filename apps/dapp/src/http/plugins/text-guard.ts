import { Stream } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { errors } from '../../errors.ts';

// A NUL character (PostgreSQL text cannot hold one) or a UTF-16 surrogate without its pair (not a
// character at all; it cannot be encoded as UTF-8).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding the NUL character is the point.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first place in `value` (a parsed JSON body, query or params) holding unstorable text. */
function unstorableAt(value: unknown, where: string): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? where : undefined;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = unstorableAt(item, `${where}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  // A document's body is a stream of bytes, not text.
  if (value !== null && typeof value === 'object' && !(value instanceof Stream)) {
    for (const [key, item] of Object.entries(value)) {
      const found = unstorableAt(key, where) ?? unstorableAt(item, `${where}.${key}`);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Refuses text PostgreSQL cannot store before any schema or store sees it, for every route at once: a
 * JSON schema cannot say "no lone surrogate", and one field missed would be a 500.
 */
export function registerTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const found =
      unstorableAt(request.params, 'path') ??
      unstorableAt(request.query, 'query') ??
      unstorableAt(request.body, 'body');
    done(found ? errors.invalidText(found) : undefined);
  });
}
