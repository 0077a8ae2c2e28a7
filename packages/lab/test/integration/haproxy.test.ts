import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type Haproxy, startHaproxy } from '../../src/index.ts';

interface TinyBackend {
  name: string;
  port: number;
  server: Server;
  ready: boolean;
  served: number;
}

/** A stand-in `dapp` replica: /readyz follows `ready`, every other path answers with its name. */
async function tinyBackend(name: string): Promise<TinyBackend> {
  const backend = { name, port: 0, ready: true, served: 0 } as TinyBackend;
  backend.server = createServer((request, response) => {
    if (request.url === '/readyz') {
      response.statusCode = backend.ready ? 200 : 503;
      response.end();
      return;
    }
    backend.served++;
    response.end(name);
  });
  await new Promise<void>((resolve) => backend.server.listen(0, '127.0.0.1', resolve));
  backend.port = (backend.server.address() as { port: number }).port;
  return backend;
}

describe('HAProxy in front of HTTP replicas', () => {
  let a: TinyBackend;
  let b: TinyBackend;
  let c: TinyBackend;
  let haproxy: Haproxy;
  let url: string;

  before(async () => {
    [a, b, c] = await Promise.all([tinyBackend('a'), tinyBackend('b'), tinyBackend('c')]);
    haproxy = await startHaproxy({
      frontends: [
        { name: 'dapp', kind: 'http', backends: [a, b].map((x) => ({ name: x.name, port: x.port })) },
      ],
    });
    url = `http://127.0.0.1:${haproxy.port('dapp')}/api`;
    await haproxy.waitForServer('dapp', 'a', 'UP');
    await haproxy.waitForServer('dapp', 'b', 'UP');
  });
  after(async () => {
    await haproxy?.stop();
    for (const x of [a, b, c]) x?.server.closeAllConnections();
    await Promise.all([a, b, c].map((x) => new Promise((resolve) => x?.server.close(resolve))));
  });

  async function hits(count: number): Promise<Record<string, number>> {
    const seen: Record<string, number> = {};
    for (let i = 0; i < count; i++) {
      const response = await fetch(url);
      assert.equal(response.status, 200);
      const body = await response.text();
      seen[body] = (seen[body] ?? 0) + 1;
    }
    return seen;
  }

  test('balances over every ready backend', async () => {
    const seen = await hits(20);
    assert.ok((seen.a ?? 0) > 0 && (seen.b ?? 0) > 0, `both backends must serve: ${JSON.stringify(seen)}`);
  });

  test('a backend whose /readyz turns 503 stops receiving traffic within a few checks', async () => {
    b.ready = false;
    const started = Date.now();
    await haproxy.waitForServer('dapp', 'b', 'DOWN', 10_000);
    console.log(`haproxy: backend marked DOWN ${Date.now() - started} ms after /readyz turned 503`);
    const before = b.served;
    const seen = await hits(20);
    assert.deepEqual(seen, { a: 20 });
    assert.equal(b.served, before);
    b.ready = true;
    await haproxy.waitForServer('dapp', 'b', 'UP', 10_000);
  });

  test('reload adding a backend loses no request of a concurrent bounded loop', async () => {
    let ok = 0;
    const failures: string[] = [];
    const deadline = Date.now() + 20_000;
    let stop = false;
    const loop = (async () => {
      for (let i = 0; i < 2_000 && !stop && Date.now() < deadline; i++) {
        try {
          const response = await fetch(url);
          await response.text();
          if (response.status === 200) ok++;
          else failures.push(`status ${response.status}`);
        } catch (error) {
          failures.push(String((error as Error & { cause?: Error }).cause ?? error));
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const oldConfig = haproxy.config();
    await haproxy.reload([
      { name: 'dapp', kind: 'http', backends: [a, b, c].map((x) => ({ name: x.name, port: x.port })) },
    ]);
    assert.notEqual(haproxy.config(), oldConfig);
    await haproxy.waitForServer('dapp', 'c', 'UP');
    // Keep the loop running until the new backend has really served some of it.
    const servedBefore = c.served;
    while (c.served - servedBefore < 5 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    stop = true;
    await loop;
    assert.deepEqual(failures, []);
    assert.ok(ok > 0);
    assert.ok(c.served - servedBefore >= 5, 'the added backend must receive traffic after the reload');
    const states = await haproxy.serverStates();
    assert.deepEqual(
      states.map((s) => `${s.server}:${s.status}`),
      ['a:UP', 'b:UP', 'c:UP'],
    );
  });
});

describe('HAProxy configuration errors', () => {
  test('a name HAProxy cannot parse is refused before anything starts', async () => {
    await assert.rejects(
      startHaproxy({ frontends: [{ name: 'bad name', kind: 'http', backends: [] }] }),
      /invalid frontend or server name "bad name"/,
    );
  });
});
