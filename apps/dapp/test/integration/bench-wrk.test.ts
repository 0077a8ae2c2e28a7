import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type HttpLoad, transferLoad } from '../../bench/dapp.bench.ts';
import { luaString, runWrk } from '../../bench/wrk.ts';

// The bench's HTTP figures come from runWrk, so it is checked against a server that counts and keeps what
// it receives: the request count and error count wrk reports, the headers of a static load, and the
// transfer requests the bench generates (well-formed, one idempotency key each, never across runs).

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base: string;
let received: Received[] = [];

before(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      const status = request.url === '/fail' ? 503 : request.method === 'POST' ? 201 : 200;
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server?.close();
});

const run = (load: HttpLoad, connections = 4) => {
  received = [];
  return runWrk({ ...load, connections, durationS: 1 });
};

/**
 * wrk stops with requests in flight: the server may have answered up to one more per connection.
 * More responses than connections shows the connections were reused for a load; how many fit in the
 * second is the machine's business, not this test's (a loaded CI machine manages far fewer than an idle one).
 */
function assertCounted(reported: number, connections = 4) {
  assert.ok(reported > connections, `a second of load is more than one request per connection: ${reported}`);
  assert.ok(
    received.length >= reported && received.length <= reported + connections,
    `wrk reported ${reported} responses, the server answered ${received.length}`,
  );
}

test('a static load: every request carries its headers, and the counts match the server', async () => {
  const result = await run({
    url: `${base}/ok`,
    headers: { Authorization: 'Bearer k-1', 'X-Extra': 'a "quoted" value' },
  });
  assertCounted(result.requests);
  assert.equal(result.errors, 0);
  for (const request of received) {
    assert.equal(request.url, '/ok');
    assert.equal(request.headers.authorization, 'Bearer k-1');
    assert.equal(request.headers['x-extra'], 'a "quoted" value');
  }
  // Units: rps is per second of wrk's own duration (about 1 s), latencies in milliseconds.
  const seconds = result.requests / result.rps;
  assert.ok(seconds > 0.5 && seconds < 5, `requests / rps is the run's length in seconds: ${seconds}`);
  assert.ok(result.p50Ms > 0 && result.p50Ms <= result.p99Ms && result.p99Ms < 1000, JSON.stringify(result));
  assert.ok(result.cpuSeconds > 0, 'wrk is a waited-for child, so its CPU is counted');
});

test('responses of 400 and above are errors', async () => {
  const result = await run({ url: `${base}/fail` });
  assertCounted(result.requests);
  assert.equal(result.errors, result.requests);
});

test('a Lua string holds any value: quotes, backslashes, line breaks and UTF-8 arrive as they were', async () => {
  const nasty = 'he said "hi" \\ and \\" then\r\nnew line ]] end -- ünï';
  const result = await run({
    url: base,
    requestLua: `local body = ${luaString(nasty)}
function request()
  return "POST /echo HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: " .. #body .. "\\r\\n\\r\\n" .. body
end`,
  });
  assertCounted(result.requests);
  assert.equal(result.errors, 0);
  for (const request of received) assert.equal(request.body, nasty);
});

test('transfer load: well-formed transfers between distinct holders, one idempotency key each, across runs', async () => {
  const investors = Array.from(
    { length: 50 },
    (_, i) => `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
  );
  const assetId = '11111111-1111-7111-8111-111111111111';
  const load = transferLoad(base, assetId, investors);
  const keys = new Set<string>();
  const senders = new Set<string>();
  let total = 0;
  for (let i = 0; i < 2; i++) {
    const result = await run(load);
    assertCounted(result.requests);
    assert.equal(result.errors, 0);
    for (const request of received) {
      assert.equal(request.method, 'POST');
      assert.equal(request.url, `/api/v1/assets/${assetId}/transfers`);
      assert.match(request.headers.authorization ?? '', /^Bearer \S+$/);
      assert.equal(request.headers['content-type'], 'application/json');
      const body = JSON.parse(request.body) as { from: string; to: string; amount: string };
      assert.deepEqual(Object.keys(body), ['from', 'to', 'amount']);
      assert.ok(investors.includes(body.from) && investors.includes(body.to), request.body);
      assert.notEqual(body.from, body.to, 'a holder never pays itself');
      assert.equal(body.amount, '1');
      senders.add(body.from);
      keys.add(String(request.headers['idempotency-key']));
      total += 1;
    }
  }
  assert.equal(keys.size, total, 'every transfer of both runs has its own idempotency key');
  assert.equal(senders.size, investors.length, 'senders are drawn from every holder');
});
