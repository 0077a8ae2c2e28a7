// `dalp lab` end to end: one lab (three zones of real etcd, Patroni, Redis, Sentinel, dapp replicas,
// HAProxy and s3rver in network namespaces) shared by the test cases in order, then taken down; and a
// second lab whose `up` is killed half-way, to show `down` cleans that up too.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Ajv } from 'ajv';
import pg from 'pg';
import { main } from '../../../cli/src/main.ts';
import { downLab, Lab, type LabState, type LabStatus, waitFor } from '../../src/index.ts';
import { haproxyRuntime, haproxyServers, patroniDataDir } from '../../src/lab/components.ts';
import { labNamespaces, namespacePids } from '../../src/lab/network.ts';
import { CLAIMS_DIR } from '../../src/lab/subnets.ts';
import { refState } from '../../src/processes.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'packages/lab/schema/lab-status.schema.json'), 'utf8'));

async function dalp(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'dalp', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: () => '',
  });
  return { code, stdout, stderr };
}

function assertUsage(run: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(run.code, 2, run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `more than one line: ${run.stderr}`);
  assert.match(lines[0]!, pattern);
}

/** What must be gone after `down`: every process, namespace, host link, claim and file of the lab. */
function leftovers(state: LabState): string[] {
  const found: string[] = [];
  for (const c of Object.values(state.components)) {
    if (refState(c.process) !== 'gone') found.push(`process ${c.name} (${c.process!.pid})`);
  }
  found.push(...labNamespaces(state.id).map((n) => `namespace ${n}`));
  found.push(
    ...readdirSync('/sys/class/net')
      .filter((l) => l.startsWith(`dl${state.id}-`))
      .map((l) => `link ${l}`),
  );
  if (existsSync(state.disks)) found.push(`disks ${state.disks}`);
  if (existsSync(join(state.dir, 'lab.json'))) found.push('state file');
  if (state.slot !== undefined && existsSync(join(CLAIMS_DIR, String(state.slot)))) {
    const claim = readFileSync(join(CLAIMS_DIR, String(state.slot)), 'utf8');
    if (claim.includes(state.id)) found.push(`claim ${state.slot}`);
  }
  return found;
}

