import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** An OS user the lab runs servers as (PostgreSQL and Patroni refuse to run as root). */
export interface RunAs {
  uid: number;
  gid: number;
}

// ---------------------------------------------------------------------------------------------------
// Global cleanup registry. `process.on('exit')` only runs synchronous code, so every entry is a
// synchronous function (SIGKILL by PID, rmSync); that is enough to leave no server and no temp dir
// behind when a test crashes, is interrupted or forgets its `after` hook.

type Cleanup = () => void;
const cleanups = new Map<number, Cleanup>();
let nextCleanupId = 1;
let handlersInstalled = false;

function runAllCleanups(): void {
  // Newest first: servers are killed before the directories they write to are removed.
  const entries = [...cleanups.entries()].reverse();
  cleanups.clear();
  for (const [, fn] of entries) {
    try {
      fn();
    } catch {
      // Best effort: one failing cleanup must not stop the others.
    }
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', runAllCleanups);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => {
      runAllCleanups();
      // A host with its own handler (a graceful shutdown) decides when to exit; alone, we must exit,
      // because installing a listener disabled Node's default of dying on the signal.
      if (process.listenerCount(signal) === 0) process.exit(code);
    });
  }
}

/** Registers a synchronous cleanup run at process exit; returns a function that unregisters it. */
export function registerCleanup(fn: Cleanup): () => void {
  installHandlers();
  const id = nextCleanupId++;
  cleanups.set(id, fn);
  return () => {
    cleanups.delete(id);
  };
}

/** Runs every registered cleanup now (for a `dalp lab` command that tears the whole lab down). */
export function cleanupAll(): void {
  runAllCleanups();
}

// ---------------------------------------------------------------------------------------------------
// Temporary directories

export interface TempDir {
  path: string;
  remove(): void;
}

/** A fresh directory under the OS temp dir, removed by `remove()` or at process exit. */
export function makeTempDir(prefix: string, owner?: RunAs): TempDir {
  const path = mkdtempSync(join(tmpdir(), `dalp-lab-${prefix}-`));
  if (owner) chownSync(path, owner.uid, owner.gid);
  // Retries: a server killed an instant ago may still be finishing a write into the directory.
  const remove = (): void => rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  const unregister = registerCleanup(remove);
  return {
    path,
    remove() {
      unregister();
      remove();
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Processes

/** Sends a signal to a whole process group; false when the group no longer exists. */
export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends a signal to one process; false when it no longer exists. */
export function killPid(pid: number, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a process exists and is not a zombie. Servers that detach from their parent (Patroni's
 * postmaster calls setsid) are reaped by PID 1, which may take its time: a zombie is dead for us.
 */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the parenthesised command name, which may itself contain spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The last `lines` lines of a log file ('' when it does not exist). */
export function logTail(path: string, lines = 30): string {
  if (!existsSync(path)) return '';
  const text = readFileSync(path, 'utf8');
  return text
    .split('\n')
    .slice(-lines - 1)
    .join('\n')
    .trimEnd();
}

export interface SpawnOptions {
  /** Short name used in errors ("postgres", "patroni node2"). */
  name: string;
  command: string;
  args: readonly string[];
  /** stdout and stderr are appended here. */
  logPath: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  runAs?: RunAs;
  /** Network namespace (a name under /run/netns) to run in; entered with nsenter, which needs root. */
  netns?: string;
  /**
   * Outlives this process: not killed by the exit hook (the `dalp lab` command starts servers and
   * returns; they are stopped later by the PID it wrote down).
   */
  persistent?: boolean;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** Resolves with the exit code (or null after a signal) when the process ends. */
  readonly exited: Promise<number | null>;
  running(): boolean;
  /** Signals the whole process group. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, then SIGKILL when it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the group, resolves once the leader is gone. */
  kill(): Promise<void>;
  logTail(lines?: number): string;
}

/**
 * Starts a process in its own process group (detached) so it and everything it forks can be signalled
 * at once, with output appended to a log file. The child is unref'd: a test process that ends with
 * servers still running exits anyway, and the exit hook kills them.
 */
export function spawnManaged(options: SpawnOptions): ManagedProcess {
  const fd = openSync(options.logPath, 'a');
  if (options.runAs) chownSync(options.logPath, options.runAs.uid, options.runAs.gid);
  const { command, args, runAs } = inNamespace(options);
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      uid: runAs?.uid,
      gid: runAs?.gid,
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    throw new Error(`${options.name}: could not start ${options.command}`);
  }
  const pid = child.pid;
  let done = false;
  const exitPromise = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      done = true;
      unregister();
      resolve(code);
    });
    child.once('error', () => {
      done = true;
      unregister();
      resolve(null);
    });
  });
  const unregister = options.persistent
    ? () => undefined
    : registerCleanup(() => {
        killGroup(pid, 'SIGKILL');
      });
  child.unref();
  // The child is unref'd, so a caller awaiting its exit must hold the event loop open meanwhile
  // (otherwise Node would end with an unsettled promise).
  const awaitExit = async (): Promise<number | null> => {
    if (done) return exitPromise;
    child.ref();
    try {
      return await exitPromise;
    } finally {
      child.unref();
    }
  };

  const managed: ManagedProcess = {
    name: options.name,
    pid,
    logPath: options.logPath,
    get exited() {
      return awaitExit();
    },
    running: () => !done,
    signal(signal) {
      if (!done) killGroup(pid, signal);
    },
    async stop(graceMs = 10_000) {
      if (done) return;
      killGroup(pid, 'SIGTERM');
      if ((await withTimeout(awaitExit(), graceMs)) === TIMED_OUT) {
        killGroup(pid, 'SIGKILL');
        await awaitExit();
      }
      // Children that outlived the leader (same group) must not survive a stop either.
      killGroup(pid, 'SIGKILL');
    },
    async kill() {
      killGroup(pid, 'SIGKILL');
      await awaitExit();
    },
    logTail: (lines) => logTail(options.logPath, lines),
  };
  return managed;
}

