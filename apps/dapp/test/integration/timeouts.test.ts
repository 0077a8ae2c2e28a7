import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { assertErrorShape } from '../support/error-shape.ts';
import {
  openFilesUnder,
  seedLedger,
  startService,
  TestDatabase,
  type TestService,
  waitUntil,
} from '../support/helpers.ts';

// Clients that hold a connection without finishing their request (issue 20, defect 3): every phase of a
// request is bounded, and so is the number of connections. The limits are set small here so that the
// tests are quick; the bounds asserted are generous multiples of them (the machine is shared and slow).

const TIMEOUT_MS = 1000;
const MIN_RATE = 4096;
const MAX_CONNECTIONS = 8;
/** A connection the service should have closed after ~1 s is given this long before the test fails. */
const GRACE_MS = 30_000;

let db: TestDatabase;
let svc: TestService;
let assetId: string;
before(async () => {
  db = await TestDatabase.start();
  svc = await startService(await db.createDatabase(), {
    HTTP_HEADERS_TIMEOUT_MS: String(TIMEOUT_MS),
    HTTP_BODY_TIMEOUT_MS: String(TIMEOUT_MS),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: String(TIMEOUT_MS),
    UPLOAD_MIN_BYTES_PER_SECOND: String(MIN_RATE),
    HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
  });
  assetId = (await seedLedger(svc.admin, { investors: 0 })).assetId;
});
after(async () => {
  await svc?.close();
  await db?.destroy();
});

interface Connection {
  socket: Socket;
  /** Everything the service sent. */
  received(): string;
  /** Resolves with how long the connection lived once the service closed it. */
  closed: Promise<number>;
}

function open(service: TestService = svc): Promise<Connection> {
  const { hostname, port } = new URL(service.url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let data = '';
    const socket = connect({ host: hostname, port: Number(port) });
    const closed = new Promise<number>((done) => socket.on('close', () => done(Date.now() - started)));
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** Writes `text` one byte at a time, `everyMs` apart, until the socket closes or the text is sent. */
async function trickle(socket: Socket, text: string | Buffer, everyMs: number) {
  for (const byte of Buffer.from(text)) {
    if (socket.destroyed || !socket.writable) return;
    socket.write(Buffer.of(byte));
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const withinGrace = (what: string, closed: Promise<number>) =>
  Promise.race([
    closed,
    new Promise<number>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: still open after ${GRACE_MS} ms`)), GRACE_MS).unref(),
    ),
  ]);

function response(text: string): { status: number; body: unknown } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), body: body ? JSON.parse(body) : undefined };
}

describe('bounded request phases', () => {
  test('a JSON body trickled slower than the body timeout is answered 408 and its connection closed', async (t) => {
    const body = JSON.stringify({ name: 'Slow Body', country: 'BE', kycStatus: 'pending' });
    const connection = await open();
    connection.socket.write(
      `POST /api/v1/investors HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${svc.adminKey}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    void trickle(connection.socket, body, 200);
    const lived = await withinGrace('slow body', connection.closed);
    t.diagnostic(`a slow-body connection lived ${lived} ms (HTTP_BODY_TIMEOUT_MS=${TIMEOUT_MS})`);
    assertErrorShape(response(connection.received()), 408, 'request_timeout');
  });

  test('headers trickled slower than the headers timeout end with a 408 in the one error shape', async () => {
    const connection = await open();
    void trickle(
      connection.socket,
      `GET /api/v1/assets HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`,
      100,
    );
    await withinGrace('slow headers', connection.closed);
    assertErrorShape(response(connection.received()), 408, 'request_timeout');
  });

  test('an upload below the minimum transfer rate is cut with 408 and leaves nothing behind', async () => {
    const rowsBefore = await svc.sql('SELECT id FROM documents');
    const connection = await open();
    connection.socket.write(
      `POST /api/v1/assets/${assetId}/documents?name=slow.bin HTTP/1.1\r\nHost: x\r\n` +
        `Authorization: Bearer ${svc.adminKey}\r\nContent-Type: application/octet-stream\r\n` +
        'Transfer-Encoding: chunked\r\n\r\n',
    );
    // Fast for a while, then a trickle far below MIN_RATE (a body that never ends).
    connection.socket.write(`${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`);
    void (async () => {
      for (let i = 0; i < 600 && !connection.socket.destroyed; i++) {
        connection.socket.write('1\r\nx\r\n');
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await withinGrace('slow upload', connection.closed);
    assertErrorShape(response(connection.received()), 408, 'request_timeout');
    await waitUntil(
      'the upload to release its temp file',
      () => openFilesUnder(svc.runtime.config.dataDir).length === 0,
    );
    assert.deepEqual(await svc.sql('SELECT id FROM documents'), rowsBefore);
  });

  test('an upload at a fair rate that takes longer than the body timeout is stored', async () => {
    const connection = await open();
    const size = 24 * 1024;
    connection.socket.write(
      `POST /api/v1/assets/${assetId}/documents?name=steady.bin HTTP/1.1\r\nHost: x\r\n` +
        `Authorization: Bearer ${svc.adminKey}\r\nContent-Type: application/octet-stream\r\n` +
        `Content-Length: ${size}\r\nConnection: close\r\n\r\n`,
    );
    // 8 KiB every 250 ms: 32 KiB/s, eight times the minimum rate, for ~3 body timeouts in all.
    for (let sent = 0; sent < size; sent += 8192) {
      connection.socket.write('y'.repeat(8192));
      await new Promise((r) => setTimeout(r, 250));
      // Stretch the upload past the timeout in wall time without dropping below the rate.
      if (sent === 8192) await new Promise((r) => setTimeout(r, TIMEOUT_MS / 2));
    }
    await withinGrace('steady upload', connection.closed);
    const reply = response(connection.received());
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
  });

  test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const connection = await open();
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await withinGrace('idle keep-alive', connection.closed);
    assert.match(connection.received(), /^HTTP\/1\.1 200/);
  });
});

describe('connection cap', () => {
  // A service of its own, with the default (long) timeouts: the connections held must stay open.
  let capped: TestService;
  before(async () => {
    capped = await startService(await db.createDatabase(), { HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS) });
  });
  after(() => capped?.close());

  test('connections above HTTP_MAX_CONNECTIONS are closed at once; below it the service answers again', async () => {
    const held: Connection[] = [];
    for (let i = 0; i < MAX_CONNECTIONS + 2; i++) {
      const connection = await open(capped);
      // A request in progress (headers not finished) keeps the connection busy.
      connection.socket.write('GET /healthz HTTP/1.1\r\n');
      held.push(connection);
    }
    // The last two were accepted by the kernel and closed by the service, without an answer.
    await withinGrace('a connection over the cap', held.at(-1)!.closed);
    await withinGrace('a connection over the cap', held.at(-2)!.closed);
    assert.equal(held.at(-1)!.received(), '');
    assert.ok(
      held.slice(0, MAX_CONNECTIONS).every((c) => !c.socket.destroyed),
      'the connections under the cap stay open',
    );
    for (const connection of held) connection.socket.destroy();
    await waitUntil('the service to answer again', async () => (await fetch(`${capped.url}/healthz`)).ok);
  });
});
