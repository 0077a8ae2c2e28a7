// The lab's kubelet: one long-lived process per lab (started by `up`, PID in the state file) that keeps
// the dapp replicas running as the kubelet keeps a pod's containers running. Why a process of its own:
// `dalp lab up` returns while the lab runs, so something must outlive it to notice a crash at any time;
// one supervisor per lab (not one per replica) because it also needs the lab-wide view (powered-off
// nodes, replicas a library call is restarting) and the load balancer's runtime API. Data services are
// not restarted: they stand for managed services and VMs, which come back through `restart` or
// `power-on`; the one thing done for them is rebuilding a standby that stopped streaming (StandbyRepair).
//
// Per replica it does what the kubelet does:
// - notices an exit within a second (the kubelet's PLEG relists every second) and takes the replica out
//   of the load balancer (the endpoint update);
// - restarts it with CrashLoopBackOff: at once after the first crash, then after the back-off delay
//   (counted from the previous restart), doubling to a maximum, reset once it ran twice the maximum;
// - puts it back in service once it answers /readyz;
// - runs the liveness probe (TCP, as the chart's default) and terminates the replica after
//   failureThreshold failures, gracefully, as the kubelet does.
import { connect } from 'node:net';
import { type PatroniNodeView, patroniGet } from '../patroni.ts';
import { dcsLeader, reachable, ready } from './components.ts';
import { launch, processState, setInService, terminateReplica } from './lifecycle.ts';
import { type ComponentState, type LabState, readState, updateState } from './state.ts';

export const TICK_MS = 1_000;

export function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

/** The next back-off delay when a replica is restarted now (the kubelet's backoff.Next). */
export function nextBackoff(c: ComponentState, now: number, timings: LabState['timings']): number {
  const { restartBackoffInitialMs: initial, restartBackoffMaxMs: max } = timings;
  const expired = c.backoffAt === undefined || now - c.backoffAt > 2 * max;
  return !c.backoffMs || expired ? initial : Math.min(2 * c.backoffMs, max);
}

