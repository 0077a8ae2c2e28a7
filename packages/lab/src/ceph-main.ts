// The lab's object store when it must keep object versions (`dalp lab up --object-store ceph-rgw`):
// a one-OSD Ceph cluster (a monitor, a BlueStore OSD on a file, the RADOS Gateway) from Debian's
// packages. s3rver, the default store, has no versioning; the RADOS Gateway implements S3 versioning
// and lifecycle rules as production S3 does, so a restore to a time T can bring each document's object
// back as it was at T (docs/backup-restore.md). The gateway answers plain HTTP on the store's port (the
// dapp replicas) and HTTPS on its second port (pgBackRest), with the same key pair as s3rver's.
//
// The three daemons run in the foreground as this process's children, so they share its process group:
// the lab stops, kills and restarts the store as one component, and the cluster's files (the monitor's
// store, the OSD's block file) stay in <directory> across restarts. The first start creates the
// cluster, the gateway's user and the buckets; the first bucket named gets versioning and a lifecycle
// rule for noncurrent versions.
//
// Usage: ceph-main.ts <directory> <host> <port> <tls-port> <key> <cert> <versioned-bucket> <bucket>...
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { waitFor } from './processes.ts';
import { S3RVER_CREDENTIALS } from './s3.ts';

const run = promisify(execFile);

/** Noncurrent versions are kept this long: longer than the lab's restore window (docs/backup-restore.md). */
const NONCURRENT_VERSION_DAYS = 14;
// The monitor's port: Ceph's own in the lab (the store has its node's address to itself); tests running
// the store on the host's loopback pass a free one.
const MON_PORT = Number(process.env.DALP_CEPH_MON_PORT ?? 3300);

const [directory, host, port, tlsPort, key, cert, versioned, ...others] = process.argv.slice(2);
if (!directory || !host || !port || !tlsPort || !key || !cert || !versioned) {
  process.stderr.write(
    'usage: ceph-main.ts <directory> <host> <port> <tls-port> <key> <cert> <versioned-bucket> <bucket>...\n',
  );
  process.exit(2);
}
const conf = join(directory, 'ceph.conf');
const children: ChildProcess[] = [];

let stopping = false;
/** SIGTERM to every daemon, SIGKILL to those still running 10 s later, then exit: a restart on the same
 * ports and files must not meet the previous gateway still listening. */
function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const child of running) child.kill('SIGTERM');
  const force = setTimeout(() => {
    for (const child of running) child.kill('SIGKILL');
  }, 10_000);
  void Promise.all(running.map((c) => new Promise((r) => c.once('exit', r)))).then(() => {
    clearTimeout(force);
    process.exit(code);
  });
  if (running.length === 0) process.exit(code);
}
process.on('SIGTERM', () => stopAll(0));
process.on('SIGINT', () => stopAll(0));

/** A daemon in the foreground, its output appended to <directory>/<name>.out; the store ends with it. */
function daemon(name: string, command: string, args: string[]): void {
  const out = openSync(join(directory!, `${name}.out`), 'a');
  const child = spawn(command, ['-f', '-c', conf, ...args], { stdio: ['ignore', out, out] });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`${name} exited (${signal ?? code}); the object store stops\n`);
    stopAll(1);
  });
  children.push(child);
}

const ceph = async (...args: string[]) =>
  (await run('ceph', ['-c', conf, '--connect-timeout', '10', ...args], { timeout: 30_000 })).stdout;

