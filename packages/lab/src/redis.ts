import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RedisOptions as IORedisOptions, Redis } from 'ioredis';
import { freePort } from './ports.ts';
import { type ManagedProcess, makeTempDir, spawnManaged, type TempDir, waitFor } from './processes.ts';
import { createCertificates } from './tls.ts';

export const REDIS_SERVER_BINARY = process.env.DALP_LAB_REDIS_SERVER ?? '/usr/bin/redis-server';
export const REDIS_SENTINEL_BINARY = process.env.DALP_LAB_REDIS_SENTINEL ?? '/usr/bin/redis-sentinel';

export interface Address {
  host: string;
  port: number;
}

export interface RedisOptions {
  /** `requirepass` (and `masterauth`, so replicas of a protected primary can sync). */
  password?: string;
  /** Start as a replica of this primary. */
  replicaOf?: Address;
  /** Also listen with TLS on `tlsPort` (certificate from a fresh CA, see `caPath`). */
  tls?: boolean;
  /** Keep data across restarts with an append-only file (default: none, a pure cache). */
  persistence?: boolean;
  port?: number;
  startTimeoutMs?: number;
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly tlsPort: number | undefined;
  readonly caPath: string | undefined;
  readonly logPath: string;
  /** `redis://` URL of the plain port, or `rediss://` of the TLS port (password included if set). */
  url(options?: { tls?: boolean }): string;
  running(): boolean;
  /** Starts it again on the same port and directory (after `kill` or `stop`). */
  start(): Promise<void>;
  /** SIGKILL: the cache vanishes mid-flight. */
  kill(): Promise<void>;
  /** kill + start. */
  restart(): Promise<void>;
  /** Clean shutdown (SIGTERM). */
  stop(): Promise<void>;
  /** `INFO <section>` as key/value pairs. */
  info(section?: string): Promise<Record<string, string>>;
  destroy(): Promise<void>;
}

/** One short-lived client that fails fast instead of retrying (readiness checks, admin commands). */
export async function withRedisClient<T>(
  options: IORedisOptions,
  use: (client: Redis) => Promise<T>,
): Promise<T> {
  const client = new Redis({
    host: '127.0.0.1',
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    ...options,
  });
  // ioredis rejects connect() with a bare "Connection is closed" and reports the cause (ECONNREFUSED,
  // a certificate error) only as an 'error' event; keep it for the rejection.
  let cause: Error | undefined;
  client.on('error', (error: Error) => {
    cause = error;
  });
  try {
    try {
      await client.connect();
    } catch (error) {
      throw cause ?? error;
    }
    return await use(client);
  } finally {
    client.disconnect();
  }
}

function parseInfo(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) result[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return result;
}

/** Starts a redis-server on 127.0.0.1, configured through a file (the password stays out of `ps`). */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const dir = makeTempDir('redis');
  try {
    return await configureAndStart(dir, options);
  } catch (error) {
    dir.remove();
    throw error;
  }
}

