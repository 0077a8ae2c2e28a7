import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildConsole } from '../support/console-build.ts';
import { assertErrorShape } from '../support/error-shape.ts';
import { startService, TestDatabase, type TestService } from '../support/helpers.ts';

// Console sessions (issue 19): an API key exchanged for a session cookie kept in PostgreSQL, admitted by
// every replica, CSRF-checked on state-changing requests, ended everywhere by sign-out and by revoking the
// key. And the console's static files with their caching headers and Content-Security-Policy.

let db: TestDatabase;
let replicaA: TestService;
let replicaB: TestService;
let databaseUrl: string;
before(async () => {
  buildConsole();
  db = await TestDatabase.start();
  databaseUrl = await db.createDatabase();
  replicaA = await startService(databaseUrl, { TRUST_PROXY: 'true' });
  replicaB = await startService(databaseUrl, { MIGRATE_ON_START: 'false' });
});
after(async () => {
  await replicaA?.close();
  await replicaB?.close();
  await db?.destroy();
});

interface SignedIn {
  cookie: string;
  setCookie: string;
  csrfToken: string;
  principal: { id: string; name: string; role: string };
}

async function signIn(
  svc: TestService,
  apiKey: string,
  headers: Record<string, string> = {},
): Promise<SignedIn> {
  const reply = await svc.anonymous.post('/api/v1/sessions', { apiKey }, headers);
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  const setCookie = reply.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  assert.match(cookie, /^dalp_session=[\w-]{40,}$/);
  return { cookie, setCookie, csrfToken: reply.body.csrfToken, principal: reply.body.principal };
}

