import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { freePort, type PostgresServer, startPostgres } from '@dalp/lab';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { pino } from 'pino';
import { Database } from '../../src/adapters/postgres/database.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { createRuntime, type Runtime, type RuntimeOverrides } from '../../src/runtime.ts';
import { validatorFor } from './openapi.ts';

export const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A tiny JSON client for the API under test. */
export class Client {
  constructor(
    readonly baseUrl: string,
    readonly key?: string,
  ) {}

  as(key: string | undefined): Client {
    return new Client(this.baseUrl, key);
  }

  async request<T = any>(
    method: string,
    path: string,
    options: { json?: unknown; body?: RequestInit['body']; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.json === 'string' ? options.json : JSON.stringify(options.json);
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body,
      duplex: 'half',
    } as RequestInit);
    const text = await response.text();
    let parsed: unknown = text;
    const contentType = response.headers.get('content-type');
    if (contentType?.includes('application/json') && text) parsed = JSON.parse(text);
    // Every answer the suite receives is checked against the service's own OpenAPI description.
    const problem = (await validatorFor(this.baseUrl))?.problem(
      method,
      path,
      response.status,
      contentType,
      parsed,
    );
    if (problem) throw new Error(`OpenAPI: ${problem}`);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, { headers });
  }
  post<T = any>(path: string, json?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, { json: json ?? {}, headers });
  }
  patch<T = any>(path: string, json: unknown) {
    return this.request<T>('PATCH', path, { json });
  }
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `dalp-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A PostgreSQL server for one test file, and a fresh database per service started on it. */
export class TestDatabase {
  private constructor(readonly server: PostgresServer) {}

  static async start(): Promise<TestDatabase> {
    return new TestDatabase(await startPostgres({ password: randomBytes(12).toString('hex') }));
  }

  async createDatabase(): Promise<string> {
    const name = `dalp_${randomBytes(6).toString('hex')}`;
    await this.server.query(`CREATE DATABASE ${name}`);
    return this.server.url({ database: name });
  }

  async destroy(): Promise<void> {
    await this.server.destroy();
  }
}

export interface TestService {
  runtime: Runtime;
  app: FastifyInstance;
  url: string;
  adminKey: string;
  admin: Client;
  anonymous: Client;
  /** Direct SQL on the service's database, for assertions the API does not expose. */
  sql<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/**
 * Starts the service in this process against `databaseUrl`, on a free port. With `logTo`, its log lines
 * (info and above) are written there, for tests that expect a line.
 */
export async function startService(
  databaseUrl: string,
  env: Record<string, string> = {},
  overrides: RuntimeOverrides = {},
  logTo?: NodeJS.WritableStream,
): Promise<TestService> {
  const data = tempDir('svc');
  // Replicas of one database share the bootstrap admin key, as they would share a Kubernetes secret.
  const adminKey =
    env.DALP_BOOTSTRAP_ADMIN_KEY ??
    `test-admin-${createHash('sha256').update(databaseUrl).digest('hex').slice(0, 32)}`;
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DALP_DATA_DIR: data.path,
    DALP_BOOTSTRAP_ADMIN_KEY: adminKey,
    LOG_LEVEL: 'silent',
    ...env,
  });
  const log = logTo
    ? pino({ level: 'info' }, logTo)
    : pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const runtime = await createRuntime(config, log, overrides);
  const app = await buildApp(runtime, log);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const direct = new Database({ connectionString: databaseUrl, max: 2 });
  return {
    runtime,
    app,
    url,
    adminKey,
    admin: new Client(url, adminKey),
    anonymous: new Client(url),
    sql: async <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
      (await direct.query<R>(text, values)).rows,
    close: async () => {
      await app.close();
      await runtime.close();
      await direct.close();
      data.remove();
    },
  };
}

/** A sink for a service's log (startService's `logTo`) and the JSON lines written to it so far. */
export function captureLog(): { stream: Writable; lines(): Array<Record<string, any>> } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return {
    stream,
    lines: () =>
      text
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line)),
  };
}

/** Creates an active asset and verified investors, the usual starting point of a ledger test. */
export async function seedLedger(
  client: Client,
  options: { investors?: number; country?: string; asset?: Record<string, unknown> } = {},
) {
  const symbol = `T${randomBytes(4).toString('hex').toUpperCase()}`;
  const asset = await client.post('/api/v1/assets', {
    symbol,
    name: `Test ${symbol}`,
    type: 'equity',
    decimals: 0,
    ...options.asset,
  });
  if (asset.status !== 201) throw new Error(`seed asset failed: ${JSON.stringify(asset.body)}`);
  const activated = await client.post(`/api/v1/assets/${asset.body.id}/status`, { status: 'active' });
  if (activated.status !== 200) throw new Error(`activate failed: ${JSON.stringify(activated.body)}`);
  const investors: string[] = [];
  for (let i = 0; i < (options.investors ?? 2); i++) {
    const inv = await client.post('/api/v1/investors', {
      name: `Investor ${i}`,
      country: options.country ?? 'BE',
      kycStatus: 'verified',
    });
    investors.push(inv.body.id);
  }
  return { assetId: asset.body.id as string, symbol, investors };
}

/**
 * A deterministic pseudo-random source (a linear congruential generator) that keeps a failing test
 * reproducible. It draws from the high bits: the low bits of this generator repeat with a short period.
 */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.floor(state / 65536) % n;
  };
}

let keyCounter = 0;
export function idempotencyKey(): string {
  keyCounter += 1;
  return `key-${process.pid}-${Date.now()}-${keyCounter}-${randomBytes(4).toString('hex')}`;
}

/** POST a transfer through a client, with a fresh idempotency key unless one is given. */
export function postTransfer(
  client: Client,
  assetId: string,
  from: string,
  to: string,
  amount: string,
  key = idempotencyKey(),
): Promise<Reply> {
  return client.post(`/api/v1/assets/${assetId}/transfers`, { from, to, amount }, { 'idempotency-key': key });
}

export interface ServiceProcess {
  child: ChildProcess;
  port: number;
  url: string;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `dapp` as a real child process (for start-up, restart and signal tests). */
export async function spawnService(
  env: Record<string, string>,
  args: string[] = [],
): Promise<ServiceProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, port, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface LoadResult {
  total: number;
  /** Status codes (or "network: <message>") of every request that was not 2xx. */
  failures: string[];
}

/**
 * A bounded closed-loop load: `concurrency` workers call `op` back to back until `durationMs` has passed
 * (and at most `maxRequests` in all, or until `signal` aborts). Used to prove that a fault causes no client-visible error.
 */
export async function runLoad(
  op: (i: number) => Promise<{ status: number }>,
  options: { durationMs: number; concurrency?: number; maxRequests?: number; signal?: AbortSignal },
): Promise<LoadResult> {
  const deadline = Date.now() + options.durationMs;
  const max = options.maxRequests ?? 50_000;
  let issued = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (Date.now() < deadline && issued < max && !options.signal?.aborted) {
      const i = issued++;
      try {
        const { status } = await op(i);
        if (status < 200 || status >= 300) failures.push(String(status));
      } catch (error) {
        failures.push(`network: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return { total: issued, failures };
}

