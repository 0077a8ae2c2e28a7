import { join } from 'node:path';
import { freePort } from './ports.ts';
import { type ManagedProcess, makeTempDir, spawnManaged, waitFor } from './processes.ts';

export const ETCD_BINARY = process.env.DALP_LAB_ETCD ?? '/usr/bin/etcd';

export interface EtcdOptions {
  name?: string;
  startTimeoutMs?: number;
}

export interface EtcdServer {
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** `http://127.0.0.1:<clientPort>` */
  readonly clientUrl: string;
  readonly logPath: string;
  running(): boolean;
  stop(): Promise<void>;
}

async function healthy(clientUrl: string): Promise<boolean> {
  const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1_000) });
  const body = (await response.json()) as { health?: string };
  return response.ok && body.health === 'true';
}

/** Starts a single-node etcd 3 cluster on loopback (the DCS Patroni elects its leader in). */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdServer> {
  const name = options.name ?? 'etcd0';
  const dir = makeTempDir('etcd');
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const logPath = join(dir.path, 'etcd.log');
  let etcd: ManagedProcess | undefined;
  try {
    etcd = spawnManaged({
      name: `etcd:${clientPort}`,
      command: ETCD_BINARY,
      args: [
        '--name',
        name,
        '--data-dir',
        join(dir.path, 'data'),
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `${name}=${peerUrl}`,
        '--initial-cluster-state',
        'new',
        '--log-level',
        'warn',
      ],
      logPath,
      cwd: dir.path,
    });
    await waitFor(() => healthy(clientUrl), options.startTimeoutMs ?? 20_000, `etcd at ${clientUrl}`, {
      process: etcd,
    });
  } catch (error) {
    await etcd?.kill();
    dir.remove();
    throw error;
  }
  const started = etcd;
  return {
    name,
    clientPort,
    peerPort,
    clientUrl,
    logPath,
    running: () => started.running(),
    async stop() {
      await started.stop(5_000);
      dir.remove();
    },
  };
}
