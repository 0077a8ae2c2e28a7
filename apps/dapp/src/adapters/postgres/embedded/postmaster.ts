import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { chown, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PostgresBinaries } from './binaries.ts';
import { EmbeddedDatabaseError, OR_EXTERNAL } from './errors.ts';
import type { RunAs } from './os-user.ts';
import { commandLine, processAlive, stopPostgres, waitUntilReaped } from './processes.ts';

export interface EmbeddedLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The database superuser the service connects as. */
export const SUPERUSER = 'dalp';

const READY_TIMEOUT_MS = 120_000;

let watchdog: boolean | undefined;

/**
 * Whether PostgreSQL can be tied to our lifetime: util-linux `setpriv --pdeathsig` asks the kernel to send
 * it SIGINT (PostgreSQL's fast shutdown: roll back, checkpoint, exit) when this process dies, even by
 * SIGKILL or the OOM killer, which no handler of ours would see. Linux only; elsewhere a server left behind
 * is found and stopped by the next start instead.
 */
export function watchdogAvailable(): boolean {
  watchdog ??=
    process.platform === 'linux' &&
    (spawnSync('setpriv', ['--help'], { encoding: 'utf8' }).stdout ?? '').includes('--pdeathsig');
  return watchdog;
}

/** Starts a PostgreSQL program as `user`, under the watchdog where there is one. */
function spawnPostgresProgram(
  command: string,
  args: string[],
  user: RunAs | undefined,
  cwd: string,
): ChildProcess {
  const [file, argv] = watchdogAvailable()
    ? ['setpriv', ['--pdeathsig', 'SIGINT', '--', command, ...args]]
    : [command, args];
  return spawn(file, argv, {
    cwd,
    uid: user?.uid,
    gid: user?.gid,
    // English messages: the failure explanations below match on them.
    env: { ...process.env, LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The last lines a PostgreSQL program printed, kept to explain a failure. */
class Output {
  private readonly lines: string[] = [];

  constructor(
    child: ChildProcess,
    private readonly log: EmbeddedLog,
  ) {
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        const text = line.trim();
        if (!text) continue;
        this.log.debug(text);
        this.lines.push(text);
        if (this.lines.length > 50) this.lines.shift();
      }
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);
  }

  has(pattern: RegExp): boolean {
    return this.lines.some((line) => pattern.test(line));
  }

  /** The line that says most: the last FATAL/PANIC/ERROR, else the last line; the log prefix cut off. */
  telling(): string | undefined {
    const line =
      this.lines.findLast((l) => /\b(FATAL|PANIC|ERROR):|\berror:/.test(l)) ??
      this.lines[this.lines.length - 1];
    return line?.replace(/^.*?\b(FATAL|PANIC|ERROR|LOG|WARNING):\s+/, '$1: ');
  }
}

type Exit = { code: number | null; signal: NodeJS.Signals | null };

function exitOf(child: ChildProcess, binary: string, user: RunAs | undefined): Promise<Exit> {
  return new Promise((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      const as = user ? ` as the ${user.name} OS user` : '';
      reject(
        new EmbeddedDatabaseError(
          `cannot run ${binary}${as}: ${error.code ?? error.message}; reinstall the embedded PostgreSQL with npm ci, ${OR_EXTERNAL}`,
        ),
      );
    });
    child.once('exit', (code, sig) => resolve({ code, signal: sig }));
  });
}

function describeExit(exit: Exit): string {
  return exit.signal ? `was stopped by ${exit.signal}` : `exited with code ${exit.code}`;
}

/** Why a PostgreSQL program failed, in the user's terms; `retry` marks the causes a new attempt can clear. */
interface Failure {
  retry?: 'port' | 'shared-memory';
  message: string;
}

