// The pure parts of `dalp lab`: the topology plan (names the kernel accepts, addresses inside the
// benchmark range and the lab's own block), concurrent block claims, the kubelet's back-off arithmetic,
// and log timestamps.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { lineTime } from '../../src/lab/logs.ts';
import type { ComponentState } from '../../src/lab/state.ts';
import { CLAIMS_DIR, claimBlock, releaseBlock } from '../../src/lab/subnets.ts';
import { nextBackoff, rebuildSource, restartAt } from '../../src/lab/supervisor.ts';
import {
  allNodes,
  blockCidr,
  DEFAULT_TIMINGS,
  POOL,
  planTopology,
  SHAPE_LIMITS,
  targetNodes,
} from '../../src/lab/topology.ts';

const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const inBlock = (ip: string, cidr: string) => {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return toInt(ip) >= toInt(base!) && toInt(ip) < toInt(base!) + size;
};

describe('lab topology plan', () => {
  test('the largest lab: every interface name fits in 15 characters and carries the lab id', () => {
    const [, zones] = SHAPE_LIMITS.zones;
    const [, nodes] = SHAPE_LIMITS.nodesPerZone;
    const plan = planTopology('beef', POOL.blocks - 1, { zones, nodesPerZone: nodes, replicas: 21 });
    const { network } = plan;
    const names = [
      network.regionBridge,
      network.region.iface,
      network.region.routerIface,
      network.host.iface,
      network.host.routerIface,
      ...network.zones.flatMap((z) => [z.bridge, ...z.nodes.flatMap((n) => [n.iface, n.routerIface])]),
    ];
    for (const name of names) {
      assert.ok(name.length <= 15, `${name} is longer than 15 characters`);
      assert.ok(name.includes('beef'), `${name} lacks the lab id`);
    }
    assert.equal(new Set(names).size, names.length, 'interface names repeat');
    for (const ns of network.namespaces) assert.match(ns, /^dalp-beef-/);
    assert.equal(new Set(network.namespaces).size, network.namespaces.length);
  });

  test('every address is inside the lab block, which is inside 198.18.0.0/15; blocks never overlap', () => {
    const blocks = new Set<string>();
    for (let slot = 0; slot < POOL.blocks; slot++) blocks.add(blockCidr(slot));
    assert.equal(blocks.size, POOL.blocks);
    assert.equal(blockCidr(0), '198.18.0.0/21');
    assert.equal(blockCidr(POOL.blocks - 1), '198.19.248.0/21');
    assert.throws(() => blockCidr(POOL.blocks));
    const plan = planTopology('0a1b', 33, { zones: 7, nodesPerZone: 9, replicas: 21 });
    const addresses = [
      plan.network.host.address,
      plan.network.region.address,
      plan.network.regionGateway,
      ...plan.network.zones.flatMap((z) => [z.gateway, ...z.nodes.map((n) => n.address)]),
      ...plan.components.map((c) => c.host),
    ];
    for (const ip of addresses) {
      assert.ok(inBlock(ip, plan.network.block), `${ip} outside ${plan.network.block}`);
      assert.ok(inBlock(ip, '198.18.0.0/15'), `${ip} outside 198.18.0.0/15`);
    }
  });

  test('replicas are spread over zones, then over nodes; data services on each zone first node', () => {
    const plan = planTopology('0001', 0, { zones: 3, nodesPerZone: 2, replicas: 7 });
    const replicas = plan.components.filter((c) => c.kind === 'dapp');
    assert.deepEqual(
      replicas.map((r) => `${r.name}@${r.node}:${r.port}`),
      [
        'dapp-a-1@a1:3000',
        'dapp-b-1@b1:3000',
        'dapp-c-1@c1:3000',
        'dapp-a-2@a2:3000',
        'dapp-b-2@b2:3000',
        'dapp-c-2@c2:3000',
        'dapp-a-3@a1:3001',
      ],
    );
    for (const kind of ['etcd', 'postgres', 'redis', 'sentinel'] as const) {
      assert.deepEqual(
        plan.components.filter((c) => c.kind === kind).map((c) => c.node),
        ['a1', 'b1', 'c1'],
      );
    }
    const endpoints = new Set(plan.components.map((c) => `${c.host}:${c.port}:${c.name}`));
    assert.equal(endpoints.size, plan.components.length);
    assert.deepEqual(
      targetNodes(plan.network, 'b')?.map((n) => n.name),
      ['b1', 'b2'],
    );
    assert.deepEqual(
      targetNodes(plan.network, 'c2')?.map((n) => n.name),
      ['c2'],
    );
    assert.equal(targetNodes(plan.network, 'd'), undefined);
    assert.equal(allNodes(plan.network).length, 6);
  });
});

