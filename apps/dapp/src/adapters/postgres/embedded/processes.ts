import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether a process exists and is not a zombie (a zombie has exited; it only waits to be reaped). */
export function processAlive(pid: number): boolean {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The state letter follows the parenthesised command name, which may itself contain spaces.
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process's command line, arguments joined by spaces ('' when it is gone or cannot be read). */
export function commandLine(pid: number): string {
  if (process.platform === 'linux') {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      return '';
    }
  }
  const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  return ps.status === 0 ? ps.stdout.trim() : '';
}

/** Waits (bounded) until the process is gone; true when it is. */
async function waitUntilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/**
 * Stops PostgreSQL the way its documentation advises: SIGINT (fast shutdown: roll back, checkpoint,
 * exit), then SIGQUIT (immediate: recovery at the next start) when it takes too long. True once it is gone.
 */
export async function stopPostgres(pid: number, fastMs = 60_000, immediateMs = 15_000): Promise<boolean> {
  for (const [name, waitMs] of [
    ['SIGINT', fastMs],
    ['SIGQUIT', immediateMs],
  ] as const) {
    signal(pid, name);
    if (await waitUntilGone(pid, waitMs)) return true;
  }
  return false;
}

/**
 * Waits (bounded) until an exited process is also reaped. PostgreSQL refuses to start beside a postmaster.pid
 * whose PID still answers kill(pid, 0), which a zombie does; where the init process reaps orphans slowly
 * (seconds, on some VMs), a start right after a crash would fail for no reason. True once it is gone.
 */
export async function waitUntilReaped(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (process.platform === 'linux' && existsSync(`/proc/${pid}`)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}
