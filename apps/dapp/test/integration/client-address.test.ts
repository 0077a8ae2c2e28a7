// The failed-key limit counts per client address. Behind a proxy (an ingress controller, a cloud load
// balancer) every request comes from the proxy's address: unless the service trusts the proxy's
// X-Forwarded-For, one client presenting wrong keys uses up the budget of every client behind it. The
// chart therefore trusts the private ranges by default (charts/dalp values `dapp.config.trustProxy`).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startService, TestDatabase, type TestService } from '../support/helpers.ts';

let db: TestDatabase;
before(async () => {
  db = await TestDatabase.start();
});
after(async () => {
  await db?.destroy();
});

/** A request from `client` as a proxy on loopback forwards it. */
const forwarded = (svc: TestService, key: string, client: string) =>
  fetch(`${svc.url}/api/v1/assets`, {
    headers: { authorization: `Bearer ${key}`, 'x-forwarded-for': client },
  });

async function scenario(env: Record<string, string>) {
  // API_KEY_CACHE_MS 0: every request looks its key up, as a key not seen for a while does.
  const svc = await startService(await db.createDatabase(), {
    AUTH_FAILURES_PER_MINUTE: '3',
    API_KEY_CACHE_MS: '0',
    ...env,
  });
  try {
    const good = (await svc.admin.post('/api/v1/api-keys', { name: 'good', role: 'viewer' })).body
      .key as string;
    const wrong: number[] = [];
    for (let i = 0; i < 4; i++) wrong.push((await forwarded(svc, `dalp_wrong-${i}`, '198.51.100.7')).status);
    const otherClient = (await forwarded(svc, good, '198.51.100.8')).status;
    return { wrong, otherClient };
  } finally {
    await svc.close();
  }
}

describe('the failed-key limit counts each client behind a trusted proxy', () => {
  test('trusted proxy: the client presenting wrong keys is refused, another client behind the same proxy is served', async () => {
    const { wrong, otherClient } = await scenario({ TRUST_PROXY: '127.0.0.0/8,::1/128' });
    assert.deepEqual(wrong, [401, 401, 401, 429]);
    assert.equal(otherClient, 200);
  });

  test('untrusted proxy: everyone behind it shares one budget, so the other client is refused too', async () => {
    const { wrong, otherClient } = await scenario({ TRUST_PROXY: 'false' });
    assert.deepEqual(wrong, [401, 401, 401, 429]);
    assert.equal(otherClient, 429);
  });
});
