// The lab's network: one namespace per node, one for the regional services and one router; a bridge
// per zone and one for the region inside the router's namespace, veth links from each namespace to its
// bridge, and one link from the host so the operator (and the supervisor) can reach every address. The
// router forwards between the lab's subnets only: it has no default route, so nothing leaves the machine.
// Every name contains the lab id; deleting the lab's namespaces removes every bridge and link with them.
import { existsSync, readdirSync } from 'node:fs';
import { run } from '../processes.ts';
import { type NetworkPlan, type NodePlan, targetNodes } from './topology.ts';

const IP = process.env.DALP_LAB_IP ?? '/usr/sbin/ip';
const IPTABLES = process.env.DALP_LAB_IPTABLES ?? '/usr/sbin/iptables';

const ip = (...args: string[]) => run(IP, args, { timeoutMs: 15_000 });
const inNs = (netns: string, ...args: string[]) => ip('-n', netns, ...args);
const iptables = (netns: string, ...args: string[]) =>
  run(IP, ['netns', 'exec', netns, IPTABLES, '-w', '5', ...args], { timeoutMs: 15_000 });

export function namespaceExists(netns: string): boolean {
  return existsSync(`/run/netns/${netns}`);
}

/** Namespaces on this machine whose name says they belong to lab `id` (also those a crashed `up` left). */
export function labNamespaces(id: string): string[] {
  if (!existsSync('/run/netns')) return [];
  return readdirSync('/run/netns').filter((name) => name.startsWith(`dalp-${id}-`));
}

async function addNamespace(netns: string): Promise<void> {
  if (!namespaceExists(netns)) await ip('netns', 'add', netns);
  await inNs(netns, 'link', 'set', 'lo', 'up');
}

/** A veth from `netns` (named `iface`, given `address`/24) to `bridge` in the router's namespace. */
async function attach(
  plan: NetworkPlan,
  link: { netns: string; iface: string; routerIface: string; address: string },
  bridge: string,
  gateway: string,
): Promise<void> {
  await ip(
    'link',
    'add',
    link.iface,
    'netns',
    link.netns,
    'type',
    'veth',
    'peer',
    'name',
    link.routerIface,
    'netns',
    plan.routerNetns,
  );
  await inNs(plan.routerNetns, 'link', 'set', link.routerIface, 'master', bridge, 'up');
  await inNs(link.netns, 'addr', 'add', `${link.address}/24`, 'dev', link.iface);
  await inNs(link.netns, 'link', 'set', link.iface, 'up');
  await inNs(link.netns, 'route', 'add', 'default', 'via', gateway);
}

async function addBridge(plan: NetworkPlan, bridge: string, gateway: string): Promise<void> {
  await inNs(plan.routerNetns, 'link', 'add', bridge, 'type', 'bridge');
  await inNs(plan.routerNetns, 'addr', 'add', `${gateway}/24`, 'dev', bridge);
  await inNs(plan.routerNetns, 'link', 'set', bridge, 'up');
}

