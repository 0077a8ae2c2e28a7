import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertErrorShape } from '../support/error-shape.ts';
import {
  type Reply,
  rawRequest,
  seedLedger,
  startService,
  TestDatabase,
  type TestService,
} from '../support/helpers.ts';

// Input a hostile or careless client sends that the schemas once let through to PostgreSQL (issue 20).

let db: TestDatabase;
let svc: TestService;
before(async () => {
  db = await TestDatabase.start();
  svc = await startService(await db.createDatabase());
});
after(async () => {
  await svc?.close();
  await db?.destroy();
});

describe('ids have one canonical form', () => {
  test('a uuid in another spelling (urn, upper case, braces, no hyphens) is 400 on every kind of route', async () => {
    const { assetId, investors } = await seedLedger(svc.admin, { investors: 1 });
    const spellings = [
      `urn:uuid:${assetId}`,
      assetId.toUpperCase(),
      `{${assetId}}`,
      assetId.replaceAll('-', ''),
    ];
    for (const id of spellings) {
      const path = encodeURIComponent(id);
      assertErrorShape(await svc.admin.get(`/api/v1/assets/${path}`), 400, 'validation_failed');
      assertErrorShape(await svc.admin.get(`/api/v1/assets/${path}/holders`), 400, 'validation_failed');
      assertErrorShape(
        await svc.admin.post(`/api/v1/assets/${path}/status`, { status: 'paused' }),
        400,
        'validation_failed',
      );
      assertErrorShape(
        await svc.admin.post(
          `/api/v1/assets/${assetId}/mint`,
          {
            to: id
              .replace(assetId, investors[0]!)
              .replace(assetId.toUpperCase(), investors[0]!.toUpperCase()),
            amount: '1',
          },
          { 'idempotency-key': `canonical-${id}` },
        ),
        400,
        'validation_failed',
      );
    }
    // The canonical spelling works on the same routes.
    assert.equal((await svc.admin.get(`/api/v1/assets/${assetId}`)).status, 200);
  });
});

describe('strings PostgreSQL cannot store are refused', () => {
  test('NUL characters and lone surrogates are 400 invalid_text in bodies and queries', async () => {
    const { assetId } = await seedLedger(svc.admin, { investors: 0 });
    const cases = [
      () =>
        svc.admin.post('/api/v1/investors', { name: 'nul\u0000byte', country: 'BE', kycStatus: 'pending' }),
      () =>
        svc.admin.post('/api/v1/assets', {
          symbol: 'SURR1',
          name: 'lone \ud800 high',
          type: 'fund',
          decimals: 0,
        }),
      () =>
        svc.admin.post('/api/v1/assets', {
          symbol: 'SURR2',
          name: 'lone \udc00 low',
          type: 'fund',
          decimals: 0,
        }),
      () => svc.admin.post('/api/v1/api-keys', { name: 'k\u0000', role: 'viewer' }),
      () =>
        svc.admin.request(
          'POST',
          `/api/v1/assets/${assetId}/documents?name=${encodeURIComponent('a\u0000.pdf')}`,
          {
            body: 'x',
            headers: { 'content-type': 'application/pdf' },
          },
        ),
      () => svc.admin.get(`/api/v1/assets?cursor=${encodeURIComponent('\u0000')}`),
    ];
    for (const [i, send] of cases.entries()) {
      const reply = await send();
      assert.equal(reply.body?.error?.code, 'invalid_text', `case ${i}: ${JSON.stringify(reply.body)}`);
      assertErrorShape(reply, 400, 'invalid_text');
    }
    // A surrogate pair (an emoji) is a character like any other.
    const emoji = await svc.admin.post('/api/v1/assets', {
      symbol: 'EMOJI',
      name: 'Fund 🚀',
      type: 'fund',
      decimals: 0,
    });
    assert.equal(emoji.status, 201, JSON.stringify(emoji.body));
    assert.equal(emoji.body.name, 'Fund 🚀');
  });
});

