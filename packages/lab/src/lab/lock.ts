// A lock file for short critical sections between processes (the CLI, a test, the supervisor; labs
// claiming address blocks). Hand-written because proper-lockfile installs process-wide signal handlers
// (signal-exit) when it is loaded, which keep a SIGTERM from ending a process that also uses this
// package's cleanup registry. Here a lock is a file created with O_EXCL that names its owner by PID and
// start time, so a lock whose owner died is recognised at once and taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ProcessRef, processRef, refState } from '../processes.ts';

function ownerGone(path: string): boolean {
  try {
    return refState(JSON.parse(readFileSync(path, 'utf8')) as ProcessRef) === 'gone';
  } catch {
    // Unreadable: its owner is between creating and writing it; wait.
    return false;
  }
}

/** Runs `work` holding the lock file `path`; waits (bounded) while another live process holds it. */
export async function withLock<T>(path: string, work: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  const me = JSON.stringify(processRef(process.pid));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(path, me, { flag: 'wx', mode: 0o600 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (ownerGone(path)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new Error(`lock ${path} still held after ${timeoutMs} ms`);
      await sleep(10 + Math.random() * 40);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}
