import assert from 'node:assert/strict';
import { ERROR_CODES } from '../../src/errors.ts';

/**
 * Asserts the one error shape of the API, `{"error": {"code", "message"}}`, with a code of the catalog
 * answered with the status the catalog gives it (bad_request keeps the HTTP framework's own 4xx).
 */
export function assertErrorShape(reply: { status: number; body: unknown }, status?: number, code?: string) {
  const body = reply.body as { error?: { code?: unknown; message?: unknown } } | undefined;
  const shown = JSON.stringify(reply.body);
  if (status !== undefined)
    assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${shown}`);
  assert.deepEqual(Object.keys(body ?? {}), ['error'], `not the error shape: ${shown}`);
  assert.deepEqual(
    Object.keys(body!.error ?? {}).sort(),
    ['code', 'message'],
    `not the error shape: ${shown}`,
  );
  assert.equal(typeof body!.error!.code, 'string');
  assert.ok(typeof body!.error!.message === 'string' && body!.error!.message.length > 0, shown);
  if (code !== undefined) assert.equal(body!.error!.code, code, shown);
  const entry = ERROR_CODES.find((e) => e.code === body!.error!.code);
  assert.ok(entry, `${body!.error!.code} is not in the error catalog (src/errors.ts)`);
  if (entry.code !== 'bad_request') assert.equal(entry.status, reply.status, shown);
}
