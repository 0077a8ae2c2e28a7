// The lab's topology as data: zones, nodes, addresses, interface names and components, computed from the
// options, the lab id and the subnet block it was given. Pure, so it is unit-tested and shared by `up`,
// the supervisor, the fault primitives and `down`.

/** What a lab is made of; `dalp lab up` flags map one to one. */
export interface LabShape {
  zones: number;
  nodesPerZone: number;
  /** dapp replicas in total, spread over the zones as topology spread constraints would. */
  replicas: number;
  /** The object store's software (absent: s3rver, the labs made before the choice existed). */
  objectStore?: ObjectStoreKind;
}

/**
 * s3rver: light, no object versions. ceph-rgw: Ceph's RADOS Gateway on a one-OSD cluster, which keeps
 * versions of the documents bucket, so documents can be restored to a point in time.
 */
export const OBJECT_STORES = ['s3rver', 'ceph-rgw'] as const;
export type ObjectStoreKind = (typeof OBJECT_STORES)[number];
export const objectStoreOf = (shape: LabShape): ObjectStoreKind => shape.objectStore ?? 's3rver';

export const SHAPE_LIMITS = { zones: [1, 7], nodesPerZone: [1, 9], replicas: [1, 21] } as const;

/** The Kubernetes behaviours the lab imitates, with the chart's defaults (docs/lab.md maps each). */
export interface LabTimings {
  /** readinessProbe: HAProxy's health check on /readyz. */
  readinessPeriodMs: number;
  readinessTimeoutMs: number;
  readinessFailureThreshold: number;
  readinessSuccessThreshold: number;
  /** livenessProbe (TCP, like the chart's default), run by the supervisor. */
  livenessInitialDelayMs: number;
  livenessPeriodMs: number;
  livenessTimeoutMs: number;
  livenessFailureThreshold: number;
  /** preStop sleep, then SIGTERM; the replica itself drains for drainDelayMs and finishes in shutdownTimeoutMs. */
  preStopSleepMs: number;
  drainDelayMs: number;
  shutdownTimeoutMs: number;
  /** SIGKILL this long after termination began (preStop included), as the kubelet does. */
  terminationGracePeriodMs: number;
  /** CrashLoopBackOff: first restart at once, then this delay doubling up to the maximum. */
  restartBackoffInitialMs: number;
  restartBackoffMaxMs: number;
  /** Patroni's leader key TTL and loop (no Kubernetes counterpart: the lab's failover speed). */
  patroniTtl: number;
  patroniLoopWait: number;
  patroniRetryTimeout: number;
  /** Sentinel's down-after-milliseconds and failover-timeout. */
  sentinelDownAfterMs: number;
  sentinelFailoverTimeoutMs: number;
  /** A running standby that has not streamed this long is rebuilt from the primary (managed-service repair). */
  standbyRepairAfterMs: number;
}

/** The chart's defaults (charts/dalp/values.yaml) and the kubelet's back-off. */
export const DEFAULT_TIMINGS: LabTimings = {
  readinessPeriodMs: 5_000,
  readinessTimeoutMs: 3_000,
  readinessFailureThreshold: 3,
  readinessSuccessThreshold: 1,
  livenessInitialDelayMs: 10_000,
  livenessPeriodMs: 10_000,
  livenessTimeoutMs: 3_000,
  livenessFailureThreshold: 6,
  preStopSleepMs: 5_000,
  drainDelayMs: 5_000,
  shutdownTimeoutMs: 20_000,
  // The chart's computed grace period: preStop + drain + timeout + 5 s.
  terminationGracePeriodMs: 35_000,
  restartBackoffInitialMs: 10_000,
  restartBackoffMaxMs: 300_000,
  // Patroni requires loop_wait + 2 x retry_timeout <= ttl, or a leader still retrying the DCS can lose its
  // key; with 5 (the starters' value) a leader lost it under heavy load and a diverged node was elected.
  patroniTtl: 10,
  patroniLoopWait: 2,
  patroniRetryTimeout: 4,
  sentinelDownAfterMs: 1_000,
  sentinelFailoverTimeoutMs: 3_000,
  standbyRepairAfterMs: 30_000,
};