class Api {
  constructor(
    private readonly base: string,
    private readonly key: string,
  ) {}
  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.key}`,
        ...(body === undefined || body instanceof Uint8Array ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : body instanceof Uint8Array ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  }
}

describe('dalp lab', { timeout: 600_000 }, () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'dalp-labtest-')), 'lab');
  let lab: Lab;
  let api: Api;
  let assetId: string;
  let investors: string[];

  /** A transfer through the load balancer; returns its idempotency key. */
  const transfer = async (amount = '1') => {
    const key = randomUUID();
    const reply = await api.call(
      'POST',
      `/api/v1/assets/${assetId}/transfers`,
      { from: investors[0], to: investors[1], amount },
      { 'idempotency-key': key },
    );
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    return key;
  };

  /** Whether a node's own PostgreSQL holds the journal entry of a write (bypassing the endpoint). */
  const nodeHas = async (name: string, key: string) => {
    const c = lab.component(name);
    const client = new pg.Client({
      host: c.host,
      port: c.port,
      user: 'dalp',
      password: lab.state.secrets.databasePassword,
      database: 'dalp',
      connectionTimeoutMillis: 3_000,
    });
    await client.connect();
    try {
      const row = await client.query(
        'SELECT pg_is_in_recovery() AS replica, count(*)::int AS n FROM journal WHERE idempotency_key = $1',
        [key],
      );
      return { replica: row.rows[0].replica as boolean, present: row.rows[0].n === 1 };
    } finally {
      await client.end();
    }
  };

  /** Runs `wait`; when it fails, the PostgreSQL nodes' and the supervisor's recent log lines join the error. */
  const withLogs = async <T>(wait: () => Promise<T>): Promise<T> => {
    try {
      return await wait();
    } catch (error) {
      const tails = [...lab.ofKind('postgres'), lab.component('supervisor')].map((c) => {
        const timed = lab
          .logs(c.name)
          .filter((l) => /^\d{4}-/.test(l.text) && !/Traceback|Exception happened/.test(l.text));
        return `--- ${c.name} ---\n${timed
          .slice(-25)
          .map((l) => l.text)
          .join('\n')}`;
      });
      throw new Error(`${(error as Error).message}\n${tails.join('\n')}`);
    }
  };
  const healthy = (timeoutMs = 120_000) => withLogs(() => lab.waitForHealthy(timeoutMs));

  before(async () => {
    const began = Date.now();
    lab = await Lab.start({ dir });
    console.log(`# lab ${lab.id} up in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    api = new Api(lab.endpoints().api, lab.endpoints().adminKey);
  });

  after(async () => {
    if (existsSync(join(dir, 'lab.json'))) await downLab(dir);
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  test('up: every component healthy in its namespace, roles as expected, status JSON matches its schema', async () => {
    await healthy(60_000);
    const roles = await lab.roles();
    assert.equal(roles.postgresPrimaries.length, 1);
    assert.equal(roles.redisPrimaries.length, 1);
    assert.equal(roles.sentinelsName, roles.redisPrimaries[0]);
    assert.ok(roles.etcdLeader);

    const run = await dalp('lab', 'status', '--format', 'json', '--dir', dir);
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout) as LabStatus;
    const validate = new Ajv({ allErrors: true }).compile(SCHEMA);
    assert.ok(validate(status), JSON.stringify(validate.errors));
    // The first full backup is taken by `up`; the primary archives.
    assert.equal(status.backup?.lastBackup?.type, 'full');
    assert.ok(status.backup?.oldestRestorable);
    assert.equal(status.backup?.archive?.failing, false);
    assert.deepEqual(status.backup?.errors, []);
    const rolesOf = (kind: string) =>
      status.components
        .filter((c) => c.kind === kind)
        .map((c) => c.role)
        .sort();
    assert.deepEqual(rolesOf('postgres'), ['primary', 'replica', 'sync replica']);
    assert.deepEqual(rolesOf('redis'), ['primary', 'replica', 'replica']);
    assert.deepEqual(rolesOf('etcd'), ['follower', 'follower', 'leader']);
    assert.equal(status.components.length, 3 * 4 + 3 + 4);
    for (const secret of Object.values(lab.state.secrets))
      assert.ok(!run.stdout.includes(secret), 'a secret in status');

    // Each process runs in its node's network namespace, as the kernel says.
    const network = lab.state.network!;
    for (const c of lab.components()) {
      if (c.node === 'host') continue;
      const netns =
        c.node === 'region'
          ? network.region.netns
          : network.zones.flatMap((z) => z.nodes).find((n) => n.name === c.node)!.netns;
      assert.ok((await namespacePids(netns)).includes(c.process!.pid), `${c.name} not in ${netns}`);
    }
  });

  test('a transfer through the load balancer reaches the primary; a document round-trips through S3', async () => {
    const asset = await api.call('POST', '/api/v1/assets', {
      symbol: `LAB${Date.now() % 100000}`,
      name: 'Lab fund',
      type: 'fund',
      decimals: 0,
    });
    assert.equal(asset.status, 201, JSON.stringify(asset.body));
    assetId = asset.body.id;
    assert.equal(
      (await api.call('POST', `/api/v1/assets/${assetId}/status`, { status: 'active' })).status,
      200,
    );
    investors = [];
    for (const name of ['Ann', 'Bob']) {
      const investor = await api.call('POST', '/api/v1/investors', {
        name,
        country: 'DE',
        kycStatus: 'verified',
      });
      assert.equal(investor.status, 201, JSON.stringify(investor.body));
      investors.push(investor.body.id);
    }
    const mint = await api.call(
      'POST',
      `/api/v1/assets/${assetId}/mint`,
      { to: investors[0], amount: '1000' },
      { 'idempotency-key': randomUUID() },
    );
    assert.equal(mint.status, 201, JSON.stringify(mint.body));
    const key = await transfer();
    const [primary] = (await lab.roles()).postgresPrimaries;
    assert.deepEqual(await nodeHas(primary!, key), { replica: false, present: true });

    const bytes = new TextEncoder().encode(`prospectus ${randomUUID()}`);
    const upload = await api.call('POST', `/api/v1/assets/${assetId}/documents?name=prospectus.txt`, bytes, {
      'content-type': 'text/plain',
    });
    assert.equal(upload.status, 201, JSON.stringify(upload.body));
    const download = await fetch(
      `${lab.endpoints().api}/api/v1/assets/${assetId}/documents/${upload.body.id}/content`,
      {
        headers: { authorization: `Bearer ${lab.endpoints().adminKey}` },
      },
    );
    assert.equal(download.status, 200);
    assert.deepEqual(new Uint8Array(await download.arrayBuffer()), bytes);
    const { s3 } = lab.endpoints();
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: s3,
    });
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    client.destroy();
    assert.equal(listed.Contents?.length, 1, 'the document is in the lab object store');
  });

  test('kill of a replica: restarted at once, a second crash waits out the back-off', async () => {
    const name = 'dapp-c-1';
    const running = (restarts: number) => () => {
      const c = lab.component(name);
      return (c.restarts ?? 0) >= restarts && refState(c.process) !== 'gone' ? c : undefined;
    };
    await lab.kill(name);
    const first = await waitFor(running(1), 30_000, `${name} restarted`);
    // Crash it again at once, inside the back-off window the restart opened (the kubelet's 10 s).
    await lab.kill(name);
    assert.ok(
      Date.now() - first.backoffAt! < first.backoffMs!,
      'the second crash came too late to see a back-off',
    );
    const waiting = await waitFor(
      async () =>
        (await lab.status()).components.find((c) => c.name === name && /back-off, restart in/.test(c.detail)),
      first.backoffMs!,
      'status to show the back-off',
    );
    assert.equal(waiting.health, 'down');
    const second = await waitFor(running(2), 60_000, `${name} restarted twice`);
    const gap = second.startedAt! - first.backoffAt!;
    assert.ok(
      gap >= first.backoffMs!,
      `restarted ${gap} ms after the previous restart, back-off ${first.backoffMs} ms`,
    );
    assert.equal(second.backoffMs, 2 * first.backoffMs!, 'the back-off doubles');
    await healthy(60_000);
  });

  test('stop/cont hangs a replica until the load balancer drops it; restart replaces one losing no request', async () => {
    const name = 'dapp-b-1';
    const lb = lab.component('lb');
    const lbState = async () => (await haproxyServers(lb)).find((s) => s.server === name)?.status;
    await lab.stop(name);
    assert.equal((await lab.status()).components.find((c) => c.name === name)?.health, 'stopped');
    await waitFor(
      async () => (await lbState()) === 'DOWN',
      40_000,
      `${name} marked DOWN by the /readyz checks`,
    );
    await lab.cont(name);
    await waitFor(async () => (await lbState()) === 'UP', 40_000, `${name} back UP`);

    const before = lab.component(name);
    let failed = 0;
    let sent = 0;
    let restarting = true;
    const load = (async () => {
      while (restarting && sent < 2_000) {
        sent += 1;
        const reply = await api.call('GET', `/api/v1/assets/${assetId}`).catch(() => ({ status: 0 }));
        if (reply.status !== 200) failed += 1;
        await sleep(20);
      }
    })();
    try {
      await lab.restart(name);
    } finally {
      restarting = false;
      await load;
    }
    const afterRestart = lab.component(name);
    assert.notEqual(afterRestart.process!.pid, before.process!.pid);
    assert.equal(afterRestart.restarts ?? 0, before.restarts ?? 0, 'a restart is not a crash');
    assert.ok(sent > 20, `only ${sent} requests during the restart`);
    assert.equal(failed, 0, `${failed} of ${sent} requests failed during the restart`);
    // In service again ("UP", or "UP 1/3" when one of the busy machine's checks just timed out).
    assert.match((await lbState()) ?? '', /^UP/);
  });

  test('power-off and power-on of a zone keep its data', async () => {
    const [primary] = (await lab.roles()).postgresPrimaries;
    const zone = lab.state.network!.zones.find((z) => z.name !== lab.component(primary!).zone)!.name;
    const postgres = lab.component(`postgres-${zone}`);
    const pgVersion = join(patroniDataDir(postgres), 'PG_VERSION');
    const inode = statSync(pgVersion).ino;
    const beforeKey = await transfer();
    await waitFor(
      async () => (await nodeHas(postgres.name, beforeKey)).present,
      30_000,
      'the write on the replica',
    );

    await lab.powerOff(zone);
    const status = await lab.status();
    for (const c of status.components.filter((row) => row.zone === zone)) {
      assert.equal(c.health, 'powered-off', c.name);
      assert.equal(c.pid, null);
    }
    assert.deepEqual(
      await namespacePids(lab.state.network!.zones.find((z) => z.name === zone)!.nodes[0]!.netns),
      [],
    );
    const duringKey = await waitFor(
      async () => transfer().catch(() => undefined),
      60_000,
      'a transfer while the zone is off',
    );

    await lab.powerOn(zone);
    await healthy(120_000);
    assert.equal(statSync(pgVersion).ino, inode, 'the data directory was kept, not cloned again');
    assert.equal((await nodeHas(postgres.name, beforeKey)).present, true);
    await waitFor(
      async () => (await nodeHas(postgres.name, duringKey)).present,
      30_000,
      'the write made while off',
    );
    assert.ok(
      (lab.component(`dapp-${zone}-1`).restarts ?? 0) >= 1,
      'the supervisor started the replica again',
    );
  });

  let partitioned: { old: string; zone: string; key: string } | undefined;

  test('partition of the primary zone: its replica gets no traffic, a new leader is elected, writes go on', async () => {
    const [old] = (await lab.roles()).postgresPrimaries;
    const zone = lab.component(old!).zone!;
    const replica = `dapp-${zone}-1`;
    await lab.partition(zone);
    const roles = await lab.waitForRoles(
      (r) => r.postgresPrimaries.some((p) => p !== old),
      60_000,
      'a new PostgreSQL primary',
    );
    assert.ok(roles.postgresPrimaries.some((p) => p !== old));
    const lb = lab.component('lb');
    const sessions = async () => (await haproxyServers(lb)).find((s) => s.server === replica);
    await waitFor(
      async () => (await sessions())?.status === 'DOWN',
      30_000,
      `${replica} out of the load balancer`,
    );
    const before = await haproxyCommandSessions(lb, replica);
    // Writes reach the new primary through the endpoint; none of these requests goes to the cut zone.
    const key = await waitFor(
      async () => transfer().catch(() => undefined),
      60_000,
      'a transfer after the failover',
    );
    for (let i = 0; i < 10; i++)
      assert.equal((await api.call('GET', `/api/v1/assets/${assetId}`)).status, 200);
    assert.equal(
      await haproxyCommandSessions(lb, replica),
      before,
      'the partitioned replica received requests',
    );
    partitioned = { old: old!, zone, key };
  });

  test('heal: the old leader rejoins as a replica holding the write made during the partition', async () => {
    assert.ok(partitioned, 'the partition test did not run');
    const { old, zone, key } = partitioned;
    await lab.heal(zone);
    await withLogs(() =>
      waitFor(
        async () => {
          const row = (await lab.status()).components.find((c) => c.name === old);
          return /replica/.test(row?.role ?? '') && (await nodeHas(old, key)).present;
        },
        60_000,
        `${old} back as a replica holding the write made during the partition`,
      ),
    );
    await healthy(120_000);
    // One primary, and it holds the write acknowledged during the partition: nothing was rebuilt away.
    const { postgresPrimaries } = await lab.roles();
    assert.equal(postgresPrimaries.length, 1, `primaries: ${postgresPrimaries.join(', ')}`);
    assert.deepEqual(await nodeHas(postgresPrimaries[0]!, key), { replica: false, present: true });
  });

  test('logs: one component, or all of them merged by time', () => {
    const one = lab.logs('postgres-a');
    assert.ok(one.length > 0 && one.every((l) => l.component === 'postgres-a'));
    const all = lab.logs();
    const timed = all.filter((l) => !Number.isNaN(l.time));
    assert.ok(new Set(timed.map((l) => l.component)).size >= 8, 'lines of most components carry times');
    for (let i = 1; i < timed.length; i++) assert.ok(timed[i]!.time >= timed[i - 1]!.time, 'merged by time');
  });

  test('bad use: not root, a second lab in the same dir, unknown component or zone: one line, exit 2', async () => {
    const again = await dalp('lab', 'up', '--dir', dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`lab ${lab.id} is already running`));
    assertUsage(
      await dalp('lab', 'up', '--zones', '2', '--dir', dir),
      /^dalp: a lab with 3 zones.* already runs in /,
    );
    // The running lab's store is s3rver: asking for the versioned store there is another lab.
    assertUsage(
      await dalp('lab', 'up', '--object-store', 'ceph-rgw', '--dir', dir),
      /^dalp: a lab with 3 zones.* and s3rver already runs in /,
    );
    assertUsage(
      await dalp('lab', 'up', '--object-store', 'minio', '--dir', dir),
      /argument 'minio' is invalid\. Allowed choices are s3rver, ceph-rgw/,
    );
    assertUsage(
      await dalp('lab', 'kill', 'postgres-z', '--dir', dir),
      /^dalp: unknown component "postgres-z"; this lab has: etcd-a/,
    );
    assertUsage(
      await dalp('lab', 'partition', 'q', '--dir', dir),
      /^dalp: unknown zone or node "q"; zones: a, b, c; nodes: a1, b1, c1$/,
    );
    assertUsage(
      await dalp('lab', 'up', '--zones', '9', '--dir', dir),
      /^dalp: --zones must be a whole number from 1 to 7, got "9"$/,
    );
    const getuid = process.getuid;
    process.getuid = () => 1000;
    try {
      assertUsage(await dalp('lab', 'status', '--dir', dir), /^dalp: dalp lab needs root/);
    } finally {
      process.getuid = getuid;
    }
  });

  test('down stops every process and leaves no namespace, link, claim or file', async () => {
    const state = lab.refresh();
    const run = await dalp('lab', 'down', '--dir', dir);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(leftovers(state), []);
    assert.equal(existsSync(dir), false, 'down removes the directory up created');
  });

  test('down after up was killed half-way leaves nothing either', async () => {
    const crashDir = join(dir, '..', 'crashed');
    const child: ChildProcess = spawn(
      process.execPath,
      [join(ROOT, 'packages/cli/bin/dalp.js'), 'lab', 'up', '--dir', crashDir],
      {
        stdio: 'ignore',
      },
    );
    try {
      // Kill the command once PostgreSQL is being started: etcd, Redis and s3rver run, the rest does not.
      const state = await waitFor(
        () => {
          if (!existsSync(join(crashDir, 'lab.json'))) return undefined;
          const s = JSON.parse(readFileSync(join(crashDir, 'lab.json'), 'utf8')) as LabState;
          return s.components['postgres-a']?.process ? s : undefined;
        },
        120_000,
        'the crashing up to start PostgreSQL',
        { intervalMs: 50 },
      );
      child.kill('SIGKILL');
      await sleep(200);
      assert.ok(labNamespaces(state.id).length > 0, 'the crashed up left namespaces behind');
      const run = await dalp('lab', 'down', '--dir', crashDir);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(leftovers(JSON.parse(JSON.stringify(state))), []);
      assert.equal(existsSync(crashDir), false);
    } finally {
      child.kill('SIGKILL');
      if (existsSync(join(crashDir, 'lab.json'))) await downLab(crashDir);
    }
  });

  test('a failed up exits 1 naming the component, keeps the lab for logs, and down removes it', async () => {
    const failedDir = join(dir, '..', 'failed');
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'packages/cli/bin/dalp.js'), 'lab', 'up', '--dir', failedDir],
      {
        env: { ...process.env, DALP_LAB_ETCD: '/bin/false' },
        encoding: 'utf8',
        timeout: 180_000,
      },
    );
    try {
      assert.equal(run.status, 1, run.stderr);
      assert.match(
        run.stderr,
        /^dalp: lab [0-9a-f]{4} failed to come up: etcd-[abc] exited before it was ready$/m,
      );
      assert.match(run.stderr, /remove it with "dalp lab down"/);
      const state = JSON.parse(readFileSync(join(failedDir, 'lab.json'), 'utf8')) as LabState;
      assert.equal(state.phase, 'failed');
      assertUsage(
        await dalp('lab', 'up', '--dir', failedDir),
        /^dalp: an incomplete lab .* run "dalp lab down" first$/,
      );
      assert.equal((await dalp('lab', 'down', '--dir', failedDir)).code, 0);
      assert.deepEqual(leftovers(state), []);
    } finally {
      if (existsSync(join(failedDir, 'lab.json'))) await downLab(failedDir);
    }
  });
});

/** Total sessions HAProxy sent to one server (`stot`), from `show stat`. */
async function haproxyCommandSessions(lb: ReturnType<Lab['component']>, server: string): Promise<number> {
  const csv = await haproxyRuntime(lb, 'show stat');
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header!.slice(2).split(',');
  const row = rows.map((r) => r.split(',')).find((cells) => cells[1] === server)!;
  return Number(row[columns.indexOf('stot')]);
}
