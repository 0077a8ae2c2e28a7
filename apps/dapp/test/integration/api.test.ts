import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { assertErrorShape } from '../support/error-shape.ts';
import {
  type Client,
  idempotencyKey,
  seedLedger,
  startService,
  TestDatabase,
  type TestService,
  waitUntil,
} from '../support/helpers.ts';

let db: TestDatabase;
let svc: TestService;
let admin: Client;

before(async () => {
  db = await TestDatabase.start();
  svc = await startService(await db.createDatabase());
  admin = svc.admin;
});
after(async () => {
  await svc?.close();
  await db?.destroy();
});

/** Asserts the one error shape of the API (test/support/error-shape.ts), its status and code. */
function assertError(reply: { status: number; body: any }, status: number, code?: string | RegExp) {
  assertErrorShape(reply, status, typeof code === 'string' ? code : undefined);
  if (code instanceof RegExp) assert.match(reply.body.error.code, code);
}

async function keyFor(role: string): Promise<Client> {
  const created = await admin.post('/api/v1/api-keys', { name: `${role} key`, role });
  assert.equal(created.status, 201);
  return admin.as(created.body.key);
}

describe('authentication and roles', () => {
  test('no key is 401 with a WWW-Authenticate challenge', async () => {
    const reply = await svc.anonymous.get('/api/v1/assets');
    assertError(reply, 401, 'unauthenticated');
    assert.equal(reply.headers.get('www-authenticate'), 'Bearer');
  });

  test('an unknown key is 401', async () => {
    assertError(await admin.as('dalp_not-a-real-key').get('/api/v1/assets'), 401, 'invalid_api_key');
  });
  test('every request on one keep-alive connection is judged by its own key', async () => {
    const viewerKey = (await admin.post('/api/v1/api-keys', { name: 'same socket', role: 'viewer' })).body
      .key;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const url = new URL(svc.url);
    const send = (method: string, authorization: string | undefined, body?: string) =>
      new Promise<{ status: number; code?: string; reused: boolean }>((resolve, reject) => {
        const request = http.request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            method,
            path: '/api/v1/investors',
            headers: {
              ...(authorization === undefined ? {} : { authorization }),
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk) => (text += chunk));
            response.on('end', () =>
              resolve({
                status: response.statusCode!,
                code: response.statusCode! >= 400 ? JSON.parse(text).error.code : undefined,
                reused: request.reusedSocket,
              }),
            );
          },
        );
        request.on('error', reject);
        request.end(body);
      });
    const investor = JSON.stringify({ name: 'Same Socket', country: 'BE', kycStatus: 'pending' });
    try {
      const steps: Array<[string, string | undefined, string | undefined, number, string | undefined]> = [
        ['GET', `Bearer ${admin.key}`, undefined, 200, undefined],
        ['POST', `Bearer ${viewerKey}`, investor, 403, 'forbidden'],
        ['GET', undefined, undefined, 401, 'unauthenticated'],
        ['GET', 'Bearer dalp_not-a-real-key', undefined, 401, 'invalid_api_key'],
        ['POST', `Bearer ${viewerKey}`, investor, 403, 'forbidden'],
        ['POST', `Bearer ${admin.key}`, investor, 201, undefined],
        ['GET', 'Basic YWRtaW46YWRtaW4=', undefined, 401, 'unauthenticated'],
      ];
      for (const [i, [method, authorization, body, status, code]] of steps.entries()) {
        const reply = await send(method, authorization, body);
        assert.equal(reply.status, status, `step ${i}`);
        assert.equal(reply.code, code, `step ${i}`);
        // The point of the test: all of it over the one connection that remembers the last key it saw.
        assert.equal(reply.reused, i > 0, `step ${i} reused the connection`);
      }
    } finally {
      agent.destroy();
    }
  });

  test('keys are stored hashed and shown once', async () => {
    const created = await admin.post('/api/v1/api-keys', { name: 'ops', role: 'viewer' });
    assert.equal(created.status, 201);
    assert.match(created.body.key, /^dalp_[\w-]{43}$/);
    const rows = await svc.sql('SELECT key_hash FROM api_keys WHERE id = $1', [created.body.id]);
    assert.equal(rows.length, 1);
    assert.ok(!rows[0].key_hash.toString('utf8').includes(created.body.key));
    assert.equal((await admin.as(created.body.key).get('/api/v1/assets')).status, 200);
  });

  test('roles allow what fits and forbid the rest with 403', async () => {
    const viewer = await keyFor('viewer');
    const issuer = await keyFor('issuer');
    const compliance = await keyFor('compliance');
    const asset = { symbol: 'ROLE1', name: 'Role test', type: 'fund', decimals: 2 };
    const investor = { name: 'Role', country: 'DE', kycStatus: 'pending' };

    assertError(await viewer.post('/api/v1/assets', asset), 403, 'forbidden');
    assertError(await compliance.post('/api/v1/assets', asset), 403, 'forbidden');
    assertError(await viewer.post('/api/v1/investors', investor), 403, 'forbidden');
    assertError(await issuer.post('/api/v1/investors', investor), 403, 'forbidden');
    assertError(await issuer.post('/api/v1/api-keys', { name: 'x', role: 'admin' }), 403, 'forbidden');

    const created = await issuer.post('/api/v1/assets', asset);
    assert.equal(created.status, 201);
    const inv = await compliance.post('/api/v1/investors', investor);
    assert.equal(inv.status, 201);
    assertError(
      await viewer.patch(`/api/v1/investors/${inv.body.id}`, { kycStatus: 'verified' }),
      403,
      'forbidden',
    );
    assert.equal(
      (await compliance.patch(`/api/v1/investors/${inv.body.id}`, { kycStatus: 'verified' })).status,
      200,
    );
    assertError(
      await viewer.post(
        `/api/v1/assets/${created.body.id}/mint`,
        { to: inv.body.id, amount: '1' },
        {
          'idempotency-key': idempotencyKey(),
        },
      ),
      403,
      'forbidden',
    );
    assert.equal((await viewer.get(`/api/v1/assets/${created.body.id}`)).status, 200);
    assert.equal((await viewer.get('/api/v1/investors')).status, 200);
  });
});

