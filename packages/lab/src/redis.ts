import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RedisOptions as IORedisOptions, Redis } from 'ioredis';
import { freePort } from './ports.ts';
import { type ManagedProcess, makeTempDir, spawnManaged, type TempDir, waitFor } from './processes.ts';
import { type Certificates, createCertificates } from './tls.ts';

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
  /** With `tls`: serve these certificates instead of a fresh CA's, and replicate over TLS (a TLS group). */
  certificates?: Certificates;
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

/** `INFO` output as key/value pairs. */
export function parseInfo(text: string): Record<string, string> {
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

/** What every Redis and Sentinel process of the lab shares: one address, foreground, logs to stdout. */
function commonConfig(port: number, dir: string, bind = '127.0.0.1'): string[] {
  return [`port ${port}`, `bind ${bind}`, `dir ${dir}`, 'daemonize no', 'logfile ""', 'protected-mode no'];
}

/** Everything one redis-server's configuration file depends on (TLS files come from `tls`). */
export interface RedisConfigSpec {
  port: number;
  bind?: string;
  dir: string;
  password?: string;
  replicaOf?: Address;
  persistence?: boolean;
  /** TLS on `port`; `group`: one TLS group (replication over TLS, the TLS port announced to the primary). */
  tls?: { port: number; certs: Certificates; group?: boolean };
}

/** The lines of a redis.conf for one server (a pure cache unless `persistence`). */
export function redisConfigLines(spec: RedisConfigSpec): string[] {
  assertConfigSafe('redis password', spec.password);
  const lines = [
    ...commonConfig(spec.port, spec.dir, spec.bind),
    'save ""',
    `appendonly ${spec.persistence ? 'yes' : 'no'}`,
    // Replicas of a restarted primary resync from scratch; keep that fast in the lab.
    'repl-diskless-sync yes',
    'repl-diskless-sync-delay 0',
  ];
  if (spec.password !== undefined) {
    lines.push(`requirepass "${spec.password}"`, `masterauth "${spec.password}"`);
  }
  if (spec.replicaOf) lines.push(`replicaof ${spec.replicaOf.host} ${spec.replicaOf.port}`);
  if (spec.tls) {
    lines.push(...tlsConfig(spec.tls.port, spec.tls.certs));
    // One TLS group: replication runs over TLS, and a replica tells its primary (and so the sentinels)
    // its TLS port.
    if (spec.tls.group) lines.push('tls-replication yes', `replica-announce-port ${spec.tls.port}`);
  }
  return lines;
}

/** Everything one Sentinel's configuration file depends on. */
export interface SentinelConfigSpec {
  port: number;
  bind?: string;
  dir: string;
  masterName: string;
  primary: Address;
  quorum: number;
  downAfterMs: number;
  failoverTimeoutMs: number;
  /** Password of the monitored Redis servers. */
  password?: string;
  /** Password of the Sentinel itself. */
  sentinelPassword?: string;
  /** TLS only, on `port` (the plain port is closed): a client that does not speak TLS gets nowhere. */
  certs?: Certificates;
}

/** The lines of one Sentinel's configuration file (Sentinel rewrites it: one file per Sentinel). */
export function sentinelConfigLines(spec: SentinelConfigSpec): string[] {
  assertConfigSafe('redis password', spec.password);
  assertConfigSafe('sentinel password', spec.sentinelPassword);
  const { masterName } = spec;
  const lines = [
    ...commonConfig(spec.certs ? 0 : spec.port, spec.dir, spec.bind),
    `sentinel monitor ${masterName} ${spec.primary.host} ${spec.primary.port} ${spec.quorum}`,
    `sentinel down-after-milliseconds ${masterName} ${spec.downAfterMs}`,
    `sentinel failover-timeout ${masterName} ${spec.failoverTimeoutMs}`,
    `sentinel parallel-syncs ${masterName} 1`,
  ];
  if (spec.password !== undefined) lines.push(`sentinel auth-pass ${masterName} "${spec.password}"`);
  if (spec.sentinelPassword !== undefined) lines.push(`requirepass "${spec.sentinelPassword}"`);
  if (spec.certs) lines.push(...tlsConfig(spec.port, spec.certs), 'tls-replication yes');
  return lines;
}

/** TLS on `port` with these certificates; clients authenticate with the password, not certificates. */
function tlsConfig(port: number, certs: Certificates): string[] {
  return [
    `tls-port ${port}`,
    `tls-cert-file ${certs.certPath}`,
    `tls-key-file ${certs.keyPath}`,
    `tls-ca-cert-file ${certs.caPath}`,
    'tls-auth-clients no',
  ];
}

async function configureAndStart(dir: TempDir, options: RedisOptions): Promise<RedisServer> {
  assertConfigSafe('redis password', options.password);
  const port = options.port ?? (await freePort());
  const tlsPort = options.tls ? await freePort() : undefined;
  const certs = options.tls
    ? (options.certificates ?? (await createCertificates(dir.path, 'redis')))
    : undefined;
  const lines = redisConfigLines({
    port,
    dir: dir.path,
    password: options.password,
    replicaOf: options.replicaOf,
    persistence: options.persistence,
    tls: certs && tlsPort ? { port: tlsPort, certs, group: options.certificates !== undefined } : undefined,
  });
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
  /** `down-after-milliseconds` (default 1000, short so that tests see a failover quickly; docs/lab.md). */
  downAfterMs?: number;
  /** `failover-timeout` (default 3000). */
  failoverTimeoutMs?: number;
  /**
   * TLS throughout, one CA (`caPath`): the sentinels serve TLS only, monitor the servers' TLS ports and
   * reach them over TLS; the servers replicate over TLS (their plain ports stay for the lab's own checks).
   */
  tls?: boolean;
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
  /** With `tls`: the CA of every server's and sentinel's certificate. */
  readonly caPath: string | undefined;
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
  const certs = options.tls ? await createCertificates(dir.path, 'redis-sentinel') : undefined;
  const sentinelTls = certs && { ca: readFileSync(certs.caPath) };

  const stop = async (): Promise<void> => {
    await Promise.all(sentinels.map((s) => s.stop()));
    await Promise.all(servers.map((s) => s.destroy()));
    dir.remove();
  };

  const askSentinel = async (port: number): Promise<Address> => {
    const reply = (await withRedisClient({ port, password: sentinelPassword, tls: sentinelTls }, (client) =>
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
    const server = servers.find((s) => s.port === address.port || s.tlsPort === address.port);
    if (!server) throw new Error(`no lab redis at ${address.host}:${address.port}`);
    return server;
  };

  try {
    const tls = certs && { tls: true, certificates: certs };
    const primary = await startRedis({ password, ...tls });
    servers.push(primary);
    // In a TLS group the sentinels know the servers by their TLS ports.
    const monitored = certs ? primary.tlsPort! : primary.port;
    servers.push(await startRedis({ password, ...tls, replicaOf: { host: '127.0.0.1', port: monitored } }));
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
      const lines = sentinelConfigLines({
        port,
        dir: dir.path,
        masterName,
        primary: { host: '127.0.0.1', port: monitored },
        quorum: 2,
        downAfterMs: options.downAfterMs ?? 1_000,
        failoverTimeoutMs: options.failoverTimeoutMs ?? 3_000,
        password,
        sentinelPassword,
        certs,
      });
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
          withRedisClient(
            { port: sentinel.port, password: sentinelPassword, tls: sentinelTls },
            async (client) => {
              const flat = (await client.call('SENTINEL', 'master', masterName)) as string[];
              const fields = new Map<string, string>();
              for (let i = 0; i + 1 < flat.length; i += 2) fields.set(flat[i]!, flat[i + 1]!);
              return fields.get('num-slaves') === '1' && fields.get('num-other-sentinels') === '2';
            },
          ),
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
    caPath: certs?.caPath,
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