describe('CrashLoopBackOff as the kubelet computes it', () => {
  const timings = { ...DEFAULT_TIMINGS, restartBackoffInitialMs: 10_000, restartBackoffMaxMs: 300_000 };
  const replica = (backoffMs?: number, backoffAt?: number) => ({ backoffMs, backoffAt }) as ComponentState;

  test('the first crash restarts at once; later ones wait the back-off since the previous restart', () => {
    assert.equal(restartAt(replica(), 1_000), 1_000);
    assert.equal(restartAt(replica(10_000, 50_000), 52_000), 60_000);
    assert.equal(restartAt(replica(10_000, 50_000), 70_000), 70_000);
  });

  test('the delay starts at 10 s, doubles to 5 min, and resets after twice the maximum', () => {
    let c = replica();
    const delays: number[] = [];
    let now = 0;
    for (let i = 0; i < 8; i++) {
      const next = nextBackoff(c, now, timings);
      delays.push(next);
      c = replica(next, now);
      now += 1_000;
    }
    assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
    assert.equal(nextBackoff(replica(300_000, 0), 600_001, timings), 10_000);
  });
});

describe('the standby repair copies only from the DCS leader', () => {
  const member = (name: string, role: string, state = 'running') => ({ name, view: { role, state } });
  const healthy = [member('postgres-a', 'replica'), member('postgres-b', 'primary')];

  test('the leader the DCS names, when it alone answers as primary and runs', () => {
    assert.equal(rebuildSource('postgres-b', healthy)?.name, 'postgres-b');
    assert.equal(rebuildSource('postgres-b', [member('postgres-b', 'master')])?.name, 'postgres-b');
  });

  test('nobody when the DCS names no leader or cannot be read with a quorum', () => {
    assert.equal(rebuildSource(undefined, healthy), undefined);
  });

  test('nobody when the member answering as primary is not the DCS leader (a stale or cut-off primary)', () => {
    assert.equal(rebuildSource('postgres-c', healthy), undefined);
  });

  test('nobody during a split brain, even when one of the primaries is the DCS leader', () => {
    assert.equal(rebuildSource('postgres-b', [...healthy, member('postgres-c', 'primary')]), undefined);
  });

  test('nobody while the leader is not running, or did not answer', () => {
    assert.equal(rebuildSource('postgres-b', [member('postgres-b', 'primary', 'starting')]), undefined);
    assert.equal(rebuildSource('postgres-b', [{ name: 'postgres-b', view: undefined }]), undefined);
  });
});

describe('log timestamps', () => {
  test('each server format the lab runs, in ms since the epoch', () => {
    const utc = Date.parse('2026-11-30T17:02:01.123Z');
    assert.equal(lineTime('{"level":"warn","ts":"2026-11-30T17:02:01.123Z","msg":"x"}'), utc);
    assert.equal(lineTime('2026-11-30 17:02:01.123 UTC [123] LOG:  database system is ready'), utc);
    assert.equal(
      lineTime('<133>1 2026-11-30T17:02:01.123456+00:00 haproxy - - Server lb/dapp-a-1 is DOWN'),
      utc,
    );
    assert.equal(lineTime('{"level":30,"time":1795971721123,"msg":"request completed"}'), 1795971721123);
    assert.equal(lineTime('2026-11-30T17:02:01.123Z dapp-a-1 exited; restarting now'), utc);
    // Patroni and Redis write local time without a zone.
    assert.equal(lineTime('2026-11-30 17:02:01,123 INFO: no action'), Date.parse('2026-11-30T17:02:01.123'));
    assert.equal(lineTime('4242:M 30 Nov 2026 17:02:01.123 * Ready'), Date.parse('2026-11-30T17:02:01.123'));
    assert.equal(lineTime('  File "/usr/lib/python3/dist-packages/patroni/api.py", line 49'), undefined);
  });
});

describe('address blocks', () => {
  test('labs claiming at the same time get different blocks, each given back by its own lab only', async () => {
    const ids = ['f0a1', 'f0a2', 'f0a3', 'f0a4'];
    const slots = await Promise.all(ids.map((id) => claimBlock(id, `/nonexistent/${id}`)));
    try {
      assert.equal(new Set(slots).size, ids.length, `slots ${slots.join(', ')}`);
      releaseBlock('ffff', slots[0]);
      assert.ok(existsSync(join(CLAIMS_DIR, String(slots[0]))), 'another lab released the claim');
    } finally {
      for (const [i, id] of ids.entries()) releaseBlock(id, slots[i]);
    }
    for (const slot of slots) assert.equal(existsSync(join(CLAIMS_DIR, String(slot))), false);
  });
});