function explain(program: string, output: Output, exit: Exit, pgdata: string, port?: number): Failure {
  const said = output.telling();
  const quoted = said ? ` (PostgreSQL: "${said}")` : '';
  if (output.has(/No space left on device/)) {
    return {
      message: `no space left on the device that holds ${pgdata}${quoted}; free some space and start again`,
    };
  }
  if (output.has(/could not bind .*Address already in use|could not create any TCP\/IP sockets/)) {
    return { retry: 'port', message: `port ${port} on 127.0.0.1 is already in use${quoted}` };
  }
  if (output.has(/pre-existing shared memory block .* is still in use/)) {
    return {
      retry: 'shared-memory',
      message: `processes of an earlier PostgreSQL on ${pgdata} still hold its shared memory${quoted}; wait until they have exited and start again`,
    };
  }
  if (output.has(/lock file "postmaster\.pid" already exists/)) {
    return {
      message: `another PostgreSQL server runs on ${pgdata}${quoted}; stop it and start again`,
    };
  }
  if (output.has(/error while loading shared libraries/)) {
    return {
      message: `the embedded PostgreSQL cannot load its libraries${quoted}; reinstall it with npm ci, ${OR_EXTERNAL}`,
    };
  }
  const what = said ? `: "${said}"` : ` and printed nothing`;
  return {
    message: `the embedded PostgreSQL (${program}) ${describeExit(exit)}${what}; its data directory is ${pgdata}, ${OR_EXTERNAL}`,
  };
}

