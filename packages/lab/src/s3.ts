import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './ports.ts';
import { type ManagedProcess, makeTempDir, spawnManaged, waitFor } from './processes.ts';

const require = createRequire(import.meta.url);

/** s3rver accepts exactly this key pair (it checks signatures against it). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface S3Options {
  bucket?: string;
  port?: number;
  startTimeoutMs?: number;
}

export interface S3Server {
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: typeof S3RVER_CREDENTIALS;
  /** Where s3rver keeps objects; it survives `kill`/`start`. */
  readonly directory: string;
  readonly logPath: string;
  running(): boolean;
  /** Starts it again on the same port and directory. */
  start(): Promise<void>;
  /** SIGKILL: the store becomes unreachable (connection refused). */
  kill(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

function s3rverBin(): string {
  return join(dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
}

/** s3rver's command line (run with node). `--configure-bucket` is idempotent, so a restart on the same
 * directory keeps the objects. */
export function s3rverArgs(spec: {
  directory: string;
  host: string;
  port: number;
  bucket: string;
}): string[] {
  return [
    s3rverBin(),
    '-d',
    spec.directory,
    '-a',
    spec.host,
    '-p',
    String(spec.port),
    '--configure-bucket',
    spec.bucket,
  ];
}

/** Whether s3rver answers at `endpoint` (buckets are configured before it listens: any answer will do). */
export async function s3rverAnswers(endpoint: string): Promise<boolean> {
  await (await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1_000) })).arrayBuffer();
  return true;
}

/**
 * Whether the store at `endpoint` has `bucket`, asked without credentials: s3rver lists it (200), a
 * store that checks signatures refuses (403); either way it exists. 404 is NoSuchBucket.
 */
export async function storeServesBucket(endpoint: string, bucket: string): Promise<boolean> {
  const response = await fetch(`${endpoint}/${bucket}?max-keys=0`, { signal: AbortSignal.timeout(2_000) });
  await response.arrayBuffer();
  return response.status === 200 || response.status === 403;
}

/**
 * Runs s3rver in a child process (not in the test's own process) so an outage can be simulated by
 * killing it, and the same port and directory brought back afterwards.
 */
export async function startS3(options: S3Options = {}): Promise<S3Server> {
  const dir = makeTempDir('s3');
  const bucket = options.bucket ?? 'dalp-lab';
  const directory = join(dir.path, 'data');
  mkdirSync(directory);
  const logPath = join(dir.path, 's3rver.log');
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  let server: ManagedProcess | undefined;

  const start = async (): Promise<void> => {
    if (server?.running()) throw new Error(`s3rver on port ${port} is already running`);
    const current = spawnManaged({
      name: `s3rver:${port}`,
      command: process.execPath,
      args: s3rverArgs({ directory, host: '127.0.0.1', port, bucket }),
      logPath,
      cwd: dir.path,
    });
    server = current;
    try {
      await waitFor(
        () => s3rverAnswers(endpoint),
        options.startTimeoutMs ?? 15_000,
        `s3rver at ${endpoint}`,
        { process: current, intervalMs: 50 },
      );
    } catch (error) {
      await current.kill();
      throw error;
    }
  };

  try {
    await start();
  } catch (error) {
    dir.remove();
    throw error;
  }
  const stop = async (): Promise<void> => {
    await server?.stop(5_000);
  };
  return {
    endpoint,
    port,
    bucket,
    region: 'us-east-1',
    credentials: S3RVER_CREDENTIALS,
    directory,
    logPath,
    running: () => server?.running() ?? false,
    start,
    async kill() {
      await server?.kill();
    },
    stop,
    async destroy() {
      await stop();
      dir.remove();
    },
  };
}