/** When a replica that exited at `now` may start again (the kubelet's IsInBackOffSince). */
export function restartAt(c: ComponentState, now: number): number {
  if (!c.backoffMs || c.backoffAt === undefined) return now;
  return Math.max(now, c.backoffAt + c.backoffMs);
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

interface ReplicaMemory {
  /** Started, not yet back in the load balancer. */
  awaitingReady: boolean;
  livenessFailures: number;
  lastProbeAt: number;
  /** A graceful termination after failed liveness probes is under way. */
  terminating: boolean;
}

export class Supervisor {
  private readonly memory = new Map<string, ReplicaMemory>();
  private readonly standbys = new StandbyRepair();

  constructor(private readonly dir: string) {}

  private remember(name: string): ReplicaMemory {
    let m = this.memory.get(name);
    if (!m) {
      m = { awaitingReady: false, livenessFailures: 0, lastProbeAt: 0, terminating: false };
      this.memory.set(name, m);
    }
    return m;
  }

  /** One pass over every replica; false once the lab is gone. */
  async tick(): Promise<boolean> {
    const state = readState(this.dir);
    if (!state) return false;
    if (state.phase !== 'running') return true;
    const replicas = Object.values(state.components).filter((c) => c.kind === 'dapp');
    await Promise.all([...replicas.map((c) => this.look(state, c)), this.standbys.check(state)]);
    return true;
  }

  private async look(state: LabState, c: ComponentState): Promise<void> {
    const m = this.remember(c.name);
    if (c.held || m.terminating || state.poweredOff.includes(c.node)) {
      m.awaitingReady = false;
      return;
    }
    const now = Date.now();
    const running = processState(c);
    if (running === 'gone') {
      if (c.nextStartAt === undefined) {
        const at = restartAt(c, now);
        log(
          `${c.name} exited; ${at > now ? `back-off ${Math.round((at - now) / 1000)} s` : 'restarting now'}`,
        );
        await setInService(state, c.name, false);
        await updateState(this.dir, (s) => {
          s.components[c.name]!.nextStartAt = at;
        });
        return;
      }
      if (now < c.nextStartAt) return;
      const backoff = nextBackoff(c, now, state.timings);
      const updated = await updateState(this.dir, (s) => {
        const r = s.components[c.name]!;
        r.restarts = (r.restarts ?? 0) + 1;
        r.backoffMs = backoff;
        r.backoffAt = now;
        r.nextStartAt = undefined;
      });
      await launch(updated, c.name);
      log(
        `${c.name} started again (restart ${updated.components[c.name]!.restarts}, next back-off ${backoff / 1000} s)`,
      );
      Object.assign(m, { awaitingReady: true, livenessFailures: 0, lastProbeAt: now });
      return;
    }
    if (m.awaitingReady) {
      if (await ready(state, c).catch(() => false)) {
        await setInService(state, c.name, true);
        m.awaitingReady = false;
        log(`${c.name} ready: back in the load balancer`);
      }
      return;
    }
    await this.probeLiveness(state, c, m, now);
  }

  private async probeLiveness(
    state: LabState,
    c: ComponentState,
    m: ReplicaMemory,
    now: number,
  ): Promise<void> {
    const t = state.timings;
    if (now - (c.startedAt ?? 0) < t.livenessInitialDelayMs || now - m.lastProbeAt < t.livenessPeriodMs)
      return;
    m.lastProbeAt = now;
    if (await tcpProbe(c.host, c.port, t.livenessTimeoutMs)) {
      m.livenessFailures = 0;
      return;
    }
    m.livenessFailures += 1;
    log(`${c.name} liveness probe failed (${m.livenessFailures}/${t.livenessFailureThreshold})`);
    if (m.livenessFailures < t.livenessFailureThreshold) return;
    m.terminating = true;
    m.livenessFailures = 0;
    log(`${c.name} failed its liveness probe: terminating it`);
    // In the background: the termination takes the preStop sleep and up to the grace period.
    terminateReplica(state, c)
      .catch((error: Error) => log(`${c.name} termination failed: ${error.message}`))
      .finally(() => {
        m.terminating = false;
      });
  }
}

/**
 * The managed database's control plane, in one respect: a standby that runs but has not streamed from
 * the primary for a while is rebuilt from it (Patroni's reinitialize: a fresh base backup), as a managed
 * service replaces a broken standby. Needed because Patroni 3.0.2 does not always rewind a replica whose
 * WAL went past the new primary's fork point after a failover under load (it then waits for WAL that never
 * comes); every rebuild is in the supervisor's log and counted in the member's state.
 *
 * A rebuild throws the standby's data away, so it only ever copies from the member the DCS names leader:
 * that name is read from etcd with a quorum read, that member must be the only one answering as primary,
 * and the standby's own Patroni (which picks the member it clones from) must name the same leader. When
 * any of these does not hold (no quorum, a split brain, a stale view) nothing is rebuilt.
 */
export class StandbyRepair {
  private readonly since = new Map<string, number>();
  private lastCheck = 0;

  async check(state: LabState): Promise<void> {
    const now = Date.now();
    if (now - this.lastCheck < STANDBY_CHECK_MS) return;
    this.lastCheck = now;
    const members = Object.values(state.components).filter(
      (c) => c.kind === 'postgres' && reachable(state, c) && processState(c) === 'running',
    );
    const [leader, views] = await Promise.all([
      dcsLeader(state),
      Promise.all(
        members.map(async (c) => ({
          c,
          name: c.name,
          view: await patroniGet<PatroniNodeView>(`http://${c.host}:${c.adminPort}/patroni`)
            .then((r) => r.body)
            .catch(() => undefined),
        })),
      ),
    ]);
    const primary = rebuildSource(leader, views);
    if (!primary?.view) {
      this.since.clear();
      return;
    }
    const streaming = new Set(
      (primary.view.replication ?? []).filter((r) => r.state === 'streaming').map((r) => r.application_name),
    );
    for (const { c, view } of views) {
      if (c === primary.c || view?.state !== 'running' || streaming.has(c.name)) {
        this.since.delete(c.name);
        continue;
      }
      const first = this.since.get(c.name) ?? now;
      this.since.set(c.name, first);
      if (now - first < state.timings.standbyRepairAfterMs) continue;
      const seen = await patroniGet<{ members?: { name: string; role: string }[] }>(
        `http://${c.host}:${c.adminPort}/cluster`,
      )
        .then((r) => r.body.members?.find((m) => m.role === 'leader')?.name)
        .catch(() => undefined);
      if (seen !== primary.name) {
        log(
          `${c.name} has not streamed for ${Math.round((now - first) / 1000)} s, but its Patroni names ${seen ?? 'no'} leader, the DCS ${primary.name}: not rebuilding it`,
        );
        continue;
      }
      this.since.delete(c.name);
      log(
        `${c.name} has not streamed from ${primary.name} for ${Math.round((now - first) / 1000)} s: rebuilding it from the leader`,
      );
      const answer = await fetch(`http://${c.host}:${c.adminPort}/reinitialize`, {
        method: 'POST',
        body: JSON.stringify({ force: true }),
        signal: AbortSignal.timeout(5_000),
      }).catch((error: Error) => error);
      log(
        `${c.name} reinitialize: ${answer instanceof Error ? answer.message : `${answer.status} ${await answer.text()}`}`,
      );
      await updateState(state.dir, (s) => {
        const member = s.components[c.name]!;
        member.rebuilds = (member.rebuilds ?? 0) + 1;
      });
    }
  }
}

/** What one member's Patroni says about itself (undefined when it did not answer). */
export interface MemberView {
  name: string;
  view: PatroniNodeView | undefined;
}

/**
 * The only member a standby may be rebuilt from: the one the DCS names leader, provided it is the only
 * member answering as primary and it runs. Undefined otherwise (no quorum, split brain, a stale leader).
 */
export function rebuildSource<T extends MemberView>(leader: string | undefined, views: T[]): T | undefined {
  const primaries = views.filter((v) => v.view?.role === 'primary' || v.view?.role === 'master');
  const [only] = primaries;
  if (!leader || primaries.length !== 1 || only?.name !== leader || only.view?.state !== 'running')
    return undefined;
  return only;
}

export const STANDBY_CHECK_MS = 5_000;

/** Runs the supervisor until the lab's state file is gone (then `down` has taken the lab away). */
export async function runSupervisor(dir: string): Promise<void> {
  const supervisor = new Supervisor(dir);
  log(`supervising the dapp replicas of the lab in ${dir}`);
  for (;;) {
    try {
      if (!(await supervisor.tick())) break;
    } catch (error) {
      log(`supervisor pass failed: ${(error as Error).message.split('\n')[0]}`);
    }
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  log('the lab is gone: supervisor exits');
}