export type ComponentKind =
  | 'etcd'
  | 'postgres'
  | 'redis'
  | 'sentinel'
  | 'dapp'
  | 'lb'
  | 'db-endpoint'
  | 's3'
  | 'supervisor';

/** Where a component runs: a node of a zone, the region (regional services), or the host (supervisor). */
export interface Placement {
  zone?: string;
  /** Node name ('a1'), 'region', or 'host'. */
  node: string;
}

export interface ComponentPlan extends Placement {
  name: string;
  kind: ComponentKind;
  /** Address it listens on (the node's) and its main port. */
  host: string;
  port: number;
  /** Second port where there is one (Patroni's REST API, etcd's peer port). */
  adminPort?: number;
}

export interface NodePlan {
  name: string;
  zone: string;
  netns: string;
  address: string;
  /** The node's end of its link (inside its namespace) and the router's end (in the router namespace). */
  iface: string;
  routerIface: string;
}

export interface ZonePlan {
  name: string;
  /** `a.b.c.0/24` */
  subnet: string;
  gateway: string;
  bridge: string;
  nodes: NodePlan[];
}

export interface NetworkPlan {
  /** The lab's block (a /21 out of 198.18.0.0/15). */
  block: string;
  routerNetns: string;
  region: { netns: string; address: string; iface: string; routerIface: string; subnet: string };
  regionBridge: string;
  regionGateway: string;
  /** The host's (root namespace) link into the lab: the operator's and the supervisor's way in. */
  host: { iface: string; routerIface: string; address: string };
  zones: ZonePlan[];
  /** Every namespace, in creation order. */
  namespaces: string[];
}

export interface TopologyPlan {
  network: NetworkPlan;
  components: ComponentPlan[];
}

export const POOL = { first: ip4('198.18.0.0'), blocks: 64, blockSize: 2048 } as const;

export const PORTS = {
  etcdClient: 2379,
  etcdPeer: 2380,
  postgres: 5432,
  patroniRest: 8008,
  redis: 6379,
  sentinel: 26379,
  dapp: 3000,
  lb: 8080,
  dbEndpoint: 5432,
  s3: 9000,
  /** The same object store over HTTPS: pgBackRest's repository speaks only HTTPS to S3. */
  s3Tls: 9443,
} as const;

export const SENTINEL_MASTER = 'dalp';
export const S3_BUCKET = 'dalp-documents';
/** The bucket of the PostgreSQL backups (pgBackRest's repository). */
export const BACKUP_BUCKET = 'dalp-backups';