export const NSENTER_BINARY = process.env.DALP_LAB_NSENTER ?? '/usr/bin/nsenter';

/**
 * The command line that runs `command` inside a network namespace. nsenter execs the command (the PID
 * stays the server's own) and switches to the server's user itself, since entering a namespace needs
 * root.
 */
function inNamespace(options: SpawnOptions): { command: string; args: readonly string[]; runAs?: RunAs } {
  if (!options.netns) return options;
  const user = options.runAs
    ? ['--setuid', String(options.runAs.uid), '--setgid', String(options.runAs.gid)]
    : [];
  return {
    command: NSENTER_BINARY,
    args: [`--net=/run/netns/${options.netns}`, ...user, '--', options.command, ...options.args],
  };
}

/**
 * A process as the lab writes it down: its PID and its start time (clock ticks since boot, from
 * /proc/PID/stat), so a PID the kernel gave to another process since is never signalled by mistake.
 */
export interface ProcessRef {
  pid: number;
  startTime: number;
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces); [0] is the state.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The reference of a running process, or undefined when it is gone. */
export function processRef(pid: number): ProcessRef | undefined {
  const fields = statFields(pid);
  // starttime is field 22 of /proc/PID/stat, index 19 after the command name.
  return fields ? { pid, startTime: Number(fields[19]) } : undefined;
}

/** 'running' (any live state), 'stopped' (SIGSTOP), or 'gone' (exited, zombie, or PID reused). */
export function refState(ref: ProcessRef | undefined): 'running' | 'stopped' | 'gone' {
  if (!ref) return 'gone';
  const fields = statFields(ref.pid);
  if (!fields || Number(fields[19]) !== ref.startTime) return 'gone';
  const state = fields[0];
  if (state === 'Z' || state === 'X') return 'gone';
  return state === 'T' ? 'stopped' : 'running';
}

/** Signals the process group of a recorded process, only if it is still that process. */
export function signalRef(ref: ProcessRef | undefined, signal: NodeJS.Signals): boolean {
  if (!ref || refState(ref) === 'gone') return false;
  return killGroup(ref.pid, signal) || killPid(ref.pid, signal);
}

export const TIMED_OUT = Symbol('timed out');

/** Resolves with the promise's value, or TIMED_OUT after `ms` (the timer never holds the process open). */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs a command to completion (as another user if asked); rejects with its output on failure. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; runAs?: RunAs; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env,
        uid: options.runAs?.uid,
        gid: options.runAs?.gid,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr || stdout}`.trim()),
          );
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------------
// Waiting

export interface WaitOptions {
  intervalMs?: number;
  /** Fails fast (with this process's log tail) when the process exits while we wait. */
  process?: ManagedProcess;
}

/**
 * Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs` with
 * the last error seen and, when a process is given, the tail of its log.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  what: string,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const interval = options.intervalMs ?? 100;
  let lastError: unknown;
  for (;;) {
    if (options.process && !options.process.running()) {
      throw new Error(
        `${what}: ${options.process.name} exited before it was ready\n${options.process.logTail()}`.trimEnd(),
      );
    }
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      const tail = options.process
        ? `\n--- ${options.process.name} log tail ---\n${options.process.logTail()}`
        : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}${tail}`);
    }
    await sleep(interval);
  }
}

/** uid/gid of a local OS user, read from /etc/passwd (no library exposes getpwnam in Node). */
export function lookupUser(name: string): RunAs {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`));
  const fields = line?.split(':');
  if (!fields || fields.length < 4) throw new Error(`OS user "${name}" does not exist`);
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * The user to run PostgreSQL-family servers as: `postgres` when we are root (initdb and postgres refuse
 * root), else nobody to switch to.
 */
export function postgresUser(): RunAs | undefined {
  return process.getuid?.() === 0 ? lookupUser('postgres') : undefined;
}
