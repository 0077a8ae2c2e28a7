import { createHash } from 'node:crypto';
import { unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedDatabaseError } from './errors.ts';

/** What a running service tells a second one that wants the same data directory. */
export interface Owner {
  pid: number;
  /** The HTTP port it serves on. */
  port?: number;
}

export interface OwnerLock {
  release(): Promise<void>;
}

/**
 * One service per data directory, held as a listening Unix socket. On Linux the socket lives in the
 * abstract namespace: the kernel frees it the instant its process dies, however it dies (kill -9
 * included), so a lock is never stale, and no file is involved. Elsewhere it is a socket file in the temp
 * dir, which a killed service leaves behind; a connection refused there means nobody holds it.
 * A second start connects and learns the owner's PID and port. (A pidfile would need PID-reuse guesswork;
 * flock(2) is not reachable from Node without a native module.)
 */
export async function acquireOwnerLock(dataDir: string, owner: Owner): Promise<OwnerLock> {
  const key = createHash('sha256').update(dataDir).digest('hex').slice(0, 32);
  const abstract = process.platform === 'linux';
  const address = abstract ? `\0dalp-embedded-${key}` : join(tmpdir(), `dalp-embedded-${key}.sock`);
  for (let attempt = 1; attempt <= 5; attempt++) {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(`${JSON.stringify(owner)}\n`);
    });
    const error = await listen(server, address);
    if (!error) {
      // The lock must not keep a process alive that is otherwise done.
      server.unref();
      return {
        release: () =>
          new Promise((resolve) => {
            server.close(() => resolve());
          }),
      };
    }
    if (error.code !== 'EADDRINUSE') {
      throw new EmbeddedDatabaseError(
        `cannot lock the data directory ${dataDir} (${error.code ?? error.message}); check that it is not shared between machines`,
      );
    }
    const holder = await askOwner(address);
    if (holder) {
      const port = holder.port ? `, port ${holder.port}` : '';
      throw new EmbeddedDatabaseError(
        `another dapp (PID ${holder.pid}${port}) is already running on the data directory ${dataDir}; use that one, stop it first (kill ${holder.pid}), or start this one with another DALP_DATA_DIR`,
      );
    }
    // Nobody answered: a socket file left by a killed service, or an owner exiting right now.
    if (!abstract) await unlink(address).catch(() => undefined);
    await sleep(100 * attempt);
  }
  throw new EmbeddedDatabaseError(
    `cannot lock the data directory ${dataDir}: it is held, but its holder does not answer; try again in a moment`,
  );
}

function listen(server: Server, path: string): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ path, exclusive: true }, () => resolve(undefined));
  });
}

async function askOwner(path: string): Promise<Owner | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const socket = createConnection({ path });
    socket.setTimeout(2000, () => socket.destroy());
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => {
      try {
        const owner = JSON.parse(text) as Owner;
        resolve(Number.isInteger(owner.pid) ? owner : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}