/** Creates the whole network (the caller has written the plan down first, so `down` can undo a part). */
export async function createNetwork(plan: NetworkPlan): Promise<void> {
  await addNamespace(plan.routerNetns);
  await ip('netns', 'exec', plan.routerNetns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  await addBridge(plan, plan.regionBridge, plan.regionGateway);
  for (const zone of plan.zones) await addBridge(plan, zone.bridge, zone.gateway);

  await addNamespace(plan.region.netns);
  await attach(plan, plan.region, plan.regionBridge, plan.regionGateway);
  for (const zone of plan.zones) {
    for (const node of zone.nodes) {
      await addNamespace(node.netns);
      await attach(plan, node, zone.bridge, zone.gateway);
    }
  }

  // The host's way in: an address on the region's subnet and a route to the lab's block only.
  const { host } = plan;
  await ip(
    'link',
    'add',
    host.iface,
    'type',
    'veth',
    'peer',
    'name',
    host.routerIface,
    'netns',
    plan.routerNetns,
  );
  await inNs(plan.routerNetns, 'link', 'set', host.routerIface, 'master', plan.regionBridge, 'up');
  await ip('addr', 'add', `${host.address}/24`, 'dev', host.iface);
  await ip('link', 'set', host.iface, 'up');
  await ip('route', 'add', plan.block, 'via', plan.regionGateway, 'dev', host.iface);
}

/** PIDs of every process inside a namespace (the kernel's answer, not what we wrote down). */
export async function namespacePids(netns: string): Promise<number[]> {
  if (!namespaceExists(netns)) return [];
  const out = await ip('netns', 'pids', netns).catch(() => '');
  return out
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** SIGKILLs every process in the namespace; resolves when none is left (bounded). */
export async function killNamespace(netns: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const pids = await namespacePids(netns);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`processes in namespace ${netns} survived SIGKILL`);
}

/**
 * Removes every namespace of lab `id` (the planned ones and any other carrying its id) with their
 * processes, bridges and links, and the host's link. Safe to run on a half-built or already-removed lab.
 */
export async function destroyNetwork(id: string, plan: NetworkPlan | undefined): Promise<void> {
  const names = new Set([...(plan?.namespaces ?? []), ...labNamespaces(id)]);
  for (const netns of names) {
    if (!namespaceExists(netns)) continue;
    await killNamespace(netns);
    await ip('netns', 'del', netns);
  }
  // Normally gone with the router's namespace (its peer); a crash between the two `ip` calls may leave it.
  const hostIface = plan?.host.iface ?? `dl${id}-host`;
  if (existsSync(`/sys/class/net/${hostIface}`)) await ip('link', 'del', hostIface);
}

/** Link state of a node: down is a powered-off machine (its packets go nowhere, peers time out). */
export async function setNodeLink(node: NodePlan, up: boolean): Promise<void> {
  await inNs(node.netns, 'link', 'set', node.iface, up ? 'up' : 'down');
  if (up) {
    // Setting the link down removed the default route with it.
    const gateway = node.address.replace(/\.\d+$/, '.1');
    await inNs(node.netns, 'route', 'replace', 'default', 'via', gateway);
  }
}

/**
 * Makes every node's firewall match the partitions: a partitioned node talks to nobody, a node of a
 * partitioned zone only to its own zone; both keep the host's management path (the operator's
 * out-of-band access, and the supervisor standing in for each node's own kubelet). Packets are dropped,
 * not rejected, so peers see timeouts as they do when a network splits.
 */
export async function applyPartitions(plan: NetworkPlan, id: string, partitions: string[]): Promise<void> {
  const cut = new Set(partitions.flatMap((target) => targetNodes(plan, target) ?? []).map((n) => n.name));
  const cutZones = new Set(partitions.filter((t) => plan.zones.some((z) => z.name === t)));
  for (const zone of plan.zones) {
    for (const node of zone.nodes) {
      const allowed = [plan.host.address];
      if (cutZones.has(zone.name) && !partitions.includes(node.name)) allowed.push(zone.subnet);
      await firewall(node, id, cut.has(node.name) ? allowed : undefined);
    }
  }
}

/** Chains of lab `id` in a node's namespace: removed (allowed undefined) or set to allow only these. */
async function firewall(node: NodePlan, id: string, allowed: string[] | undefined): Promise<void> {
  const chains = [
    { chain: `DALP-${id}-IN`, hook: 'INPUT', dir: '-i', peer: '-s' },
    { chain: `DALP-${id}-OUT`, hook: 'OUTPUT', dir: '-o', peer: '-d' },
  ];
  const listing = await iptables(node.netns, '-S');
  for (const { chain, hook, dir, peer } of chains) {
    const exists = listing.includes(`-N ${chain}`);
    const jump = [hook, dir, node.iface, '-m', 'comment', '--comment', `dalp-lab-${id}`, '-j', chain];
    if (!allowed) {
      if (!exists) continue;
      await iptables(node.netns, '-D', ...jump);
      await iptables(node.netns, '-F', chain);
      await iptables(node.netns, '-X', chain);
      continue;
    }
    if (exists) await iptables(node.netns, '-F', chain);
    else {
      await iptables(node.netns, '-N', chain);
      await iptables(node.netns, '-A', ...jump);
    }
    for (const address of allowed) await iptables(node.netns, '-A', chain, peer, address, '-j', 'RETURN');
    await iptables(node.netns, '-A', chain, '-j', 'DROP');
  }
}
