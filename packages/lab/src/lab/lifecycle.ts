// Starting, signalling and stopping one lab component by what the state file says about it. Processes
// are started detached and persistent (they outlive the command that started them) and are only ever
// signalled through their recorded PID and start time.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  logTail,
  type ProcessRef,
  processRef,
  refState,
  signalRef,
  spawnManaged,
  waitFor,
} from '../processes.ts';
import {
  extraProcesses,
  haproxyRuntime,
  prepare,
  type ReplicaRunner,
  ready,
  SOURCE_RUNNER,
} from './components.ts';
import { type ComponentState, type LabState, updateState } from './state.ts';

/** The component's processes that are alive now (its own, and Patroni's postmaster). */
export function liveProcesses(c: ComponentState): ProcessRef[] {
  return [c.process, ...extraProcesses(c)].filter(
    (ref): ref is ProcessRef => ref !== undefined && refState(ref) !== 'gone',
  );
}

/** 'running', 'stopped' (SIGSTOP) or 'gone', for the component's own process. */
export function processState(c: ComponentState): 'running' | 'stopped' | 'gone' {
  return refState(c.process);
}

async function waitGone(refs: (ProcessRef | undefined)[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (refs.some((ref) => refState(ref) !== 'gone')) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Starts the component and writes its PID into the state; does not wait until it is ready. */
export async function launch(
  state: LabState,
  name: string,
  runner: ReplicaRunner = SOURCE_RUNNER,
): Promise<ComponentState> {
  const component = state.components[name];
  if (!component) throw new Error(`no lab component named ${name}`);
  if (processState(component) !== 'gone') throw new Error(`${name} is already running`);
  const spec = prepare(state, component, runner);
  const child = spawnManaged({
    name,
    command: spec.command,
    args: spec.args,
    env: spec.env,
    cwd: spec.cwd,
    netns: spec.netns,
    runAs: spec.runAs,
    logPath: component.logPath,
    persistent: true,
  });
  const ref = processRef(child.pid);
  if (!ref) throw new Error(`${name} exited at once\n${logTail(component.logPath, 15)}`);
  const now = Date.now();
  const updated = await updateState(state.dir, (s) => {
    const c = s.components[name]!;
    c.process = ref;
    c.startedAt = now;
  });
  Object.assign(state, updated);
  return state.components[name]!;
}

/** Waits until the component answers as ready; fails at once (with its log tail) if it exits meanwhile. */
export async function waitReady(state: LabState, name: string, timeoutMs: number): Promise<void> {
  const component = state.components[name]!;
  const tail = () => `\n--- ${name} log tail ---\n${logTail(component.logPath, 15)}`;
  const outcome = await waitFor(
    async () => (processState(component) === 'gone' ? 'exited' : (await ready(state, component)) && 'ready'),
    timeoutMs,
    `${name} to be ready`,
    { intervalMs: 200 },
  ).catch((error: Error) => {
    throw new Error(`${error.message}${tail()}`);
  });
  if (outcome === 'exited') throw new Error(`${name} exited before it was ready${tail()}`);
}

/** SIGKILL to every process of the component; resolves once they are gone. */
export async function killComponent(c: ComponentState): Promise<void> {
  // Patroni first, so it cannot restart the postmaster that is killed next.
  signalRef(c.process, 'SIGKILL');
  await waitGone([c.process], 10_000);
  const rest = extraProcesses(c);
  for (const ref of rest) signalRef(ref, 'SIGKILL');
  if (!(await waitGone(rest, 10_000))) throw new Error(`${c.name} survived SIGKILL`);
}

/** SIGSTOP or SIGCONT to every process of the component (a hung process, then a revived one). */
export function signalComponent(c: ComponentState, signal: 'SIGSTOP' | 'SIGCONT'): void {
  for (const ref of liveProcesses(c)) signalRef(ref, signal);
}

/** SIGTERM (a clean shutdown: Patroni stops PostgreSQL itself), SIGKILL after `graceMs`. */
export async function stopComponent(c: ComponentState, graceMs: number): Promise<void> {
  const refs = liveProcesses(c);
  // A stopped process cannot act on SIGTERM until it is continued.
  for (const ref of refs) signalRef(ref, 'SIGCONT');
  signalRef(c.process, 'SIGTERM');
  if (!(await waitGone([c.process], graceMs))) signalRef(c.process, 'SIGKILL');
  await killComponent(c);
}

/**
 * Terminates a dapp replica as the kubelet terminates a pod: the endpoint leaves the load balancer at
 * once (the EndpointSlice update), the preStop sleep runs, SIGTERM, and SIGKILL when the grace period
 * (counted from the start, preStop included) runs out.
 */
export async function terminateReplica(state: LabState, c: ComponentState): Promise<void> {
  const { timings } = state;
  const started = Date.now();
  await setInService(state, c.name, false);
  if (processState(c) !== 'gone') await sleep(timings.preStopSleepMs);
  const left = Math.max(0, timings.terminationGracePeriodMs - (Date.now() - started));
  await stopComponent(c, left);
}

/** Puts a replica in or out of the load balancer (HAProxy's runtime API: `ready` or `maint`). */
export async function setInService(state: LabState, name: string, inService: boolean): Promise<void> {
  const lb = state.components.lb;
  if (!lb || processState(lb) === 'gone') return;
  await haproxyRuntime(lb, `set server lb/${name} state ${inService ? 'ready' : 'maint'}`).catch(
    () => undefined,
  );
}
