import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { canonicalBody, requestHash } from '../../src/use-cases/request-hash.ts';
import { seededRandom } from '../support/helpers.ts';

/** The definition stored hashes were computed with: sorted fields through JSON.stringify's replacer. */
const reference = (body: Record<string, unknown>) => JSON.stringify(body, Object.keys(body).sort());

test('the canonical body is the reference text, escapes included', () => {
  const random = seededRandom(11);
  const alphabet = ['a', 'Z', '0', '"', '\\', '\n', '\u0001', 'é', '\u2028', '😀', ' '];
  const word = () => Array.from({ length: 1 + random(6) }, () => alphabet[random(alphabet.length)]).join('');
  for (let i = 0; i < 300; i++) {
    const body: Record<string, unknown> = {};
    for (let f = random(5); f > 0; f--) body[word()] = word();
    assert.equal(canonicalBody(body), reference(body));
  }
  const nested = { to: 'x', meta: { b: 1, a: [2, { to: 3 }] }, amount: 5 };
  assert.equal(canonicalBody(nested), reference(nested));
});

test('field order does not change the hash; any value, the method or the path does', () => {
  const base = requestHash('POST', '/api/v1/assets/a/transfers', { from: 'f', to: 't', amount: '1' });
  assert.equal(base, requestHash('POST', '/api/v1/assets/a/transfers', { amount: '1', to: 't', from: 'f' }));
  assert.equal(
    base,
    requestHash('POST', '/api/v1/assets/a/transfers?x=1', { from: 'f', to: 't', amount: '1' }),
  );
  assert.equal(
    base,
    createHash('sha256')
      .update('POST /api/v1/assets/a/transfers\n{"amount":"1","from":"f","to":"t"}')
      .digest('hex'),
  );
  for (const other of [
    requestHash('POST', '/api/v1/assets/a/transfers', { from: 'f', to: 't', amount: '2' }),
    requestHash('POST', '/api/v1/assets/a/transfers', { from: 't', to: 'f', amount: '1' }),
    requestHash('POST', '/api/v1/assets/b/transfers', { from: 'f', to: 't', amount: '1' }),
    requestHash('PUT', '/api/v1/assets/a/transfers', { from: 'f', to: 't', amount: '1' }),
  ]) {
    assert.notEqual(other, base);
  }
});
