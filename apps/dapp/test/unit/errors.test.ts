import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { API_DOC, renderApiDoc } from '../../scripts/docs.ts';
import { ApiError, ERROR_CODES, errors, isRefusal } from '../../src/errors.ts';
import { toApiError } from '../../src/http/plugins/error-handler.ts';

describe('the error catalog', () => {
  test('docs/api.md carries the table generated from it, up to date', () => {
    const committed = readFileSync(API_DOC, 'utf8');
    assert.ok(
      committed === renderApiDoc(committed),
      'the error table of docs/api.md is stale: run `npm run docs -w @dalp/dapp` and commit the result',
    );
    for (const { code } of ERROR_CODES) assert.ok(committed.includes(`| \`${code}\``), `${code} missing`);
  });

  test('codes are unique snake_case, every status an error status, every entry explained', () => {
    const codes = ERROR_CODES.map((e) => e.code);
    assert.equal(new Set(codes).size, codes.length, 'a code appears twice');
    for (const e of ERROR_CODES) {
      assert.match(e.code, /^[a-z][a-z0-9_]*$/);
      assert.ok(e.status >= 400 && e.status < 600, `${e.code}: ${e.status}`);
      assert.ok(e.when.length > 10, `${e.code} needs a "when" for the docs`);
    }
  });

  test('an error carries its entry’s status, code and headers, and its own message', () => {
    const error = errors.forbidden('viewer', ['issuer']);
    assert.ok(error instanceof ApiError && isRefusal(error));
    assert.deepEqual([error.status, error.code], [403, 'forbidden']);
    assert.equal(error.message, 'role viewer may not do this; it needs one of: admin, issuer');
    assert.ok(errors.forbidden.is(error) && !errors.invalidApiKey.is(error));
    assert.deepEqual(errors.invalidApiKey().headers, { 'www-authenticate': 'Bearer' });
    assert.deepEqual(errors.rateLimited(10, 42).headers, { 'retry-after': '42' });
    const fault = errors.databaseUnavailable.because(new Error('connection reset'));
    assert.deepEqual([fault.status, isRefusal(fault)], [503, false]);
    assert.equal((fault.cause as Error).message, 'connection reset');
    assert.deepEqual(fault.headers, { 'retry-after': '2' });
  });

  test('what the HTTP layer answers for errors that are not the catalog’s own', () => {
    const fastify = (props: object) => Object.assign(new Error('framework says no'), props);
    const cases: Array<[unknown, number, string]> = [
      [fastify({ validation: [{}] }), 400, 'validation_failed'],
      [fastify({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }), 413, 'payload_too_large'],
      [fastify({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), 415, 'unsupported_media_type'],
      [fastify({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }), 400, 'invalid_json'],
      [fastify({ code: 'FST_ERR_SOMETHING_ELSE', statusCode: 406 }), 406, 'bad_request'],
      [
        Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
        500,
        'internal_error',
      ],
      [new TypeError('a bug'), 500, 'internal_error'],
    ];
    for (const [thrown, status, code] of cases) {
      const answer = toApiError(thrown);
      assert.deepEqual([answer.status, answer.code], [status, code], String(thrown));
    }
    // Fastify's messages stay theirs; the framework's 413 does not close the connection, a document's does.
    assert.equal(toApiError(fastify({ validation: [{}] })).message, 'framework says no');
    assert.deepEqual(toApiError(fastify({ code: 'FST_ERR_CTP_BODY_TOO_LARGE' })).headers, {});
    assert.deepEqual(errors.payloadTooLarge(10).headers, { connection: 'close' });
  });
});