/**
 * Uploads a document as a chunked stream (no Content-Length), `chunks` pieces from `nextChunk`, respecting
 * back-pressure. Resolves with the response, or rejects when the server cut the connection first.
 */
export function streamUpload(
  svc: Pick<TestService, 'url' | 'adminKey'>,
  path: string,
  chunks: number,
  nextChunk: () => Buffer,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${svc.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${svc.adminKey}`, 'content-type': 'application/octet-stream' },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < chunks) {
        sent += 1;
        if (!req.write(nextChunk())) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** How a client ends an upload it has sent whole: the ways issue 20's hostile client found leaks. */
export type UploadEnding = 'close' | 'reset' | 'extra-bytes' | 'bad-chunk';

/**
 * Sends a document upload over a raw socket, its body complete, then ends the connection the way `ending`
 * says without waiting for the answer: a client that timed out just after sending (close), a reset, bytes
 * after the declared body, or a malformed chunk of a chunked body.
 */
export function abandonUpload(
  svc: Pick<TestService, 'url' | 'adminKey'>,
  path: string,
  body: Buffer,
  ending: UploadEnding,
): Promise<void> {
  const { hostname, port } = new URL(svc.url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      const chunked = ending === 'bad-chunk';
      const head = [
        `POST ${path} HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        `Authorization: Bearer ${svc.adminKey}`,
        'Content-Type: application/octet-stream',
        chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`,
        '',
        '',
      ].join('\r\n');
      socket.write(head);
      if (chunked) {
        socket.write(`${body.length.toString(16)}\r\n`);
        socket.write(body);
        socket.write('\r\nzz-not-a-chunk-size\r\n');
      } else {
        socket.write(body);
        if (ending === 'extra-bytes') socket.write('GARBAGE / HTTP/1.1\r\n\r\n\0\0\0');
      }
      if (ending === 'reset') socket.resetAndDestroy();
      else socket.end();
      resolve();
    });
    socket.on('error', () => resolve());
    socket.on('data', () => undefined);
  });
}

/** Files of this process still open below `directory` (Linux /proc), to prove an upload released its own. */
export function openFilesUnder(directory: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(directory)) open.push(target);
    } catch {
      // closed between the listing and the read
    }
  }
  return open;
}

/**
 * Sends `text` as it is over a fresh connection (requests no HTTP client would send: no Host header, a
 * malformed request line) and resolves with the parsed answer once the service closes the connection or
 * has sent a whole response.
 */
export function rawRequest(
  svc: Pick<TestService, 'url'>,
  text: string,
): Promise<{ status: number; headers: Record<string, string>; text: string; body: unknown }> {
  const { hostname, port } = new URL(svc.url);
  return new Promise((resolve, reject) => {
    let data = '';
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.write(text));
    const done = () => {
      const split = data.indexOf('\r\n\r\n');
      const head = data.slice(0, split).split('\r\n');
      const body = data.slice(split + 4);
      const headers = Object.fromEntries(
        head.slice(1).map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      let parsed: unknown = body;
      try {
        parsed = body ? JSON.parse(body) : undefined;
      } catch {
        // not JSON: the test will say so
      }
      resolve({ status: Number(head[0]?.split(' ')[1]), headers, text: data, body: parsed });
    };
    socket.on('data', (chunk) => {
      data += chunk;
      const split = data.indexOf('\r\n\r\n');
      const length = /content-length:\s*(\d+)/i.exec(data.slice(0, split))?.[1];
      if (split >= 0 && length !== undefined && data.length - split - 4 >= Number(length)) {
        socket.destroy();
        done();
      }
    });
    socket.on('end', done);
    socket.on('error', reject);
  });
}

/** The problems loadConfig refuses `env` with (none when it accepts it). */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** The service's settings for an S3-compatible store started by the tests (path-style, its key pair). */
export const s3Env = (
  s3: {
    endpoint: string;
    region: string;
    bucket: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  },
  prefix = '',
) => ({
  OBJECT_STORE_DRIVER: 's3',
  S3_ENDPOINT: s3.endpoint,
  S3_REGION: s3.region,
  S3_BUCKET: s3.bucket,
  S3_FORCE_PATH_STYLE: 'true',
  S3_ACCESS_KEY_ID: s3.credentials.accessKeyId,
  S3_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  S3_PREFIX: prefix,
});
