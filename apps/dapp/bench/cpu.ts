import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// CPU time per process from /proc (Linux), so the bench can say what each side of a run cost per request:
// the service, PostgreSQL and the load generator share the machine's cores. By hand because no maintained
// package reads per-process CPU of other processes; pidusage reads the same files but only as percentages.

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** The fields of /proc/<pid>/stat after the command name (which may itself contain spaces). */
function statFields(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined; // exited meanwhile
  }
}

// Indexes into statFields: ppid, utime, stime, cutime, cstime (fields 4, 14-17 of proc(5)).
const PPID = 1;
const UTIME = 11;

function seconds(fields: string[] | undefined, from: number, count: number): number {
  if (!fields) return 0;
  let ticks = 0;
  for (let i = from; i < from + count; i++) ticks += Number(fields[i]);
  return ticks / TICKS_PER_SECOND;
}

/** User and system CPU seconds of one process, all its threads. */
export function processCpu(pid: number): number {
  return seconds(statFields(pid), UTIME, 2);
}

/** CPU seconds of this process's children that have exited and been waited for (a pgbench or wrk run). */
export function exitedChildrenCpu(): number {
  return seconds(statFields('self'), UTIME + 2, 2);
}

/**
 * CPU seconds of a PostgreSQL server: the postmaster, its live children (backends, WAL writer,
 * checkpointer) and, through the postmaster's own children counters, the backends that have exited.
 */
export function postgresCpu(postmasterPidFile: string): number {
  const postmaster = Number(readFileSync(postmasterPidFile, 'utf8').split('\n')[0]);
  let total = seconds(statFields(postmaster), UTIME, 4);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields && Number(fields[PPID]) === postmaster) total += seconds(fields, UTIME, 2);
  }
  return total;
}
