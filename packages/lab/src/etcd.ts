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

/** One member of an etcd cluster: where it listens and who its peers are at first start. */
export interface EtcdMemberSpec {
  name: string;
  dataDir: string;
  host: string;
  clientPort: number;
  peerPort: number;
  /** `name=http://host:peerPort` of every member, this one included (read only at first start). */
  initialCluster: string[];
  /** Tells members of different clusters apart (a lab's members never join another lab's). */
  clusterToken?: string;
}

/** etcd's command line for one member. JSON logs (`zap`) so every line carries its timestamp. */
export function etcdArgs(spec: EtcdMemberSpec): string[] {
  const clientUrl = `http://${spec.host}:${spec.clientPort}`;
  const peerUrl = `http://${spec.host}:${spec.peerPort}`;
  return [
    '--name',
    spec.name,
    '--data-dir',
    spec.dataDir,
    '--listen-client-urls',
    clientUrl,
    '--advertise-client-urls',
    clientUrl,
    '--listen-peer-urls',
    peerUrl,
    '--initial-advertise-peer-urls',
    peerUrl,
    '--initial-cluster',
    spec.initialCluster.join(','),
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    spec.clusterToken ?? 'etcd-cluster',
    // A member cut off by a partition keeps raising its term; without pre-vote its return forces a new
    // election that can cost the Patroni leader its key renewal (etcd 3.5 turns it on by default).
    '--pre-vote',
    '--logger',
    'zap',
    '--log-level',
    'warn',
  ];
}

/** Whether the member at `clientUrl` reports itself healthy (it has a leader and a quorum). */
export async function etcdHealthy(clientUrl: string): Promise<boolean> {
  const response = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1_000) });
  const body = (await response.json()) as { health?: string };
  return response.ok && body.health === 'true';
}

/** Whether this member is the Raft leader right now (from its maintenance status). */
export async function etcdIsLeader(clientUrl: string): Promise<boolean> {
  const response = await fetch(`${clientUrl}/v3/maintenance/status`, {
    method: 'POST',
    body: '{}',
    signal: AbortSignal.timeout(1_000),
  });
  const body = (await response.json()) as { header?: { member_id?: string }; leader?: string };
  return body.leader !== undefined && body.leader === body.header?.member_id;
}

/**
 * A key's value read through the member at `clientUrl` with a linearizable read (etcd's default: it
 * goes through the Raft leader, so a member cut off from its quorum fails instead of answering stale
 * data); undefined when the key does not exist. Throws when the member cannot serve the read.
 */
export async function etcdGet(clientUrl: string, key: string): Promise<string | undefined> {
  const response = await fetch(`${clientUrl}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from(key).toString('base64') }),
    signal: AbortSignal.timeout(2_000),
  });
  const body = (await response.json()) as { kvs?: { value?: string }[]; error?: string; message?: string };
  if (!response.ok) throw new Error(`etcd ${clientUrl}: ${body.message ?? body.error ?? response.status}`);
  const value = body.kvs?.[0]?.value;
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
}

/** Starts a single-node etcd 3 cluster on loopback (the DCS Patroni elects its leader in). */
export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdServer> {
  const name = options.name ?? 'etcd0';
  const dir = makeTempDir('etcd');
  const clientPort = await freePort();
  const peerPort = await freePort();
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const logPath = join(dir.path, 'etcd.log');
  let etcd: ManagedProcess | undefined;
  try {
    etcd = spawnManaged({
      name: `etcd:${clientPort}`,
      command: ETCD_BINARY,
      args: etcdArgs({
        name,
        dataDir: join(dir.path, 'data'),
        host: '127.0.0.1',
        clientPort,
        peerPort,
        initialCluster: [`${name}=http://127.0.0.1:${peerPort}`],
      }),
      logPath,
      cwd: dir.path,
    });
    await waitFor(() => etcdHealthy(clientUrl), options.startTimeoutMs ?? 20_000, `etcd at ${clientUrl}`, {
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