describe('one error shape everywhere, never echoing the request', () => {
  const MARK = 'zqxjmark';
  const get = (path: string) =>
    rawRequest(svc, `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${svc.adminKey}\r\n\r\n`);

  const cases: Array<[string, () => ReturnType<typeof rawRequest>, number, string]> = [
    ['a malformed URL', () => get(`/api/v1/assets/%zz${MARK}`), 400, 'bad_url'],
    [
      'an over-long path parameter',
      () => get(`/api/v1/assets/${MARK}${'a'.repeat(300)}`),
      414,
      'uri_too_long',
    ],
    ['an unknown route', () => get(`/api/v1/${MARK}`), 404, 'route_not_found'],
    [
      'no Host header',
      () => rawRequest(svc, `GET /api/v1/assets?${MARK} HTTP/1.1\r\n\r\n`),
      400,
      'host_required',
    ],
    [
      'a malformed request line',
      () => rawRequest(svc, `GET /${MARK} NOT-HTTP\r\nHost: x\r\n\r\n`),
      400,
      'malformed_request',
    ],
    [
      'a malformed header',
      () => rawRequest(svc, `GET /${MARK} HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n`),
      400,
      'malformed_request',
    ],
    [
      'headers over the size limit',
      () => rawRequest(svc, `GET /${MARK} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      431,
      'headers_too_large',
    ],
    [
      'a body that is not JSON',
      () =>
        rawRequest(
          svc,
          `POST /api/v1/investors HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${svc.adminKey}\r\n` +
            `Content-Type: application/json\r\nContent-Length: ${MARK.length + 2}\r\n\r\n{"${MARK}`,
        ),
      400,
      'invalid_json',
    ],
  ];
  for (const [what, send, status, code] of cases) {
    test(`${what} is ${status} ${code}`, async () => {
      const reply = await send();
      assertErrorShape(reply, status, code);
      assert.match(reply.headers['content-type'] ?? '', /^application\/json/);
      assert.ok(!reply.text.includes(MARK), `the answer echoes the request: ${reply.text}`);
    });
  }
});

describe('response headers', () => {
  test('every answer says nosniff: success, refusal, unknown route, and what is refused below the routes', async () => {
    const { assetId } = await seedLedger(svc.admin, { investors: 0 });
    const replies = [
      await svc.admin.get('/api/v1/assets'),
      await svc.anonymous.get('/api/v1/assets'),
      await svc.admin.get('/api/v1/nothing-here'),
      await svc.anonymous.get('/healthz'),
      await svc.anonymous.get('/metrics'),
      await svc.admin.request('POST', `/api/v1/assets/${assetId}/documents?name=a.html`, {
        body: '<script>alert(1)</script>',
        headers: { 'content-type': 'text/html' },
      }),
    ];
    for (const reply of replies) assert.equal(reply.headers.get('x-content-type-options'), 'nosniff');
    for (const raw of [
      await rawRequest(svc, 'GET /api/v1/assets/%zz HTTP/1.1\r\nHost: x\r\n\r\n'),
      await rawRequest(svc, 'GET / NOT-HTTP\r\n\r\n'),
    ]) {
      assert.equal(raw.headers['x-content-type-options'], 'nosniff', raw.text);
    }
  });

  test('documents are served as attachments with nosniff, so a browser never renders one', async () => {
    const { assetId } = await seedLedger(svc.admin, { investors: 0 });
    const created = await svc.admin.request('POST', `/api/v1/assets/${assetId}/documents?name=x.html`, {
      body: '<script>alert(1)</script>',
      headers: { 'content-type': 'text/html' },
    });
    const download = await svc.admin.get(`/api/v1/assets/${assetId}/documents/${created.body.id}/content`);
    assert.equal(download.status, 200);
    assert.match(download.headers.get('content-disposition') ?? '', /^attachment;/);
    assert.equal(download.headers.get('x-content-type-options'), 'nosniff');
  });

  test('a response that carries a secret (a new API key) is never stored by a cache', async () => {
    const created = await svc.admin.post('/api/v1/api-keys', { name: 'secret carrier', role: 'viewer' });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('cache-control'), 'no-store');
  });
});

describe('journal figures', () => {
  test('mints and burns record the supply they left, exactly, even beside concurrent transfers; transfers record none', async () => {
    const { assetId, investors } = await seedLedger(svc.admin, { investors: 3 });
    const [a, b, c] = investors as [string, string, string];
    const key = () => `journal-${Math.random().toString(36).slice(2)}`;
    assert.equal(
      (
        await svc.admin.post(
          `/api/v1/assets/${assetId}/mint`,
          { to: a, amount: '1000' },
          { 'idempotency-key': key() },
        )
      ).status,
      201,
    );
    // Transfers between a and b run beside mints to c and burns from c.
    const writes = Array.from({ length: 30 }, (_, i) => {
      if (i % 3 === 0)
        return svc.admin.post(
          `/api/v1/assets/${assetId}/mint`,
          { to: c, amount: '5' },
          { 'idempotency-key': key() },
        );
      if (i % 3 === 1)
        return svc.admin.post(
          `/api/v1/assets/${assetId}/transfers`,
          { from: a, to: b, amount: '1' },
          { 'idempotency-key': key() },
        );
      return svc.admin.post(
        `/api/v1/assets/${assetId}/burn`,
        { from: a, amount: '1' },
        { 'idempotency-key': key() },
      );
    });
    for (const reply of await Promise.all(writes))
      assert.equal(reply.status, 201, JSON.stringify(reply.body));

    const entries: Array<{ kind: string; amount: string; totalSupply: string | null }> = [];
    for (let cursor: string | null = null; ; ) {
      const page: Reply = await svc.admin.get(
        `/api/v1/assets/${assetId}/journal?limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      );
      entries.push(...page.body.items);
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    for (const entry of entries.filter((e) => e.kind === 'transfer')) {
      assert.equal(entry.totalSupply, null, 'a transfer does not change the supply and records none');
    }
    // Mints and burns are serialised on the asset, but the journal's order is not theirs (an entry's number
    // may be drawn while it waits for the asset). So: some order of them must take the supply from 0 to
    // today's, each entry recording exactly the supply it left. A stale figure breaks every such order.
    const changes = entries
      .filter((e) => e.kind !== 'transfer')
      .map((e) => ({
        delta: (e.kind === 'mint' ? 1n : -1n) * BigInt(e.amount),
        supply: BigInt(e.totalSupply!),
      }));
    const final = BigInt((await svc.admin.get(`/api/v1/assets/${assetId}`)).body.totalSupply);
    const ordered = (supply: bigint, left: typeof changes): boolean => {
      if (left.length === 0) return supply === final;
      const tried = new Set<string>();
      return left.some((change, i) => {
        const same = `${change.delta}:${change.supply}`;
        if (supply + change.delta !== change.supply || tried.has(same)) return false;
        tried.add(same);
        return ordered(change.supply, [...left.slice(0, i), ...left.slice(i + 1)]);
      });
    };
    assert.equal(changes.length, 21);
    assert.ok(
      ordered(0n, changes),
      `no order of the mints and burns explains their supplies: ${JSON.stringify(changes, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`,
    );
  });
});