/** Creates a new cluster in the empty directory `pgdata`, superuser `dalp` with `password`. */
export async function initialise(
  binaries: PostgresBinaries,
  pgdata: string,
  user: RunAs | undefined,
  password: string,
  log: EmbeddedLog,
): Promise<void> {
  // Beside pgdata: a directory the postgres user can reach, unlike a temp dir under a private TMPDIR.
  const pwfile = join(dirname(pgdata), `.initdb-password-${process.pid}`);
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    if (user) await chown(pwfile, user.uid, user.gid);
    const child = spawnPostgresProgram(
      binaries.initdb,
      [
        `--pgdata=${pgdata}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      user,
      dirname(pgdata),
    );
    const output = new Output(child, log);
    const exit = await exitOf(child, binaries.initdb, user);
    if (exit.code !== 0) throw new EmbeddedDatabaseError(explain('initdb', output, exit, pgdata).message);
  } finally {
    await rm(pwfile, { force: true });
  }
}

/** The fields of postmaster.pid (see PostgreSQL's pidfile.h): PID, data directory, ..., port, ..., status. */
async function readPidFile(
  pgdata: string,
): Promise<{ pid: number; port: number; status: string } | undefined> {
  try {
    const lines = (await readFile(join(pgdata, 'postmaster.pid'), 'utf8')).split('\n');
    return { pid: Number(lines[0]), port: Number(lines[3]), status: (lines[7] ?? '').trim() };
  } catch {
    return undefined;
  }
}

export interface Postmaster {
  readonly port: number;
  /** Fast shutdown, escalating when PostgreSQL does not finish in time; resolves once it is gone. */
  stop(): Promise<void>;
}

async function startOnce(
  binaries: PostgresBinaries,
  pgdata: string,
  port: number,
  user: RunAs | undefined,
  log: EmbeddedLog,
): Promise<Postmaster | Failure> {
  const child = spawnPostgresProgram(
    binaries.postgres,
    [
      '-D',
      pgdata,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      // TCP on loopback only: no socket file in /tmp that other local users could reach.
      '-c',
      'unix_socket_directories=',
      '-c',
      'lc_messages=C',
      '-c',
      'random_page_cost=1.1',
    ],
    user,
    pgdata,
  );
  const output = new Output(child, log);
  let stopping = false;
  let gone = false;
  const exited = exitOf(child, binaries.postgres, user).finally(() => {
    gone = true;
  });
  const ready = async (): Promise<boolean> => {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!gone && Date.now() < deadline) {
      const pidFile = await readPidFile(pgdata);
      if (pidFile && pidFile.pid === child.pid && pidFile.status === 'ready') return true;
      await sleep(50);
    }
    return false;
  };
  const outcome = await Promise.race([exited.then((exit) => ({ exit })), ready().then((ok) => ({ ok }))]);
  if ('exit' in outcome) return explain('postgres', output, outcome.exit, pgdata, port);
  if (gone) return explain('postgres', output, await exited, pgdata, port);

  const pid = child.pid!;
  const stop = async (): Promise<void> => {
    stopping = true;
    if (gone) return;
    if (!(await stopPostgres(pid))) child.kill('SIGKILL');
    await exited.catch(() => undefined);
  };
  if (!outcome.ok) {
    await stop();
    return {
      message: `the embedded PostgreSQL did not become ready within ${READY_TIMEOUT_MS / 1000} s${output.telling() ? ` (last said: "${output.telling()}")` : ''}; its data directory is ${pgdata}`,
    };
  }
  exited.then(
    (exit) => {
      if (!stopping)
        log.error(`the embedded PostgreSQL ${describeExit(exit)}: ${output.telling() ?? 'no message'}`);
    },
    () => undefined,
  );
  return { port, stop };
}

/**
 * Starts PostgreSQL on `pgdata` and waits until postmaster.pid reports it ready (the way pg_ctl waits; log
 * texts vary by version). A port taken between choosing it and binding it, or shared memory still held by
 * the exiting processes of a server that was just killed, clears by itself: those are retried, boundedly.
 */
export async function startPostmaster(
  binaries: PostgresBinaries,
  pgdata: string,
  choosePort: () => Promise<number>,
  user: RunAs | undefined,
  log: EmbeddedLog,
): Promise<Postmaster> {
  const attempts = { port: 3, 'shared-memory': 40 };
  for (;;) {
    const result = await startOnce(binaries, pgdata, await choosePort(), user, log);
    if (!('message' in result)) return result;
    if (!result.retry || --attempts[result.retry] <= 0) throw new EmbeddedDatabaseError(result.message);
    log.debug(`retrying the start: ${result.message}`);
    if (result.retry === 'shared-memory') await sleep(250);
  }
}

/**
 * A PostgreSQL may still run on `pgdata` when the service that started it is gone (killed where there is no
 * watchdog, or still shutting down after one fired). The caller holds the data directory's owner lock, so
 * no live service owns that server: stop it cleanly (fast shutdown, nothing acknowledged is lost) and let the
 * caller start its own. Never two postmasters on one data directory, and a stale postmaster.pid (its PID
 * gone) is left for PostgreSQL, which replaces it after checking that no old process still holds the
 * shared memory.
 */
export async function stopLeftoverPostmaster(
  pgdata: string,
  paths: string[],
  log: EmbeddedLog,
): Promise<void> {
  const pidFile = await readPidFile(pgdata);
  if (!pidFile || !Number.isInteger(pidFile.pid) || pidFile.pid <= 0) return;
  if (!processAlive(pidFile.pid)) {
    await waitUntilReaped(pidFile.pid);
    return;
  }
  const { pid } = pidFile;
  const command = commandLine(pid);
  const names = new Set(paths.flatMap((p) => [p, safeRealpath(p)]));
  if (!/postgres/.test(command) || ![...names].some((p) => command.includes(`-D ${p}`))) {
    // The PID was reused by an unrelated process after PostgreSQL died: the lock file is stale, and
    // PostgreSQL (running as the same user) would refuse to start beside a live PID.
    log.warn(`removing a stale postmaster.pid in ${pgdata}: PID ${pid} is not PostgreSQL`);
    await unlink(join(pgdata, 'postmaster.pid')).catch(() => undefined);
    return;
  }
  log.warn(
    `stopping the embedded PostgreSQL (PID ${pid}, port ${pidFile.port}) left running on ${pgdata} by a service that is gone`,
  );
  if (await stopPostgres(pid)) return;
  throw new EmbeddedDatabaseError(
    `a PostgreSQL left running on ${pgdata} (PID ${pid}) does not stop; stop it (kill ${pid}) and start again`,
  );
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
