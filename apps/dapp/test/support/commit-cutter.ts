import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy between the service and PostgreSQL that can lose the answer to a COMMIT: it forwards bytes
 * both ways and reads the server's side as PostgreSQL protocol messages (a type byte, then an int32
 * big-endian length that counts itself). Armed, it drops the connection at the next CommandComplete whose
 * tag is COMMIT: everything before that message reaches the client, the message and the rest never do,
 * and both sockets are destroyed. The server has committed by then; the client cannot know it.
 *
 * The client must not ask for TLS: the server's one-byte answer to an SSLRequest has no type or length.
 */
export interface CommitCutter {
  readonly port: number;
  /** COMMIT answers cut so far: a test that expects the fault checks it really happened. */
  readonly cuts: number;
  /** Cuts the next `count` COMMIT answers, on whichever connection they come. */
  arm(count?: number): void;
  close(): Promise<void>;
}

const COMMIT_TAG = Buffer.from('COMMIT\0');

export async function startCommitCutter(target: { host: string; port: number }): Promise<CommitCutter> {
  let armed = 0;
  let cuts = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A peer gone is the other side's business (the pair is torn down below); never an unhandled error.
    socket.on('error', () => undefined);
  };

  const server = createServer((client) => {
    const upstream = connect(target);
    track(client);
    track(upstream);
    const cut = (before: Buffer) => {
      client.write(before, () => client.destroy());
      upstream.destroy();
    };
    client.pipe(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());

    // The server's bytes not yet forwarded: at most one message that has not arrived whole.
    let pending: Buffer = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      if (client.destroyed) return;
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let offset = 0;
      while (pending.length - offset >= 5) {
        const length = pending.readInt32BE(offset + 1);
        const end = offset + 1 + length;
        if (end > pending.length) break;
        const type = String.fromCharCode(pending[offset]!);
        if (armed > 0 && type === 'C' && pending.subarray(offset + 5, end).equals(COMMIT_TAG)) {
          armed -= 1;
          cuts += 1;
          cut(pending.subarray(0, offset));
          return;
        }
        offset = end;
      }
      if (offset > 0) client.write(pending.subarray(0, offset));
      pending = pending.subarray(offset);
    });
  });
  server.on('connection', track);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    get cuts() {
      return cuts;
    },
    arm(count = 1) {
      armed += count;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
