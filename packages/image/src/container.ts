import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, execOrThrow } from './exec.ts';

export interface Mount {
  source: string;
  target: string;
  readOnly?: boolean;
}

export interface RunOptions {
  image: string;
  /** Unique per run: containers are found and removed by this name, never by a pattern. */
  name: string;
  /** Arguments after the image's ENTRYPOINT (what a Kubernetes container's `args` are). */
  args?: string[];
  /** Replaces the image's ENTRYPOINT (what a Kubernetes container's `command` is). */
  entrypoint?: string;
  env?: Record<string, string>;
  /** `uid:gid`; default: the image's USER. */
  user?: string;
  /** Refuse to start when the effective user is not a numeric non-zero uid (as the kubelet does). */
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  /** Writable tmpfs mounts (what an emptyDir is to the pod), e.g. `{ path: '/tmp', sizeLimit: '256m' }`. */
  tmpfs?: Array<{ path: string; sizeLimit?: string }>;
  mounts?: Mount[];
  capDrop?: string[];
  capAdd?: string[];
  noNewPrivileges?: boolean;
  /** Default: the runtime's default profile (Kubernetes `RuntimeDefault`). */
  seccompUnconfined?: boolean;
}

/** Hard limits of this process, from /proc/self/limits (`Max open files`, `Max processes`). */
function ownHardLimit(name: string): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name));
  const hard = line?.slice(name.length).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? Number.POSITIVE_INFINITY : Number(hard);
}

/**
 * `--ulimit` flags within what this process may grant. podman's defaults ask for more than a process
 * without CAP_SYS_RESOURCE in the initial namespace may set (runc then fails with "error setting
 * rlimits"), and runc sets them from podman's own limits, which can sit below the caller's; so ask for
 * what the service needs, never more than the caller has.
 */
export function ulimitArgs(): string[] {
  const nofile = Math.min(ownHardLimit('Max open files'), 65_536);
  const nproc = Math.min(ownHardLimit('Max processes'), 4_096);
  return ['--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
}

const started = new Set<string>();
process.once('exit', () => {
  // Containers of a test process that ends early (a failed assertion, a timeout) must not outlive it.
  if (started.size > 0)
    spawnSync('podman', ['rm', '--force', '--time', '0', ...started], { stdio: 'ignore' });
});

async function imageUser(image: string): Promise<string> {
  return (
    await execOrThrow('podman', ['image', 'inspect', '--format', '{{.Config.User}}', image])
  ).stdout.trim();
}

/** The podman arguments for `options`; the environment goes through a file so no value shows in `ps`. */
async function podmanRunArgs(options: RunOptions, envFile: string): Promise<string[]> {
  if (options.runAsNonRoot) {
    const user = options.user ?? (await imageUser(options.image));
    const uid = user.split(':')[0] ?? '';
    if (!/^[0-9]+$/.test(uid) || Number(uid) === 0) {
      throw new Error(
        `runAsNonRoot: ${options.image} would run as "${user || 'root'}", not a numeric non-zero uid`,
      );
    }
  }
  writeFileSync(
    envFile,
    Object.entries(options.env ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
    { mode: 0o600 },
  );
  const args = ['run', '--runtime', 'runc', '--network=host', '--name', options.name, ...ulimitArgs()];
  args.push('--env-file', envFile);
  if (options.user) args.push('--user', options.user);
  // podman's --read-only also mounts tmpfs on /tmp, /var/tmp and /run; the pod has only what it declares.
  if (options.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false');
  for (const t of options.tmpfs ?? []) {
    args.push('--tmpfs', `${t.path}:rw,mode=1777${t.sizeLimit ? `,size=${t.sizeLimit}` : ''}`);
  }
  for (const m of options.mounts ?? []) {
    args.push('--volume', `${m.source}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`);
  }
  for (const c of options.capDrop ?? []) args.push('--cap-drop', c);
  for (const c of options.capAdd ?? []) args.push('--cap-add', c);
  if (options.noNewPrivileges) args.push('--security-opt', 'no-new-privileges');
  if (options.seccompUnconfined) args.push('--security-opt', 'seccomp=unconfined');
  if (options.entrypoint) args.push('--entrypoint', options.entrypoint);
  return args;
}

export interface ContainerExit {
  exitCode: number;
  /** stdout and stderr of the container. */
  output: string;
}

export interface Container {
  readonly name: string;
  readonly id: string;
  /** The container's PID 1 as the host sees it (its /proc/<pid> shows the uid, capabilities, mounts). */
  hostPid(): Promise<number>;
  running(): Promise<boolean>;
  logs(): Promise<string>;
  /** `podman exec`: a command inside the running container (what a preStop exec hook is). */
  exec(command: readonly string[]): Promise<ContainerExit>;
  /** `podman stop`: SIGTERM, then SIGKILL when it has not exited after `timeoutSeconds`. */
  stop(timeoutSeconds: number): Promise<ContainerExit>;
  remove(): Promise<void>;
}

function containerHandle(name: string, id: string): Container {
  const inspect = async (format: string) =>
    (await execOrThrow('podman', ['container', 'inspect', '--format', format, name])).stdout.trim();
  const logs = async () => {
    const result = await exec('podman', ['logs', name]);
    return `${result.stdout}\n${result.stderr}`.trim();
  };
  return {
    name,
    id,
    hostPid: async () => Number(await inspect('{{.State.Pid}}')),
    running: async () => (await inspect('{{.State.Running}}')) === 'true',
    logs,
    async exec(command) {
      const result = await exec('podman', ['exec', name, ...command]);
      return { exitCode: result.status, output: `${result.stdout}\n${result.stderr}`.trim() };
    },
    async stop(timeoutSeconds) {
      await execOrThrow('podman', ['stop', '--time', String(timeoutSeconds), name]);
      return { exitCode: Number(await inspect('{{.State.ExitCode}}')), output: await logs() };
    },
    async remove() {
      await exec('podman', ['rm', '--force', '--time', '0', name]);
      started.delete(name);
    },
  };
}

/** Starts a container in the background (host network, runc) and returns its handle. */
export async function startContainer(options: RunOptions): Promise<Container> {
  const dir = mkdtempSync(join(tmpdir(), 'dalp-container-'));
  try {
    const args = await podmanRunArgs(options, join(dir, 'env'));
    started.add(options.name);
    const result = await execOrThrow('podman', [...args, '--detach', options.image, ...(options.args ?? [])]);
    return containerHandle(options.name, result.stdout.trim().split('\n').at(-1) ?? '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs a container to its end (a migration, a one-off command) and removes it; `timeoutMs` bounds a
 * container that hangs (it is then removed and the result is exit code 124, as `timeout` reports).
 */
export async function runContainer(options: RunOptions, timeoutMs = 120_000): Promise<ContainerExit> {
  const dir = mkdtempSync(join(tmpdir(), 'dalp-container-'));
  try {
    const args = await podmanRunArgs(options, join(dir, 'env'));
    started.add(options.name);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      void exec('podman', ['rm', '--force', '--time', '0', options.name]);
    }, timeoutMs);
    const result = await exec('podman', [...args, '--rm', options.image, ...(options.args ?? [])]);
    clearTimeout(timer);
    return { exitCode: timedOut ? 124 : result.status, output: `${result.stdout}\n${result.stderr}`.trim() };
  } finally {
    started.delete(options.name);
    rmSync(dir, { recursive: true, force: true });
  }
}