describe('bad input never produces a 500', () => {
  test('malformed JSON is 400', async () => {
    assertError(await admin.request('POST', '/api/v1/assets', { json: '{"symbol": ' }), 400, 'invalid_json');
  });
  test('wrong types are 400 (no coercion of "2" to 2)', async () => {
    assertError(
      await admin.post('/api/v1/assets', { symbol: 'TYPE1', name: 'x', type: 'fund', decimals: '2' }),
      400,
      'validation_failed',
    );
  });
  test('unknown fields are 400', async () => {
    assertError(
      await admin.post('/api/v1/assets', {
        symbol: 'UNK1',
        name: 'x',
        type: 'fund',
        decimals: 2,
        owner: 'me',
      }),
      400,
      'validation_failed',
    );
  });
  test('missing required fields, bad enums and out-of-range numbers are 400', async () => {
    assertError(
      await admin.post('/api/v1/assets', { name: 'x', type: 'fund', decimals: 2 }),
      400,
      'validation_failed',
    );
    assertError(
      await admin.post('/api/v1/assets', { symbol: 'E1', name: 'x', type: 'nft', decimals: 2 }),
      400,
    );
    assertError(
      await admin.post('/api/v1/assets', { symbol: 'E2', name: 'x', type: 'fund', decimals: 19 }),
      400,
    );
    assertError(
      await admin.post('/api/v1/assets', { symbol: 'E3', name: 'x', type: 'fund', decimals: 1.5 }),
      400,
    );
    assertError(
      await admin.post('/api/v1/assets', { symbol: 'lower', name: 'x', type: 'fund', decimals: 1 }),
      400,
    );
  });
  test('invalid country codes are 400', async () => {
    assertError(
      await admin.post('/api/v1/investors', { name: 'x', country: 'XX', kycStatus: 'verified' }),
      400,
      'invalid_country',
    );
    assertError(
      await admin.post('/api/v1/investors', { name: 'x', country: 'be', kycStatus: 'verified' }),
      400,
    );
    assertError(
      await admin.post('/api/v1/investors', { name: 'x', country: 'BEL', kycStatus: 'verified' }),
      400,
    );
    assertError(
      await admin.post('/api/v1/assets', {
        symbol: 'CTRY',
        name: 'x',
        type: 'fund',
        decimals: 0,
        allowedCountries: ['ZZ'],
      }),
      400,
      'invalid_country',
    );
  });
  test('a malformed id in the path is 400, an unknown one 404', async () => {
    assertError(await admin.get('/api/v1/assets/not-a-uuid'), 400, 'validation_failed');
    assertError(
      await admin.get('/api/v1/assets/00000000-0000-7000-8000-00000000abcd'),
      404,
      'asset_not_found',
    );
    assertError(
      await admin.get('/api/v1/investors/00000000-0000-7000-8000-00000000abcd'),
      404,
      'investor_not_found',
    );
  });
  test('unknown routes are 404 with the error body', async () => {
    assertError(await admin.get('/api/v1/nothing-here'), 404, 'route_not_found');
  });
  test('an oversized JSON body is 413', async () => {
    assertError(
      await admin.post('/api/v1/assets', {
        symbol: 'BIG',
        name: 'x'.repeat(100_000),
        type: 'fund',
        decimals: 0,
      }),
      413,
      'payload_too_large',
    );
  });
  test('a JSON route given another content type is 415', async () => {
    assertError(
      await admin.request('POST', '/api/v1/assets', {
        body: 'symbol=X',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
      'unsupported_media_type',
    );
  });
  test('a forged pagination cursor is 400', async () => {
    assertError(await admin.get('/api/v1/assets?cursor=bm90LWEtY3Vyc29y'), 400, 'invalid_cursor');
    assertError(await admin.get('/api/v1/assets?limit=0'), 400);
    assertError(await admin.get('/api/v1/assets?limit=201'), 400);
  });
});

describe('assets', () => {
  test('create, read, duplicate symbol, lifecycle over HTTP', async () => {
    const created = await admin.post('/api/v1/assets', {
      symbol: 'GOV30',
      name: 'Government bond 2030',
      type: 'bond',
      decimals: 2,
      maxSupply: '100000000',
      allowedCountries: ['BE', 'LU'],
      faceValue: '100000',
      maturityDate: '2030-12-31',
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.status, 'draft');
    assert.equal(created.body.totalSupply, '0');
    assert.equal(created.body.maturityDate, '2030-12-31');
    const id = created.body.id;
    assert.deepEqual((await admin.get(`/api/v1/assets/${id}`)).body, created.body);

    assertError(
      await admin.post('/api/v1/assets', { symbol: 'GOV30', name: 'again', type: 'fund', decimals: 0 }),
      409,
      'symbol_taken',
    );
    assertError(
      await admin.post(`/api/v1/assets/${id}/status`, { status: 'paused' }),
      409,
      'invalid_transition',
    );
    assert.equal(
      (await admin.post(`/api/v1/assets/${id}/status`, { status: 'active' })).body.status,
      'active',
    );
    assert.equal(
      (await admin.get(`/api/v1/assets/${id}`)).body.status,
      'active',
      'the cached read saw the change',
    );
    assert.equal(
      (await admin.post(`/api/v1/assets/${id}/status`, { status: 'paused' })).body.status,
      'paused',
    );
    assert.equal(
      (await admin.post(`/api/v1/assets/${id}/status`, { status: 'active' })).body.status,
      'active',
    );
    assert.equal(
      (await admin.post(`/api/v1/assets/${id}/status`, { status: 'closed' })).body.status,
      'closed',
    );
    assertError(
      await admin.post(`/api/v1/assets/${id}/status`, { status: 'active' }),
      409,
      'invalid_transition',
    );
    assertError(await admin.post(`/api/v1/assets/${id}/status`, { status: 'frozen' }), 400);
  });

  test('listing pages through every asset exactly once', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) {
      const reply = await admin.post('/api/v1/assets', {
        symbol: `PAGE${i}`,
        name: `p${i}`,
        type: 'deposit',
        decimals: 0,
      });
      ids.add(reply.body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const reply: any = await admin.get(`/api/v1/assets?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(reply.status, 200);
      assert.ok(reply.body.items.length <= 3);
      seen.push(...reply.body.items.map((a: any) => a.id));
      cursor = reply.body.nextCursor;
    } while (cursor);
    assert.equal(new Set(seen).size, seen.length, 'no asset listed twice');
    for (const id of ids) assert.ok(seen.includes(id), `asset ${id} missing from the listing`);
    assert.deepEqual(seen, [...seen].sort(), 'listing is in creation (id) order');
  });

  test('filters by type, status and search text, paging each filtered list exactly once', async () => {
    // Interleaved so that every page of a filtered list has non-matching rows between its matches.
    const created: any[] = [];
    for (let i = 0; i < 9; i++) {
      const reply = await admin.post('/api/v1/assets', {
        symbol: `FLT${i}`,
        name: i % 3 === 0 ? `Filter Fund ${i}` : `filter other ${i}`,
        type: i % 3 === 0 ? 'fund' : 'equity',
        decimals: 0,
      });
      assert.equal(reply.status, 201);
      created.push(reply.body);
    }
    for (const i of [0, 3, 4]) {
      assert.equal(
        (await admin.post(`/api/v1/assets/${created[i].id}/status`, { status: 'active' })).status,
        200,
      );
    }
    const all = async (query: string) => {
      const seen: any[] = [];
      let cursor: string | null = null;
      do {
        const reply: any = await admin.get(
          `/api/v1/assets?limit=1&${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
        assert.ok(reply.body.items.length <= 1);
        seen.push(...reply.body.items);
        cursor = reply.body.nextCursor;
      } while (cursor);
      assert.equal(new Set(seen.map((a) => a.id)).size, seen.length, `no asset listed twice for ${query}`);
      assert.deepEqual(
        seen.map((a) => a.id),
        seen.map((a) => a.id).sort(),
        'a filtered listing stays in creation order',
      );
      return seen.map((a) => a.symbol);
    };
    assert.deepEqual(await all('q=flt'), [
      'FLT0',
      'FLT1',
      'FLT2',
      'FLT3',
      'FLT4',
      'FLT5',
      'FLT6',
      'FLT7',
      'FLT8',
    ]);
    assert.deepEqual(await all('q=FILTER%20fund'), ['FLT0', 'FLT3', 'FLT6'], 'q matches the name, any case');
    assert.deepEqual(await all('q=FLT&type=fund'), ['FLT0', 'FLT3', 'FLT6']);
    assert.deepEqual(await all('q=FLT&status=active'), ['FLT0', 'FLT3', 'FLT4']);
    assert.deepEqual(await all('q=flt&type=fund&status=active'), ['FLT0', 'FLT3']);
    assert.deepEqual(await all('q=FLT&type=deposit'), []);
    const funds = await all('type=fund');
    for (const symbol of ['FLT0', 'FLT3', 'FLT6']) assert.ok(funds.includes(symbol));
    assert.ok(!funds.includes('FLT1'), 'type filters without q too');
  });

  test('a % or _ in q matches literally, not as a wildcard', async () => {
    for (const [symbol, name] of [
      ['PCT1', 'Yield 5% note'],
      ['PCT2', 'Yield 50 note'],
      ['UND1', 'a_b share'],
      ['UND2', 'axb share'],
    ]) {
      assert.equal(
        (await admin.post('/api/v1/assets', { symbol, name, type: 'equity', decimals: 0 })).status,
        201,
      );
    }
    const symbols = async (q: string) =>
      ((await admin.get(`/api/v1/assets?limit=200&q=${encodeURIComponent(q)}`)).body as any).items.map(
        (a: any) => a.symbol,
      );
    assert.deepEqual(await symbols('5%'), ['PCT1']);
    assert.deepEqual(await symbols('a_b'), ['UND1']);
    assert.deepEqual(await symbols('%'), ['PCT1']);
    assert.deepEqual(await symbols('\\'), [], 'a backslash is a character like any other');
  });

  test('bad filters are 400 in the one error shape; a cursor only pages the listing that issued it', async () => {
    assertError(await admin.get('/api/v1/assets?type=gold'), 400, 'validation_failed');
    assertError(await admin.get('/api/v1/assets?status=frozen'), 400, 'validation_failed');
    assertError(await admin.get(`/api/v1/assets?q=${'x'.repeat(101)}`), 400, 'validation_failed');
    assertError(await admin.get('/api/v1/assets?q='), 400, 'validation_failed');
    const first: any = await admin.get('/api/v1/assets?limit=1&type=fund');
    assert.equal(first.status, 200);
    assert.ok(first.body.nextCursor, 'there is more than one fund');
    const cursor = encodeURIComponent(first.body.nextCursor);
    assert.equal((await admin.get(`/api/v1/assets?limit=1&type=fund&cursor=${cursor}`)).status, 200);
    assertError(
      await admin.get(`/api/v1/assets?limit=1&type=equity&cursor=${cursor}`),
      400,
      'invalid_cursor',
    );
    assertError(await admin.get(`/api/v1/assets?limit=1&cursor=${cursor}`), 400, 'invalid_cursor');
  });
});

describe('investors', () => {
  test('create, patch, list, and patch validation', async () => {
    const created = await admin.post('/api/v1/investors', {
      name: 'Ada',
      country: 'GB',
      kycStatus: 'pending',
    });
    assert.equal(created.status, 201);
    const patched = await admin.patch(`/api/v1/investors/${created.body.id}`, {
      kycStatus: 'verified',
      country: 'IE',
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.kycStatus, 'verified');
    assert.equal(patched.body.country, 'IE');
    assert.equal(patched.body.name, 'Ada');
    assertError(await admin.patch(`/api/v1/investors/${created.body.id}`, {}), 400);
    assertError(
      await admin.patch(`/api/v1/investors/${created.body.id}`, { country: 'QQ' }),
      400,
      'invalid_country',
    );
    assertError(
      await admin.patch('/api/v1/investors/00000000-0000-7000-8000-00000000abcd', { name: 'x' }),
      404,
    );
    const list = await admin.get('/api/v1/investors?limit=200');
    assert.ok(list.body.items.some((i: any) => i.id === created.body.id));
  });
});

describe('ledger', () => {
  const write = (kind: string, assetId: string, body: unknown, key = idempotencyKey()) =>
    admin.post(`/api/v1/assets/${assetId}/${kind}`, body, { 'idempotency-key': key });

  test('mint, transfer, burn and redeem keep the books balanced', async () => {
    const { assetId, investors } = await seedLedger(admin, { investors: 3 });
    const [a, b, c] = investors as [string, string, string];
    assert.equal((await write('mint', assetId, { to: a, amount: '1000' })).status, 201);
    const transfer = await write('transfers', assetId, { from: a, to: b, amount: '300' });
    assert.equal(transfer.status, 201);
    assert.equal(transfer.body.kind, 'transfer');
    assert.equal(transfer.body.totalSupply, null, 'a transfer records no supply (issue 20)');
    assert.equal((await write('transfers', assetId, { from: b, to: c, amount: '100' })).status, 201);
    const burn = await write('burn', assetId, { from: a, amount: '50' });
    assert.equal(burn.body.totalSupply, '950');
    const redeem = await write('redeem', assetId, { from: c, amount: '100' });
    assert.equal(redeem.body.totalSupply, '850');

    const holders = await admin.get(`/api/v1/assets/${assetId}/holders`);
    assert.equal(holders.body.totalSupply, '850');
    const balances = Object.fromEntries(holders.body.holders.map((h: any) => [h.investorId, h.balance]));
    assert.deepEqual(balances, { [a]: '650', [b]: '200' }, 'c redeemed everything and is no longer a holder');
    assert.equal((await admin.get(`/api/v1/assets/${assetId}`)).body.totalSupply, '850');

    const journal = await admin.get(`/api/v1/assets/${assetId}/journal?limit=2`);
    assert.deepEqual(
      journal.body.items.map((e: any) => e.kind),
      ['redeem', 'burn'],
      'newest first',
    );
    const rest = await admin.get(
      `/api/v1/assets/${assetId}/journal?limit=10&cursor=${journal.body.nextCursor}`,
    );
    assert.deepEqual(
      rest.body.items.map((e: any) => e.kind),
      ['transfer', 'transfer', 'mint'],
    );
    assert.equal(rest.body.nextCursor, null);
  });

  test('every rule violation is a 422 naming the rule', async () => {
    const { assetId, investors } = await seedLedger(admin, {
      investors: 2,
      asset: { maxSupply: '500', allowedCountries: ['BE'] },
    });
    const [a, b] = investors as [string, string];
    assert.equal((await write('mint', assetId, { to: a, amount: '100' })).status, 201);
    assertError(await write('mint', assetId, { to: a, amount: '401' }), 422, 'max_supply_exceeded');
    assertError(
      await write('transfers', assetId, { from: a, to: b, amount: '101' }),
      422,
      'insufficient_balance',
    );
    assertError(await write('burn', assetId, { from: b, amount: '1' }), 422, 'insufficient_balance');

    const us = await admin.post('/api/v1/investors', { name: 'US', country: 'US', kycStatus: 'verified' });
    assertError(
      await write('transfers', assetId, { from: a, to: us.body.id, amount: '1' }),
      422,
      'country_not_allowed',
    );
    const pending = await admin.post('/api/v1/investors', { name: 'P', country: 'BE', kycStatus: 'pending' });
    assertError(
      await write('transfers', assetId, { from: a, to: pending.body.id, amount: '1' }),
      422,
      'kyc_not_verified',
    );
    await admin.patch(`/api/v1/investors/${b}`, { kycStatus: 'revoked' });
    assertError(await write('transfers', assetId, { from: a, to: b, amount: '1' }), 422, 'kyc_not_verified');
    assertError(
      await write('transfers', assetId, { from: a, to: '00000000-0000-7000-8000-00000000abcd', amount: '1' }),
      404,
      'investor_not_found',
    );

    await admin.post(`/api/v1/assets/${assetId}/status`, { status: 'paused' });
    assertError(await write('mint', assetId, { to: a, amount: '1' }), 422, 'asset_not_active');
    const draft = await admin.post('/api/v1/assets', {
      symbol: 'DRAFT1',
      name: 'd',
      type: 'fund',
      decimals: 0,
    });
    assertError(await write('mint', draft.body.id, { to: a, amount: '1' }), 422, 'asset_not_active');
    assertError(
      await write('mint', '00000000-0000-7000-8000-00000000abcd', { to: a, amount: '1' }),
      404,
      'asset_not_found',
    );

    const rows = await svc.sql('SELECT total_supply FROM assets WHERE id = $1', [assetId]);
    assert.equal(rows[0].total_supply, '100', 'no refused write changed the supply');
  });

  test('amounts must be positive base-unit integer strings', async () => {
    const { assetId, investors } = await seedLedger(admin, { investors: 1 });
    const to = investors[0];
    for (const amount of ['-5', '1.5', '1e6', '0x10', '', ' 7']) {
      assertError(await write('mint', assetId, { to, amount }), 400);
    }
    for (const amount of [5, 1.5, null, true]) {
      assertError(await write('mint', assetId, { to, amount }), 400, 'validation_failed');
    }
    assertError(await write('mint', assetId, { to, amount: '0' }), 400, 'invalid_amount');
    assertError(await write('mint', assetId, { to, amount: '007' }), 400, 'invalid_amount');
    assertError(await write('mint', assetId, { to, amount: (2n ** 256n).toString() }), 400, 'invalid_amount');
    assertError(await write('mint', assetId, { to, amount: '9'.repeat(500) }), 400);
    const max = (2n ** 256n - 1n).toString();
    const big = await write('mint', assetId, { to, amount: max });
    assert.equal(big.status, 201, '2^256-1 is a valid amount');
    assert.equal(big.body.totalSupply, max);
    assertError(await write('mint', assetId, { to, amount: '1' }), 422, 'max_supply_exceeded');
  });

  test('idempotency keys: required, replayed once, misuse is 422', async () => {
    const { assetId, investors } = await seedLedger(admin, { investors: 1 });
    const to = investors[0];
    assertError(
      await admin.post(`/api/v1/assets/${assetId}/mint`, { to, amount: '5' }),
      400,
      'idempotency_key_required',
    );
    assertError(
      await admin.post(
        `/api/v1/assets/${assetId}/mint`,
        { to, amount: '5' },
        { 'idempotency-key': 'x'.repeat(256) },
      ),
      400,
    );
    const key = idempotencyKey();
    const first = await write('mint', assetId, { to, amount: '5' }, key);
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('idempotent-replayed'), 'false');
    const again = await write('mint', assetId, { amount: '5', to }, key);
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(again.body, first.body, 'the replay returns the first result');
    assertError(await write('mint', assetId, { to, amount: '6' }, key), 422, 'idempotency_key_reused');
    assertError(await write('burn', assetId, { from: to, amount: '5' }, key), 422, 'idempotency_key_reused');
    const holders = await admin.get(`/api/v1/assets/${assetId}/holders`);
    assert.equal(holders.body.totalSupply, '5', 'applied exactly once');
    // A rejected write does not burn its key: fixing the request and retrying with it works.
    const key2 = idempotencyKey();
    assertError(await write('burn', assetId, { from: to, amount: '50' }, key2), 422, 'insufficient_balance');
    assert.equal((await write('burn', assetId, { from: to, amount: '5' }, key2)).status, 201);
  });

  test('every mutation leaves an audit row with actor and request id', async () => {
    const reply = await admin.post(
      '/api/v1/assets',
      { symbol: 'AUDIT1', name: 'a', type: 'fund', decimals: 0 },
      {
        'x-request-id': 'req-audit-test-1',
      },
    );
    assert.equal(reply.headers.get('x-request-id'), 'req-audit-test-1');
    const rows = await svc.sql('SELECT actor, action, request_id FROM audit_log WHERE entity_id = $1', [
      reply.body.id,
    ]);
    assert.deepEqual(rows, [
      {
        actor: '00000000-0000-7000-8000-000000000001',
        action: 'asset.create',
        request_id: 'req-audit-test-1',
      },
    ]);
    const { assetId, investors } = await seedLedger(admin, { investors: 1 });
    await write('mint', assetId, { to: investors[0], amount: '3' });
    const actions = (await svc.sql('SELECT action FROM audit_log ORDER BY seq')).map((r) => r.action);
    for (const action of [
      'asset.create',
      'asset.status',
      'investor.create',
      'ledger.mint',
      'api_key.create',
    ]) {
      assert.ok(actions.includes(action), `no ${action} audit row`);
    }
  });
});

describe('operations endpoints', () => {
  test('healthz, readyz, metrics and the OpenAPI document', async () => {
    assert.deepEqual((await svc.anonymous.get('/healthz')).body, { status: 'ok' });
    const ready = await svc.anonymous.get('/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.dependencies.database, 'up');
    const metrics = await svc.anonymous.get('/metrics');
    assert.match(metrics.body, /http_request_duration_seconds_bucket\{.*route="\/api\/v1\/assets\/:id".*\}/);
    assert.match(metrics.body, /dalp_ledger_operations_total\{kind="mint",outcome="applied"\} \d+/);
    assert.match(metrics.body, /dalp_ledger_operations_total\{kind="mint",outcome="rejected"\} \d+/);
    assert.match(metrics.body, /dalp_db_pool_connections\{state="in_use"\} \d+/);
    assert.match(metrics.body, /dalp_db_pool_connections\{state="waiting"\} \d+/);
    assert.match(metrics.body, /process_cpu_seconds_total/);
    const openapi = await svc.anonymous.get('/openapi.json');
    assert.equal(openapi.body.openapi, '3.0.3');
    for (const path of [
      '/api/v1/assets',
      '/api/v1/assets/{id}/transfers',
      '/api/v1/investors/{id}',
      '/api/v1/api-keys',
    ]) {
      assert.ok(openapi.body.paths[path], `OpenAPI lacks ${path}`);
    }
  });
});

describe('database outage', () => {
  test('requests fail fast with 503 + Retry-After, readiness drops, and both recover without a restart', async () => {
    await db.server.stop();
    try {
      const reply = await admin.post('/api/v1/investors', { name: 'x', country: 'BE', kycStatus: 'pending' });
      assertError(reply, 503, 'database_unavailable');
      assert.equal(reply.headers.get('retry-after'), '2');
      await waitUntil(
        'readyz to turn 503',
        async () => (await svc.anonymous.get('/readyz')).status === 503,
        10_000,
      );
      const ready = await svc.anonymous.get('/readyz');
      assert.equal(ready.body.dependencies.database, 'down');
      assert.equal(
        (await svc.anonymous.get('/healthz')).status,
        200,
        'liveness does not depend on the database',
      );
    } finally {
      await db.server.start();
    }
    await waitUntil(
      'readyz to recover',
      async () => (await svc.anonymous.get('/readyz')).status === 200,
      20_000,
    );
    assert.equal(
      (await admin.post('/api/v1/investors', { name: 'y', country: 'BE', kycStatus: 'pending' })).status,
      201,
    );
  });

  test('no request of this whole file produced a 500', async () => {
    const metrics = (await svc.anonymous.get('/metrics')).body as string;
    assert.doesNotMatch(metrics, /status_code="5(?!03)\d\d"/);
    const invariant = await svc.sql(
      `SELECT a.id FROM assets a LEFT JOIN balances b ON b.asset_id = a.id
       GROUP BY a.id, a.total_supply HAVING a.total_supply <> COALESCE(SUM(b.amount), 0)`,
    );
    assert.deepEqual(invariant, [], 'sum of balances equals total supply for every asset');
  });
});