/** Waits as the lab's starters do; a daemon that never gets ready stops the whole store. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  try {
    await waitFor(check, 120_000, what, { intervalMs: 500 });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    stopAll(1);
    await new Promise(() => undefined);
  }
}

/** ceph.conf and the keyrings, the monitor's store and the OSD's id: once, on the first start. */
async function createCluster(): Promise<void> {
  const fsid = randomUUID();
  for (const dir of ['mon', 'osd', 'run']) mkdirSync(join(directory!, dir), { recursive: true });
  // One copy of each object (one OSD); the cluster's daemons talk only inside the store's namespace.
  writeFileSync(
    conf,
    [
      '[global]',
      `fsid = ${fsid}`,
      `mon host = v2:${host}:${MON_PORT}`,
      `public addr = ${host}`,
      `keyring = ${join(directory!, 'keyring')}`,
      `run dir = ${join(directory!, 'run')}`,
      `admin socket = ${join(directory!, 'run', '$name.asok')}`,
      `log file = ${join(directory!, '$name.log')}`,
      'auth allow insecure global id reclaim = false',
      'osd pool default size = 1',
      'osd pool default min size = 1',
      'mon allow pool size one = true',
      'mon warn on pool no redundancy = false',
      'mon data avail warn = 1',
      'osd pool default pg autoscale mode = off',
      'osd pool default pg num = 8',
      'osd pool default pgp num = 8',
      'mon max pg per osd = 1000',
      'osd crush chooseleaf type = 0',
      'osd objectstore = bluestore',
      'bluestore block create = true',
      'bluestore block size = 4294967296',
      'osd memory target = 939524096',
      '[mon.a]',
      `mon data = ${join(directory!, 'mon')}`,
      '[osd.0]',
      `osd data = ${join(directory!, 'osd')}`,
      '[client.rgw.lab]',
      `rgw frontends = beast endpoint=${host}:${port} ssl_endpoint=${host}:${tlsPort} ssl_certificate=${cert} ssl_private_key=${key}`,
      `rgw data = ${join(directory!, 'rgw')}`,
      'rgw thread pool size = 64',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const keyring = join(directory!, 'keyring');
  const authtool = (...args: string[]) => run('ceph-authtool', [keyring, ...args]);
  await authtool('--create-keyring', '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *');
  await authtool(
    '--gen-key',
    '-n',
    'client.admin',
    '--cap',
    'mon',
    'allow *',
    '--cap',
    'osd',
    'allow *',
    '--cap',
    'mgr',
    'allow *',
  );
  await authtool('--gen-key', '-n', 'osd.0', '--cap', 'mon', 'allow profile osd', '--cap', 'osd', 'allow *');
  await authtool(
    '--gen-key',
    '-n',
    'client.rgw.lab',
    '--cap',
    'mon',
    'allow rw',
    '--cap',
    'osd',
    'allow rwx',
  );
  const monmap = join(directory!, 'monmap');
  await run('monmaptool', ['--create', '--addv', 'a', `[v2:${host}:${MON_PORT}]`, '--fsid', fsid, monmap]);
  await run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', monmap, '--keyring', keyring]);
}

const clusterMade = existsSync(conf);
if (!clusterMade) await createCluster();
daemon('ceph-mon', 'ceph-mon', ['-i', 'a']);
await until('the Ceph monitor', async () => (await ceph('mon', 'stat')).includes('quorum'));

const osdMade = existsSync(join(directory, 'osd', 'whoami'));
if (!osdMade) {
  const uuid = randomUUID();
  await ceph('osd', 'new', uuid, '0');
  await run('ceph-osd', ['-c', conf, '--mkfs', '-i', '0', '--osd-uuid', uuid], { timeout: 120_000 });
}
daemon('ceph-osd', 'ceph-osd', ['-i', '0']);
await until('the OSD', async () => JSON.parse(await ceph('osd', 'stat', '-f', 'json')).num_up_osds >= 1);

daemon('radosgw', 'radosgw', ['-n', 'client.rgw.lab']);
const endpoint = `http://${host}:${port}`;
await until('the RADOS Gateway', async () => {
  await (await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2_000) })).arrayBuffer();
  return true;
});

const setupDone = join(directory, 'buckets-configured');
if (!existsSync(setupDone)) {
  const { accessKeyId, secretAccessKey } = S3RVER_CREDENTIALS;
  // The gateway's user holds s3rver's fixed, public key pair, so clients configured for either store work.
  await run(
    'radosgw-admin',
    [
      '-c',
      conf,
      'user',
      'create',
      '--uid=dalp-lab',
      '--display-name=dalp lab',
      `--access-key=${accessKeyId}`,
      `--secret-key=${secretAccessKey}`,
    ],
    { timeout: 60_000 },
  ).catch((error: { stderr?: string }) => {
    // A start interrupted after the user was made: the user is there, with these keys.
    if (!error.stderr?.includes('exists')) throw error;
  });
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
  });
  for (const bucket of [versioned, ...others]) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
      if (error.name !== 'BucketAlreadyOwnedByYou') throw error;
    });
  }
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  await s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: versioned,
      LifecycleConfiguration: {
        Rules: [
          {
            ID: 'noncurrent-versions',
            Status: 'Enabled',
            Filter: { Prefix: '' },
            NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_VERSION_DAYS },
            Expiration: { ExpiredObjectDeleteMarker: true },
          },
        ],
      },
    }),
  );
  s3.destroy();
  writeFileSync(setupDone, `${new Date().toISOString()}\n`);
}
process.stdout.write(
  `ceph-rgw: ${endpoint} and https://${host}:${tlsPort} (${[versioned, ...others].join(', ')}; ${versioned} versioned)\n`,
);