/** Passwords go into a redis.conf between double quotes: refuse what would break out of them. */
function assertConfigSafe(what: string, value: string | undefined): void {
  if (value !== undefined && /["\\\r\n]/.test(value)) {
    throw new Error(`${what} must not contain quotes, backslashes or line breaks`);
  }
}

/** What every Redis and Sentinel process of the lab shares: loopback only, foreground, logs to stdout. */
function commonConfig(port: number, dir: string): string[] {
  return [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'daemonize no', 'logfile ""', 'protected-mode no'];
}

async function configureAndStart(dir: TempDir, options: RedisOptions): Promise<RedisServer> {
  assertConfigSafe('redis password', options.password);
  const port = options.port ?? (await freePort());
  const tlsPort = options.tls ? await freePort() : undefined;
  const certs = options.tls ? await createCertificates(dir.path, 'redis') : undefined;
  const lines = [
    ...commonConfig(port, dir.path),
    'save ""',
    `appendonly ${options.persistence ? 'yes' : 'no'}`,
    // Replicas of a restarted primary resync from scratch; keep that fast in the lab.
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
  ];
  if (options.password !== undefined) {
    lines.push(`requirepass "${options.password}"`, `masterauth "${options.password}"`);
  }
  if (options.replicaOf) lines.push(`replicaof ${options.replicaOf.host} ${options.replicaOf.port}`);
  if (certs && tlsPort) {
    lines.push(
      `tls-port ${tlsPort}`,
      `tls-cert-file ${certs.certPath}`,
      `tls-key-file ${certs.keyPath}`,
      `tls-ca-cert-file ${certs.caPath}`,
      // Clients authenticate with the password, not with certificates.
      'tls-auth-clients no',
    );
  }
  const configPath = join(dir.path, 'redis.conf');
  writeFileSync(configPath, `${lines.join('\n')}\n`, { mode: 0o600 });
  const logPath = join(dir.path, 'redis.log');
  const password = options.password;
  let server: ManagedProcess | undefined;

  const info = (section = 'server') =>
    withRedisClient({ port, password }, async (client) => parseInfo(await client.info(section)));

  const start = async (): Promise<void> => {
    if (server?.running()) throw new Error(`redis on port ${port} is already running`);
    const current = spawnManaged({
      name: `redis:${port}`,
      command: REDIS_SERVER_BINARY,
      args: [configPath],
      logPath,
      cwd: dir.path,
    });
    server = current;
    try {
      await waitFor(
        () => withRedisClient({ port, password }, async (client) => (await client.ping()) === 'PONG'),
        options.startTimeoutMs ?? 15_000,
        `redis on 127.0.0.1:${port}`,
        { process: current, intervalMs: 50 },
      );
    } catch (error) {
      await current.kill();
      throw error;
    }
  };

  const kill = async (): Promise<void> => {
    await server?.kill();
  };
  const stop = async (): Promise<void> => {
    await server?.stop(5_000);
  };

  await start();
  return {
    host: '127.0.0.1',
    port,
    tlsPort,
    caPath: certs?.caPath,
    logPath,
    url(opts = {}) {
      const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
      if (opts.tls) {
        if (tlsPort === undefined) throw new Error('this redis was started without tls');
        return `rediss://${auth}127.0.0.1:${tlsPort}`;
      }
      return `redis://${auth}127.0.0.1:${port}`;
    },
    running: () => server?.running() ?? false,
    start,
    kill,
    async restart() {
      await kill();
      await start();
    },
    stop,
    info,
    async destroy() {
      await stop();
      dir.remove();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Sentinel

export interface SentinelOptions {
  /** Password of the Redis primary and replica (sentinels use it as `auth-pass`). */
  password?: string;
  /** Password of the sentinels themselves. */
  sentinelPassword?: string;
  masterName?: string;
  /** `down-after-milliseconds` (default 1000: a failover in about 2.5 s here). */
  downAfterMs?: number;
  /** `failover-timeout` (default 3000). */
  failoverTimeoutMs?: number;
  startTimeoutMs?: number;
}

export interface Sentinel {
  readonly port: number;
  readonly logPath: string;
  running(): boolean;
  kill(): Promise<void>;
}

export interface RedisSentinelSet {
  readonly masterName: string;
  /** The Redis servers (index 0 started as primary, index 1 as its replica); roles change on failover. */
  readonly servers: readonly RedisServer[];
  readonly sentinels: readonly Sentinel[];
  /** `host:port` of every sentinel, as a client's sentinel list. */
  readonly sentinelAddresses: readonly Address[];
  /** The primary's address according to the first sentinel that answers. */
  masterAddress(): Promise<Address>;
  /** The server currently at the primary's address. */
  primary(): Promise<RedisServer>;
  /** SIGKILLs the current primary; returns its address. */
  killPrimary(): Promise<Address>;
  /** Waits until the sentinels name another primary and that server reports `role:master`. */
  waitForFailover(oldAddress: Address, timeoutMs?: number): Promise<Address>;
  stop(): Promise<void>;
}

/** Starts 1 primary, 1 replica and 3 sentinels (quorum 2), all on loopback. */
export async function startRedisSentinel(options: SentinelOptions = {}): Promise<RedisSentinelSet> {
  const masterName = options.masterName ?? 'lab-primary';
  const { password, sentinelPassword } = options;
  const timeout = options.startTimeoutMs ?? 30_000;
  assertConfigSafe('redis password', password);
  assertConfigSafe('sentinel password', sentinelPassword);
  const servers: RedisServer[] = [];
  const sentinels: (Sentinel & { stop(): Promise<void> })[] = [];
  const dir = makeTempDir('sentinel');

  const stop = async (): Promise<void> => {
    await Promise.all(sentinels.map((s) => s.stop()));
    await Promise.all(servers.map((s) => s.destroy()));
    dir.remove();
  };

  const askSentinel = async (port: number): Promise<Address> => {
    const reply = (await withRedisClient({ port, password: sentinelPassword }, (client) =>
      client.call('SENTINEL', 'get-master-addr-by-name', masterName),
    )) as [string, string] | null;
    if (!reply) throw new Error(`sentinel ${port} does not know ${masterName}`);
    return { host: reply[0], port: Number(reply[1]) };
  };

  const masterAddress = async (): Promise<Address> => {
    let lastError: unknown;
    for (const sentinel of sentinels) {
      if (!sentinel.running()) continue;
      try {
        return await askSentinel(sentinel.port);
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no sentinel answered for ${masterName}: ${(lastError as Error | undefined)?.message}`);
  };

  const serverAt = (address: Address): RedisServer => {
    const server = servers.find((s) => s.port === address.port);
    if (!server) throw new Error(`no lab redis at ${address.host}:${address.port}`);
    return server;
  };

  try {
    const primary = await startRedis({ password });
    servers.push(primary);
    servers.push(await startRedis({ password, replicaOf: { host: '127.0.0.1', port: primary.port } }));
    await waitFor(
      async () => (await servers[1]!.info('replication')).master_link_status === 'up',
      timeout,
      'the redis replica to sync with its primary',
      { intervalMs: 100 },
    );
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const configPath = join(dir.path, `sentinel-${port}.conf`);
      const logPath = join(dir.path, `sentinel-${port}.log`);
      const lines = [
        ...commonConfig(port, dir.path),
        `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1_000}`,
        `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 3_000}`,
        `sentinel parallel-syncs ${masterName} 1`,
      ];
      if (password !== undefined) lines.push(`sentinel auth-pass ${masterName} "${password}"`);
      if (sentinelPassword !== undefined) lines.push(`requirepass "${sentinelPassword}"`);
      // Sentinel rewrites its configuration file, so it must be a file of its own.
      writeFileSync(configPath, `${lines.join('\n')}\n`, { mode: 0o600 });
      const child = spawnManaged({
        name: `sentinel:${port}`,
        command: REDIS_SENTINEL_BINARY,
        args: [configPath],
        logPath,
        cwd: dir.path,
      });
      sentinels.push({
        port,
        logPath,
        running: () => child.running(),
        kill: () => child.kill(),
        stop: () => child.stop(5_000),
      });
    }
    // A failover needs a quorum that knows the replica and each other (discovered via hello messages).
    for (const sentinel of sentinels) {
      await waitFor(
        () =>
          withRedisClient({ port: sentinel.port, password: sentinelPassword }, async (client) => {
            const flat = (await client.call('SENTINEL', 'master', masterName)) as string[];
            const fields = new Map<string, string>();
            for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
            return fields.get('num-slaves') === '1' && fields.get('num-other-sentinels') === '2';
          }),
        timeout,
        `sentinel ${sentinel.port} to discover the replica and the other sentinels`,
        { intervalMs: 200 },
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    masterName,
    servers,
    sentinels,
    sentinelAddresses: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    masterAddress,
    primary: async () => serverAt(await masterAddress()),
    async killPrimary() {
      const address = await masterAddress();
      await serverAt(address).kill();
      return address;
    },
    async waitForFailover(oldAddress, timeoutMs = 30_000) {
      return waitFor(
        async () => {
          const address = await masterAddress();
          if (address.port === oldAddress.port && address.host === oldAddress.host) return undefined;
          const role = (await serverAt(address).info('replication')).role;
          return role === 'master' ? address : undefined;
        },
        timeoutMs,
        `sentinels to promote a primary other than ${oldAddress.host}:${oldAddress.port}`,
        { intervalMs: 50 },
      );
    },
    stop,
  };
}
