import { readFileSync } from 'node:fs';
import { z } from 'zod';

// Every setting comes from the environment and is validated once at start, so a typo in a Helm value
// stops the pod with a message naming the variable instead of failing on the first request.

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const sslModes = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof sslModes)[number];

const envSchema = z.object({
  PORT: int(1, 65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DALP_DATA_DIR: z.string().min(1).default('./.dalp'),
  DALP_BOOTSTRAP_ADMIN_KEY: z
    .string()
    .min(24, 'must be at least 24 characters (use a random key)')
    .optional(),
  MIGRATE_ON_START: bool.default(true),
  DOCUMENT_MAX_BYTES: int(1, 5 * 1024 ** 3).default(25 * 1024 * 1024),
  // A week: the bytes of a deleted document outlive it as long as a point-in-time restore can reach back.
  DOCUMENT_PURGE_AFTER_HOURS: int(0, 87_600).default(168),
  // A second at least: a run takes the purge lock and reads the queue even when nothing is due.
  DOCUMENT_PURGE_INTERVAL_MS: int(1000, 86_400_000).default(15 * 60_000),
  SHUTDOWN_DRAIN_DELAY_MS: int(0, 600_000).default(0),
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(20_000),
  HEALTH_CHECK_INTERVAL_MS: int(100, 600_000).default(5000),
  HTTP_HEADERS_TIMEOUT_MS: int(100, 600_000).default(10_000),
  HTTP_BODY_TIMEOUT_MS: int(100, 600_000).default(10_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: int(100, 600_000).default(72_000),
  HTTP_MAX_CONNECTIONS: int(1, 1_000_000).default(1000),
  UPLOAD_MIN_BYTES_PER_SECOND: int(1, 1024 ** 3).default(8192),
  HEALTH_CHECK_TIMEOUT_MS: int(50, 60_000).default(2000),

  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATABASE_HOST: z.string().min(1).optional(),
  DATABASE_PORT: int(1, 65535).default(5432),
  DATABASE_NAME: z.string().min(1).optional(),
  DATABASE_USER: z.string().min(1).optional(),
  DATABASE_PASSWORD: z.string().optional(),
  DATABASE_PASSWORD_FILE: z.string().min(1).optional(),
  DATABASE_SSLMODE: z.enum(sslModes, { message: `must be one of ${sslModes.join(', ')}` }).optional(),
  DATABASE_SSLROOTCERT: z.string().min(1).optional(),
  DATABASE_POOL_MAX: int(1, 1000).default(10),
  DATABASE_CONNECT_TIMEOUT_MS: int(100, 120_000).default(5000),
  DATABASE_STATEMENT_TIMEOUT_MS: int(100, 3_600_000).default(15_000),
  DATABASE_CONNECTION_MAX_LIFETIME_SECONDS: int(0, 86_400).default(1800),

  CACHE_URL: z
    .string()
    .regex(/^(redis|rediss|memory):\/\//, 'must start with redis://, rediss:// or memory://')
    .default('memory://'),
  CACHE_SENTINELS: z
    .string()
    .regex(/^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/, 'must be host:port[,host:port...]')
    .optional(),
  CACHE_SENTINEL_MASTER: z.string().min(1).optional(),
  CACHE_USERNAME: z.string().min(1).optional(),
  CACHE_PASSWORD: z.string().optional(),
  CACHE_SENTINEL_PASSWORD: z.string().optional(),
  CACHE_TLS: bool.default(false),
  CACHE_TLS_CA_FILE: z.string().min(1).optional(),
  CACHE_SENTINEL_TLS: bool.optional(),
  CACHE_TTL_SECONDS: int(1, 86_400).default(60),
  RATE_LIMIT_PER_MINUTE: int(0, 10_000_000).default(0),
  API_KEY_CACHE_MS: int(0, 300_000).default(5000),
  AUTH_FAILURES_PER_MINUTE: int(0, 10_000_000).default(30),
  TRUST_PROXY: z
    .string()
    .regex(
      /^(true|false|\d+|[\da-fA-F.:/]+(,[\da-fA-F.:/]+)*)$/,
      'must be true, false, a hop count or addresses/CIDRs',
    )
    .default('false'),

  OBJECT_STORE_DRIVER: z.enum(['filesystem', 's3', 'azure']).optional(),
  OBJECT_STORE_CREATE_BUCKET: bool.default(false),
  S3_ENDPOINT: z.url({ message: 'must be a URL' }).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_BUCKET: z.string().min(3).optional(),
  S3_PREFIX: z.string().default(''),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_ACCESS_KEY_ID_FILE: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY_FILE: z.string().min(1).optional(),
  AZURE_STORAGE_CONNECTION_STRING: z.string().min(1).optional(),
  AZURE_STORAGE_CONTAINER: z.string().min(3).optional(),
});

export type Env = z.infer<typeof envSchema>;

export interface DatabaseConfig {
  /** Undefined means: start the embedded PostgreSQL. */
  external?: {
    connectionString?: string;
    host?: string;
    port: number;
    database?: string;
    user?: string;
    password?: string;
    /** Read on every new connection (rotation without a restart); never set together with `password`. */
    passwordFile?: string;
    sslMode: SslMode;
    sslRootCert?: string;
  };
  poolMax: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  /** A connection is closed (once idle) after this long, so every one authenticates again (0: never). */
  maxLifetimeSeconds: number;
}

export interface Config {
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  bootstrapAdminKey?: string;
  migrateOnStart: boolean;
  documentMaxBytes: number;
  /** How long the bytes of a deleted document stay in the store before the purge deletes them. */
  documentPurgeAfterHours: number;
  /** How often a serving replica runs the purge (one replica at a time). */
  documentPurgeIntervalMs: number;
  shutdown: { drainDelayMs: number; timeoutMs: number };
  /** Bounds on what one client can hold: each phase of a request, idle connections, their number. */
  http: {
    headersTimeoutMs: number;
    /** A JSON body must arrive whole within this; an upload must keep the minimum rate over each such window. */
    bodyTimeoutMs: number;
    keepAliveTimeoutMs: number;
    maxConnections: number;
    uploadMinBytesPerSecond: number;
  };
  /** Background dependency checks: how often, and how long one may take before it counts as down. */
  healthCheck: { intervalMs: number; timeoutMs: number };
  database: DatabaseConfig;
  cache: {
    url: string;
    sentinels?: Array<{ host: string; port: number }>;
    sentinelMaster?: string;
    username?: string;
    password?: string;
    sentinelPassword?: string;
    tls: boolean;
    /** TLS to the Sentinels themselves (default: as `tls`). */
    sentinelTls: boolean;
    tlsCaFile?: string;
    ttlSeconds: number;
  };
  rateLimitPerMinute: number;
  /** How long a replica trusts a key it verified: the bound on how long a revoked key keeps working. */
  apiKeyCacheMs: number;
  /** Failed authentications per client address per sliding minute before its keys go unchecked (0 = off). */
  authFailuresPerMinute: number;
  /** Fastify's trustProxy: whose X-Forwarded-For names the client address (false: the peer is the client). */
  trustProxy: boolean | string[];
  objectStore:
    | { driver: 'filesystem' }
    | {
        driver: 's3';
        createBucket: boolean;
        endpoint?: string;
        region: string;
        bucket: string;
        prefix: string;
        forcePathStyle: boolean;
        accessKeyId?: string;
        secretAccessKey?: string;
        accessKeyIdFile?: string;
        secretAccessKeyFile?: string;
      }
    | { driver: 'azure'; connectionString: string; container: string; prefix: string; createBucket: boolean };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

function sslModeFromUrl(url: string): SslMode | undefined {
  try {
    const mode = new URL(url).searchParams.get('sslmode');
    return (sslModes as readonly string[]).includes(mode ?? '') ? (mode as SslMode) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * DATABASE_PASSWORD_FILE is refused next to a password given another way (DATABASE_PASSWORD, or in
 * DATABASE_URL) rather than one of them silently winning: a fixed password left in the environment is
 * exactly what breaks the next rotation (the replica keeps logging in with the revoked one), and it
 * would go unnoticed until then. The file is read once here so that a missing, unreadable or empty file
 * stops the start with one line naming the variable and the path (never the content).
 */
function passwordFileProblems(env: Env): string[] {
  const problems: string[] = [];
  if (!env.DATABASE_URL && !env.DATABASE_HOST)
    problems.push('DATABASE_PASSWORD_FILE needs DATABASE_URL or DATABASE_HOST');
  if (env.DATABASE_PASSWORD !== undefined)
    problems.push('set either DATABASE_PASSWORD_FILE or DATABASE_PASSWORD, not both');
  if (env.DATABASE_URL && urlHasPassword(env.DATABASE_URL))
    problems.push('DATABASE_URL must not contain a password when DATABASE_PASSWORD_FILE is set');
  const problem = passwordFileProblem(env.DATABASE_PASSWORD_FILE!);
  if (problem) problems.push(problem);
  return problems;
}

function urlHasPassword(url: string): boolean {
  try {
    return new URL(url).password !== '';
  } catch {
    return false;
  }
}

/** Why the password file cannot be used, or undefined; names the path and the reason, never the content. */
export function passwordFileProblem(path: string): string | undefined {
  try {
    if (readPasswordFile(path) === '') return `DATABASE_PASSWORD_FILE ${path} is empty`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    return `DATABASE_PASSWORD_FILE ${path} cannot be read (${code})`;
  }
  return undefined;
}

/**
 * The password in the file, without the line end that `echo` and editors add (Kubernetes writes a
 * Secret's bytes as they are; a value created with `kubectl create secret --from-file` keeps its newline).
 */
export function readPasswordFile(path: string): string {
  return passwordOf(readFileSync(path, 'utf8'));
}

/** A password file's text without its one trailing line end (the password itself may end in spaces). */
export function passwordOf(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/** Parses the environment; throws ConfigError listing every bad variable (values are never echoed). */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings are how Kubernetes renders an unset optional value; treat them as absent.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`));
  }
  const env = parsed.data;
  const problems: string[] = [];

  if (env.DATABASE_URL && env.DATABASE_HOST)
    problems.push('set either DATABASE_URL or DATABASE_HOST, not both');
  const sslMode = env.DATABASE_SSLMODE ?? (env.DATABASE_URL ? sslModeFromUrl(env.DATABASE_URL) : undefined);
  if ((sslMode === 'verify-ca' || sslMode === 'verify-full') && !env.DATABASE_SSLROOTCERT) {
    problems.push(`DATABASE_SSLROOTCERT is required with DATABASE_SSLMODE=${sslMode}`);
  }
  if (env.DATABASE_PASSWORD_FILE) problems.push(...passwordFileProblems(env));
  if (env.HEALTH_CHECK_TIMEOUT_MS > env.HEALTH_CHECK_INTERVAL_MS) {
    problems.push('HEALTH_CHECK_TIMEOUT_MS must not exceed HEALTH_CHECK_INTERVAL_MS');
  }
  if (env.CACHE_SENTINELS && !env.CACHE_SENTINEL_MASTER) {
    problems.push('CACHE_SENTINEL_MASTER is required with CACHE_SENTINELS');
  }

  const driver = env.OBJECT_STORE_DRIVER ?? (env.S3_BUCKET ? 's3' : 'filesystem');
  // Keys live under `<prefix>/`; normalised here so every adapter can simply prepend it.
  const prefix = env.S3_PREFIX && !env.S3_PREFIX.endsWith('/') ? `${env.S3_PREFIX}/` : env.S3_PREFIX;
  let objectStore: Config['objectStore'] = { driver: 'filesystem' };
  if (driver === 's3') {
    if (!env.S3_BUCKET) problems.push('S3_BUCKET is required with OBJECT_STORE_DRIVER=s3');
    if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
      problems.push('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together');
    }
    objectStore = {
      driver: 's3',
      createBucket: env.OBJECT_STORE_CREATE_BUCKET,
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION,
      bucket: env.S3_BUCKET ?? '',
      prefix,
      forcePathStyle: env.S3_FORCE_PATH_STYLE,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      accessKeyIdFile: env.S3_ACCESS_KEY_ID_FILE,
      secretAccessKeyFile: env.S3_SECRET_ACCESS_KEY_FILE,
    };
  } else if (driver === 'azure') {
    if (!env.AZURE_STORAGE_CONNECTION_STRING) problems.push('AZURE_STORAGE_CONNECTION_STRING is required');
    if (!env.AZURE_STORAGE_CONTAINER) problems.push('AZURE_STORAGE_CONTAINER is required');
    objectStore = {
      driver: 'azure',
      connectionString: env.AZURE_STORAGE_CONNECTION_STRING ?? '',
      container: env.AZURE_STORAGE_CONTAINER ?? '',
      prefix,
      createBucket: env.OBJECT_STORE_CREATE_BUCKET,
    };
  }
  // Production mode (the image sets NODE_ENV=production) never falls back to the laptop defaults: each
  // replica would keep its own database, cache and documents.
  if (cleaned.NODE_ENV === 'production') {
    if (!env.DATABASE_URL && !env.DATABASE_HOST) {
      problems.push(
        'NODE_ENV=production needs DATABASE_URL or DATABASE_HOST (the embedded PostgreSQL is for laptops)',
      );
    }
    if (env.CACHE_URL.startsWith('memory://') && !env.CACHE_SENTINELS) {
      problems.push(
        'NODE_ENV=production needs CACHE_URL (redis:// or rediss://) or CACHE_SENTINELS (the in-process cache is for laptops)',
      );
    }
    if (driver === 'filesystem') {
      problems.push(
        'NODE_ENV=production needs S3_BUCKET or OBJECT_STORE_DRIVER=azure (the filesystem store is for laptops)',
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const cacheTls = env.CACHE_TLS || env.CACHE_URL.startsWith('rediss://');
  const external =
    env.DATABASE_URL || env.DATABASE_HOST
      ? {
          connectionString: env.DATABASE_URL,
          host: env.DATABASE_HOST,
          port: env.DATABASE_PORT,
          database: env.DATABASE_NAME,
          user: env.DATABASE_USER,
          password: env.DATABASE_PASSWORD,
          passwordFile: env.DATABASE_PASSWORD_FILE,
          sslMode: sslMode ?? 'disable',
          sslRootCert: env.DATABASE_SSLROOTCERT,
        }
      : undefined;

  return {
    port: env.PORT,
    host: env.HOST,
    logLevel: env.LOG_LEVEL,
    dataDir: env.DALP_DATA_DIR,
    bootstrapAdminKey: env.DALP_BOOTSTRAP_ADMIN_KEY,
    migrateOnStart: env.MIGRATE_ON_START,
    documentMaxBytes: env.DOCUMENT_MAX_BYTES,
    documentPurgeAfterHours: env.DOCUMENT_PURGE_AFTER_HOURS,
    documentPurgeIntervalMs: env.DOCUMENT_PURGE_INTERVAL_MS,
    shutdown: { drainDelayMs: env.SHUTDOWN_DRAIN_DELAY_MS, timeoutMs: env.SHUTDOWN_TIMEOUT_MS },
    http: {
      headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
      bodyTimeoutMs: env.HTTP_BODY_TIMEOUT_MS,
      keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: env.HTTP_MAX_CONNECTIONS,
      uploadMinBytesPerSecond: env.UPLOAD_MIN_BYTES_PER_SECOND,
    },
    healthCheck: { intervalMs: env.HEALTH_CHECK_INTERVAL_MS, timeoutMs: env.HEALTH_CHECK_TIMEOUT_MS },
    database: {
      external,
      poolMax: env.DATABASE_POOL_MAX,
      connectTimeoutMs: env.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
      maxLifetimeSeconds: env.DATABASE_CONNECTION_MAX_LIFETIME_SECONDS,
    },
    cache: {
      url: env.CACHE_URL,
      sentinels: env.CACHE_SENTINELS?.split(',').map((hp) => {
        const [host, port] = hp.split(':');
        return { host: host!, port: Number(port) };
      }),
      sentinelMaster: env.CACHE_SENTINEL_MASTER,
      username: env.CACHE_USERNAME,
      password: env.CACHE_PASSWORD,
      sentinelPassword: env.CACHE_SENTINEL_PASSWORD,
      tls: cacheTls,
      sentinelTls: env.CACHE_SENTINEL_TLS ?? cacheTls,
      tlsCaFile: env.CACHE_TLS_CA_FILE,
      ttlSeconds: env.CACHE_TTL_SECONDS,
    },
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    apiKeyCacheMs: env.API_KEY_CACHE_MS,
    authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
    trustProxy:
      env.TRUST_PROXY === 'true' ? true : env.TRUST_PROXY === 'false' ? false : env.TRUST_PROXY.split(','),
    objectStore,
  };
}