describe('console sessions', () => {
  test('an unknown key opens no session and sets no cookie', async () => {
    const reply = await replicaA.anonymous.post('/api/v1/sessions', { apiKey: 'dalp_not-a-key' });
    assertErrorShape(reply, 401, 'invalid_api_key');
    assert.equal(reply.headers.get('set-cookie'), null);
    assertErrorShape(
      await replicaA.anonymous.post('/api/v1/sessions', { key: 'x' }),
      400,
      'validation_failed',
    );
  });

  test('the cookie is HttpOnly, SameSite=Strict, Secure only over TLS, and stored only as a hash', async () => {
    const plain = await signIn(replicaA, replicaA.adminKey);
    assert.match(plain.setCookie, /; HttpOnly/i);
    assert.match(plain.setCookie, /; SameSite=Strict/i);
    assert.match(plain.setCookie, /; Path=\//i);
    assert.doesNotMatch(plain.setCookie, /; Secure/i, 'plain http (npm start on localhost) keeps working');
    assert.equal(plain.principal.role, 'admin');
    // Behind a TLS-terminating proxy (trusted here), the cookie is Secure.
    const tls = await signIn(replicaA, replicaA.adminKey, { 'x-forwarded-proto': 'https' });
    assert.match(tls.setCookie, /; Secure/i);
    const token = plain.cookie.split('=')[1]!;
    const rows = await replicaA.sql('SELECT token_hash, csrf_token FROM sessions');
    assert.ok(rows.length >= 2);
    for (const row of rows) assert.ok(!row.token_hash.toString('utf8').includes(token));
    assert.ok(!JSON.stringify(rows).includes(token), 'the token itself is nowhere in the table');
  });

  test('reads need no CSRF token; writes need the session’s, and any replica admits the session', async () => {
    const s = await signIn(replicaA, replicaA.adminKey);
    const headers = { cookie: s.cookie };
    const list = await replicaB.anonymous.get('/api/v1/assets', headers);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const current = await replicaB.anonymous.get('/api/v1/sessions/current', headers);
    assert.equal(current.status, 200);
    assert.equal(current.body.csrfToken, s.csrfToken, 'the token is read back after a page reload');
    assert.equal(current.headers.get('cache-control'), 'no-store');

    const asset = {
      symbol: `S${Date.now().toString(36).toUpperCase()}`,
      name: 'Session',
      type: 'fund',
      decimals: 2,
    };
    assertErrorShape(
      await replicaB.anonymous.post('/api/v1/assets', asset, headers),
      403,
      'csrf_token_invalid',
    );
    assertErrorShape(
      await replicaB.anonymous.post('/api/v1/assets', asset, {
        ...headers,
        'x-csrf-token': `${s.csrfToken}x`,
      }),
      403,
      'csrf_token_invalid',
    );
    const other = await signIn(replicaA, replicaA.adminKey);
    assertErrorShape(
      await replicaB.anonymous.post('/api/v1/assets', asset, { ...headers, 'x-csrf-token': other.csrfToken }),
      403,
      'csrf_token_invalid',
    );
    const created = await replicaB.anonymous.post('/api/v1/assets', asset, {
      ...headers,
      'x-csrf-token': s.csrfToken,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // API clients are unchanged: a Bearer key needs no CSRF token, and wins over a cookie sent alongside.
    const bearer = await replicaA.admin.post(
      `/api/v1/assets/${created.body.id}/status`,
      { status: 'active' },
      headers,
    );
    assert.equal(bearer.status, 200, JSON.stringify(bearer.body));
    // A session route without a session.
    assertErrorShape(await replicaA.admin.get('/api/v1/sessions/current'), 404, 'no_session');
    assertErrorShape(
      await replicaA.anonymous.get('/api/v1/assets', { cookie: 'dalp_session=forged' }),
      401,
      'session_invalid',
    );
  });

  test('roles hold for sessions as for keys', async () => {
    const viewer = await replicaA.admin.post('/api/v1/api-keys', { name: 'viewer', role: 'viewer' });
    const s = await signIn(replicaA, viewer.body.key);
    assertErrorShape(
      await replicaA.anonymous.post(
        '/api/v1/investors',
        { name: 'V', country: 'BE', kycStatus: 'pending' },
        { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
      ),
      403,
      'forbidden',
    );
  });

  test('sign-out ends the session on every replica at once', async () => {
    const s = await signIn(replicaA, replicaA.adminKey);
    assert.equal((await replicaB.anonymous.get('/api/v1/assets', { cookie: s.cookie })).status, 200);
    // Sign-out is state-changing: it needs the CSRF token too (no other site can sign a person out).
    assertErrorShape(
      await replicaA.anonymous.request('DELETE', '/api/v1/sessions/current', {
        headers: { cookie: s.cookie },
      }),
      403,
      'csrf_token_invalid',
    );
    const out = await replicaA.anonymous.request('DELETE', '/api/v1/sessions/current', {
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
    });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^dalp_session=;.*Expires=Thu, 01 Jan 1970/i);
    assertErrorShape(
      await replicaB.anonymous.get('/api/v1/assets', { cookie: s.cookie }),
      401,
      'session_invalid',
    );
    assertErrorShape(
      await replicaA.anonymous.get('/api/v1/assets', { cookie: s.cookie }),
      401,
      'session_invalid',
    );
  });

  test('revoking the key ends its sessions on every replica at once, and it opens no new one', async () => {
    const issuer = await replicaA.admin.post('/api/v1/api-keys', { name: 'issuer', role: 'issuer' });
    const s = await signIn(replicaB, issuer.body.key);
    assert.equal((await replicaA.anonymous.get('/api/v1/assets', { cookie: s.cookie })).status, 200);
    assert.equal((await replicaA.admin.request('DELETE', `/api/v1/api-keys/${issuer.body.id}`)).status, 204);
    assertErrorShape(
      await replicaB.anonymous.get('/api/v1/assets', { cookie: s.cookie }),
      401,
      'session_invalid',
    );
    const rows = await replicaA.sql('SELECT 1 FROM sessions WHERE api_key_id = $1', [issuer.body.id]);
    assert.equal(rows.length, 0, 'its sessions are deleted, not only refused');
    assertErrorShape(
      await replicaB.anonymous.post('/api/v1/sessions', { apiKey: issuer.body.key }),
      401,
      'invalid_api_key',
    );
  });
});

describe('sign-in under the abuse limits', () => {
  test('wrong keys count as failed authentications, and sign-in is rate limited by address, never a 500', async () => {
    const limited = await startService(databaseUrl, {
      MIGRATE_ON_START: 'false',
      DALP_BOOTSTRAP_ADMIN_KEY: replicaA.adminKey,
      AUTH_FAILURES_PER_MINUTE: '2',
      RATE_LIMIT_PER_MINUTE: '3',
    });
    try {
      for (let i = 0; i < 2; i++)
        assertErrorShape(await limited.anonymous.post('/api/v1/sessions', { apiKey: `dalp_wrong${i}` }), 401);
      assertErrorShape(
        await limited.anonymous.post('/api/v1/sessions', { apiKey: limited.adminKey }),
        429,
        'too_many_auth_failures',
      );
      assertErrorShape(
        await limited.anonymous.post('/api/v1/sessions', { apiKey: limited.adminKey }),
        429,
        'rate_limited',
      );
    } finally {
      await limited.close();
    }
  });
});

describe('the console’s static files', () => {
  test('index.html is revalidated, bundles are immutable, both under a strict CSP; other paths keep the API 404', async () => {
    const index = await fetch(`${replicaA.url}/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    const csp = index.headers.get('content-security-policy') ?? '';
    for (const directive of [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
    ])
      assert.ok(csp.includes(directive), `${directive} in ${csp}`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const html = await index.text();
    const script = /src="(\/assets\/app-[\w]+\.js)"/.exec(html)?.[1];
    const styles = /href="(\/assets\/styles-[\w]+\.css)"/.exec(html)?.[1];
    assert.ok(script && styles, html);
    assert.doesNotMatch(html, /https?:\/\//, 'nothing is loaded from another origin');
    for (const path of [script, styles]) {
      const file = await fetch(`${replicaA.url}${path}`);
      assert.equal(file.status, 200);
      assert.equal(file.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.ok(file.headers.get('content-security-policy'));
      await file.arrayBuffer();
    }
    assertErrorShape(await replicaA.anonymous.get('/no-such-page'), 404);
    assertErrorShape(await replicaA.anonymous.get('/api/v1/no-such-route'), 404);
  });
});
