import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify from 'fastify';
import { pino } from 'pino';
import { loggerOptions, RequestLogger, withLazyRequestLoggers } from '../../src/http/request-logger.ts';

/** A real pino logger with the service's options, writing JSON lines into an array. */
function capture(level: string) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const parent = pino(loggerOptions(level), stream);
  // The parent as the service passes it, counting the children made from it.
  let children = 0;
  const counted = Object.create(parent) as typeof parent;
  counted.child = ((...args: Parameters<typeof parent.child>) => {
    children += 1;
    return parent.child(...args);
  }) as typeof parent.child;
  return { parent: counted, lines, children: () => children };
}

test('lines below the level are dropped without creating a child logger', () => {
  const { parent, lines, children } = capture('warn');
  const log = new RequestLogger(parent, { reqId: 'r-1' }, {});
  log.info({ req: { url: '/x' } }, 'incoming request');
  log.debug('detail');
  assert.equal(log.level, 'warn');
  assert.deepEqual(lines, []);
  assert.equal(children(), 0, 'a request that writes nothing does not pay for a child logger');
});

test('lines at the level carry the request id, keep redaction, and share one child', () => {
  const { parent, lines, children } = capture('warn');
  const log = new RequestLogger(parent, { reqId: 'r-2' }, {});
  log.warn({ headers: { authorization: 'Bearer secret-key' } }, 'first');
  log.error({ err: new Error('boom') }, 'second %s', 'formatted');
  log.info('dropped: below warn');
  assert.equal(children(), 1);
  assert.deepEqual(
    lines.map((l) => [l.reqId, l.msg]),
    [
      ['r-2', 'first'],
      ['r-2', 'second formatted'],
    ],
  );
  assert.deepEqual(lines[0]!.headers, { authorization: '[redacted]' });
  assert.equal((lines[1]!.err as { message: string }).message, 'boom');
});

test('a level set on the request logger applies to it alone', () => {
  const { parent, lines } = capture('warn');
  const log = new RequestLogger(parent, { reqId: 'r-3' }, {});
  log.level = 'debug';
  log.debug('now visible');
  new RequestLogger(parent, { reqId: 'r-4' }, {}).debug('still hidden');
  assert.equal(parent.level, 'warn');
  assert.deepEqual(
    lines.map((l) => [l.reqId, l.msg]),
    [['r-3', 'now visible']],
  );
  const grandchild = log.child({ part: 'upload' });
  grandchild.warn('nested');
  const last = lines.at(-1)!;
  assert.deepEqual([last.reqId, last.part, last.msg], ['r-3', 'upload', 'nested']);
});

test('Fastify gives each request a lazy logger carrying its request id; server lines have none', async () => {
  const { parent, lines } = capture('warn');
  // At warn, Fastify's own per-request lines (info) are below the level.
  const app = Fastify({ loggerInstance: withLazyRequestLoggers(parent) });
  app.get('/quiet', async () => ({}));
  app.get('/loud', async (request) => {
    request.log.warn('handled');
    return {};
  });
  await app.ready();
  app.log.warn('server line');
  // Request loggers are made from the server's logger (Fastify's child adding its serializers): count them.
  assert.ok(app.log instanceof RequestLogger);
  const server = app.log.materialize();
  let made = 0;
  const child = server.child.bind(server);
  server.child = (...args: Parameters<typeof child>) => {
    made += 1;
    return child(...args);
  };
  await app.inject({ url: '/quiet' });
  assert.equal(made, 0, 'a request that logs nothing creates no child');
  await app.inject({ url: '/loud' });
  await app.close();
  assert.equal(made, 1);
  const handled = lines.find((l) => l.msg === 'handled');
  assert.equal(typeof handled?.reqId, 'string');
  assert.equal(lines.find((l) => l.msg === 'server line')?.reqId, undefined);
});