function ip4(text: string): number {
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function ipText(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The /21 block number `slot` of the pool, as CIDR. */
export function blockCidr(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= POOL.blocks) throw new Error(`no lab block ${slot}`);
  return `${ipText(POOL.first + slot * POOL.blockSize)}/21`;
}

/** Zone names as cloud zones are suffixed: a, b, c... */
export function zoneName(index: number): string {
  return String.fromCharCode('a'.charCodeAt(0) + index);
}

/** Lab ids are 4 lower-case hex digits: every name the lab gives to the kernel contains one. */
export const LAB_ID_PATTERN = /^[0-9a-f]{4}$/;

export function planTopology(id: string, slot: number, shape: LabShape): TopologyPlan {
  if (!LAB_ID_PATTERN.test(id)) throw new Error(`invalid lab id "${id}"`);
  const base = POOL.first + slot * POOL.blockSize;
  blockCidr(slot);
  // /24 number 0 of the block is the region, 1..7 the zones.
  const subnet = (index: number) => base + index * 256;
  const ns = (suffix: string) => `dalp-${id}-${suffix}`;
  const link = (suffix: string) => `dl${id}-${suffix}`;

  const zones: ZonePlan[] = [];
  for (let z = 0; z < shape.zones; z++) {
    const name = zoneName(z);
    const net = subnet(z + 1);
    const nodes: NodePlan[] = [];
    for (let n = 1; n <= shape.nodesPerZone; n++) {
      const node = `${name}${n}`;
      nodes.push({
        name: node,
        zone: name,
        netns: ns(node),
        address: ipText(net + 10 + n),
        iface: link(node),
        routerIface: link(`${node}-r`),
      });
    }
    zones.push({
      name,
      subnet: `${ipText(net)}/24`,
      gateway: ipText(net + 1),
      bridge: link(`br-${name}`),
      nodes,
    });
  }
  const region = {
    netns: ns('region'),
    address: ipText(subnet(0) + 10),
    iface: link('reg'),
    routerIface: link('reg-r'),
    subnet: `${ipText(subnet(0))}/24`,
  };
  const network: NetworkPlan = {
    block: blockCidr(slot),
    routerNetns: ns('rt'),
    region,
    regionBridge: link('br-r'),
    regionGateway: ipText(subnet(0) + 1),
    host: { iface: link('host'), routerIface: link('host-r'), address: ipText(subnet(0) + 2) },
    zones,
    namespaces: [ns('rt'), region.netns, ...zones.flatMap((z) => z.nodes.map((n) => n.netns))],
  };

  const components: ComponentPlan[] = [];
  for (const zone of zones) {
    // The data services of a zone run on its first node, as one database/cache VM per zone would.
    const first = zone.nodes[0]!;
    const at = { zone: zone.name, node: first.name, host: first.address };
    components.push(
      { ...at, name: `etcd-${zone.name}`, kind: 'etcd', port: PORTS.etcdClient, adminPort: PORTS.etcdPeer },
      {
        ...at,
        name: `postgres-${zone.name}`,
        kind: 'postgres',
        port: PORTS.postgres,
        adminPort: PORTS.patroniRest,
      },
      { ...at, name: `redis-${zone.name}`, kind: 'redis', port: PORTS.redis },
      { ...at, name: `sentinel-${zone.name}`, kind: 'sentinel', port: PORTS.sentinel },
    );
  }
  // Replicas go round-robin over zones (topology spread), then over the nodes of each zone.
  const perNode = new Map<string, number>();
  const perZone = new Map<string, number>();
  for (let r = 0; r < shape.replicas; r++) {
    const zone = zones[r % zones.length]!;
    const index = (perZone.get(zone.name) ?? 0) + 1;
    perZone.set(zone.name, index);
    const node = zone.nodes[(index - 1) % zone.nodes.length]!;
    const onNode = perNode.get(node.name) ?? 0;
    perNode.set(node.name, onNode + 1);
    components.push({
      name: `dapp-${zone.name}-${index}`,
      kind: 'dapp',
      zone: zone.name,
      node: node.name,
      host: node.address,
      port: PORTS.dapp + onNode,
    });
  }
  const regional = { node: 'region', host: region.address };
  components.push(
    { ...regional, name: 'lb', kind: 'lb', port: PORTS.lb },
    { ...regional, name: 'db-endpoint', kind: 'db-endpoint', port: PORTS.dbEndpoint },
    { ...regional, name: 's3', kind: 's3', port: PORTS.s3, adminPort: PORTS.s3Tls },
    { node: 'host', host: network.host.address, name: 'supervisor', kind: 'supervisor', port: 0 },
  );
  return { network, components };
}

/** Every node of the plan. */
export function allNodes(network: NetworkPlan): NodePlan[] {
  return network.zones.flatMap((z) => z.nodes);
}

/** The nodes a fault target names: a zone ('a') or a node ('a1'); undefined when it names neither. */
export function targetNodes(network: NetworkPlan, target: string): NodePlan[] | undefined {
  const zone = network.zones.find((z) => z.name === target);
  if (zone) return zone.nodes;
  const node = allNodes(network).find((n) => n.name === target);
  return node ? [node] : undefined;
}
