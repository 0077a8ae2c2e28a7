import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './ports.ts';
import { type ManagedProcess, makeTempDir, run, spawnManaged, waitFor } from './processes.ts';

export const HAPROXY_BINARY = process.env.DALP_LAB_HAPROXY ?? '/usr/sbin/haproxy';

/** A PostgreSQL node behind Patroni: traffic goes to `port`, the health check to Patroni's REST port. */
export interface PostgresBackend {
  name: string;
  host?: string;
  port: number;
  /** Patroni REST API port, checked with `GET /primary` (200 only on the leader). */
  checkPort: number;
}

/** An HTTP service replica (a `dapp` process) checked with `GET /readyz`. */
export interface HttpBackend {
  name: string;
  host?: string;
  port: number;
}

/** `bind` is the listening address (default 127.0.0.1). */
export type Frontend =
  | { name: string; kind: 'postgres'; bind?: string; port?: number; backends: PostgresBackend[] }
  | {
      name: string;
      kind: 'http';
      bind?: string;
      port?: number;
      backends: HttpBackend[];
      healthPath?: string;
      /**
       * Resend a request to another replica where that is safe (default true). Off only to show what the
       * retries are worth: a drill against a load balancer without them must see the difference.
       */
      retries?: boolean;
    };

/** How servers are health-checked: a check every `intervalMs`, DOWN after `fall` failures, UP after `rise`. */
export interface HealthCheckTiming {
  intervalMs: number;
  fall: number;
  rise: number;
  /** Bound of one check (HAProxy's `timeout check`). */
  timeoutMs: number;
}

/**
 * How long the balancer waits for an answer to a request it may resend (GET, HEAD, a write with an
 * Idempotency-Key) before resending it to another replica. Longer than the service takes for any such
 * request when it is healthy (milliseconds); shorter than the time the health checks need to take a hung
 * replica out (the lab's readiness timings: 3 failures 5 s apart). The cost: a request that is merely slow
 * past it (the service bounds statements at 15 s) is sent again, at most `retries` times.
 */
export const RETRY_SAFE_SERVER_TIMEOUT_MS = 5_000;

/** The tests' default: a server is marked down about 1 s after it stops answering. */
export const FAST_CHECKS: HealthCheckTiming = { intervalMs: 500, fall: 2, rise: 1, timeoutMs: 1_000 };

export interface HaproxyOptions {
  frontends: Frontend[];
  /** Health-check interval (default 500 ms); `fall 2 rise 1` turns that into ~1 s to mark a server down. */
  checkIntervalMs?: number;
  startTimeoutMs?: number;
}

export interface ServerState {
  frontend: string;
  server: string;
  /** HAProxy's status column: UP, DOWN, MAINT, "UP 1/2", "DOWN 1/2", no check... */
  status: string;
}

export interface Haproxy {
  readonly logPath: string;
  readonly statsSocket: string;
  /** The port a frontend listens on (127.0.0.1). */
  port(frontend: string): number;
  /** The current configuration text. */
  config(): string;
  /**
   * Replaces the backends (and frontends) without dropping connections: a new HAProxy takes over the
   * listening sockets from the old one (`-x` + `-sf`), which finishes its open connections and exits.
   */
  reload(frontends: Frontend[]): Promise<void>;
  serverStates(): Promise<ServerState[]>;
  /** Waits until a server's status starts with `status` ("UP" or "DOWN"). */
  waitForServer(frontend: string, server: string, status: 'UP' | 'DOWN', timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ResolvedFrontend {
  frontend: Frontend;
  port: number;
}

/** Renders a complete haproxy.cfg. Exported so `dalp lab` can show the configuration it runs. */
export function renderHaproxyConfig(
  frontends: readonly ResolvedFrontend[],
  statsSocket: string,
  checks: HealthCheckTiming = FAST_CHECKS,
): string {
  const lines = [
    'global',
    '  maxconn 4096',
    // expose-fd lets the next process inherit the listening sockets, so a reload refuses no connection.
    `  stats socket ${statsSocket} mode 600 level admin expose-fd listeners`,
    '  hard-stop-after 30s',
    // ISO timestamps so `dalp lab logs` can merge these lines with the other components' by time.
    '  log stdout format iso local0 notice',
    '',
    'defaults',
    '  log global',
    '  timeout connect 2s',
    '  timeout client 5m',
    '  timeout server 5m',
    `  timeout check ${checks.timeoutMs}ms`,
    '',
  ];
  for (const { frontend, port } of frontends) {
    lines.push(`listen ${frontend.name}`, `  bind ${frontend.bind ?? '127.0.0.1'}:${port}`);
    const every = checks.intervalMs;
    const serverDefaults = `inter ${every} fastinter ${every} downinter ${every} fall ${checks.fall} rise ${checks.rise}`;
    if (frontend.kind === 'postgres') {
      lines.push(
        '  mode tcp',
        // Patroni answers 200 on /primary only on the leader: the frontend always reaches the writable node.
        '  option httpchk GET /primary',
        '  http-check expect status 200',
        // Cut sessions to a demoted node at once so clients reconnect to the new leader.
        `  default-server ${serverDefaults} on-marked-down shutdown-sessions`,
      );
      for (const b of frontend.backends) {
        lines.push(`  server ${b.name} ${b.host ?? '127.0.0.1'}:${b.port} check port ${b.checkPort}`);
      }
    } else {
      lines.push(
        '  mode http',
        '  timeout client 30s',
        '  timeout server 30s',
        // Longer than clients keep an idle connection (Node's fetch: 4 s), as a cloud load balancer's idle
        // timeout is (60 s on AWS ALB): the client closes first. With 2 s the balancer closed connections
        // a client was just reusing, and a drill counted a request failed before any fault.
        '  timeout http-keep-alive 60s',
        // On reload the old process would close idle keep-alive connections under clients that are
        // about to reuse them; this makes it answer one more request with "Connection: close" instead.
        '  option idle-close-on-response',
        `  option httpchk GET ${frontend.healthPath ?? '/readyz'}`,
        '  http-check expect status 200',
        ...(frontend.retries === false
          ? ['  retries 0']
          : [
              // Retries go to another server, and only where that is safe: a connection failure means the
              // request never reached a backend (any method); an empty answer or a timed-out one may have
              // been processed, so only requests that may be applied twice are resent then: idempotent
              // reads (GET, HEAD) and writes carrying an Idempotency-Key (the service applies a key once
              // and answers a repeat with the stored result, docs/api.md).
              '  retries 3',
              '  option redispatch 1',
              '  retry-on conn-failure empty-response response-timeout',
              '  acl keyed req.hdr(idempotency-key) -m found',
              '  http-request disable-l7-retry unless METH_GET || METH_HEAD || keyed',
              // A per-try bound for the requests that may be resent (Envoy's per_try_timeout): one sent to a
              // replica that stopped answering without closing its connections (a hung process, a cut-off
              // zone) is resent elsewhere after this long, instead of waiting the 30 s above, or until the
              // health checks take the replica out. Any other request keeps the 30 s: it cannot be resent.
              `  http-request set-timeout server ${RETRY_SAFE_SERVER_TIMEOUT_MS}ms if METH_GET || METH_HEAD || keyed`,
            ]),
        `  default-server ${serverDefaults}`,
      );
      for (const b of frontend.backends)
        lines.push(`  server ${b.name} ${b.host ?? '127.0.0.1'}:${b.port} check`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Sends one command to the stats socket and returns the whole answer. */
export function haproxyCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(2_000, () => socket.destroy(new Error(`stats socket ${socketPath} timed out`)));
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

/** HAProxy's `show stat` CSV as one state per server. */
export function parseStat(csv: string): ServerState[] {
  const [header, ...rows] = csv.trim().split('\n');
  if (!header?.startsWith('# ')) throw new Error(`unexpected "show stat" answer: ${csv.slice(0, 200)}`);
  const columns = header.slice(2).split(',');
  const at = (name: string) => columns.indexOf(name);
  const [px, sv, st] = [at('pxname'), at('svname'), at('status')];
  return rows
    .map((row) => row.split(','))
    .filter((cells) => cells[sv] !== 'FRONTEND' && cells[sv] !== 'BACKEND')
    .map((cells) => ({ frontend: cells[px] ?? '', server: cells[sv] ?? '', status: cells[st] ?? '' }));
}

/** Starts HAProxy in the foreground with the given frontends on free loopback ports. */
export async function startHaproxy(options: HaproxyOptions): Promise<Haproxy> {
  const dir = makeTempDir('haproxy');
  const statsSocket = join(dir.path, 'admin.sock');
  const logPath = join(dir.path, 'haproxy.log');
  const ports = new Map<string, number>();
  const processes: ManagedProcess[] = [];
  let current: ManagedProcess | undefined;
  let configText = '';
  let generation = 0;

  const resolve = async (frontends: Frontend[]): Promise<ResolvedFrontend[]> => {
    const resolved: ResolvedFrontend[] = [];
    for (const frontend of frontends) {
      for (const name of [frontend.name, ...frontend.backends.map((b) => b.name)]) {
        if (!/^[A-Za-z0-9_.:-]+$/.test(name))
          throw new Error(`haproxy: invalid frontend or server name "${name}"`);
      }
      const port = frontend.port ?? ports.get(frontend.name) ?? (await freePort());
      ports.set(frontend.name, port);
      resolved.push({ frontend, port });
    }
    return resolved;
  };

  const launch = async (frontends: Frontend[]): Promise<void> => {
    const resolved = await resolve(frontends);
    const intervalMs = options.checkIntervalMs ?? FAST_CHECKS.intervalMs;
    const text = renderHaproxyConfig(resolved, statsSocket, { ...FAST_CHECKS, intervalMs });
    generation += 1;
    const configPath = join(dir.path, `haproxy.${generation}.cfg`);
    writeFileSync(configPath, text);
    // Validate first: a bad configuration is reported as such, not as a process that died.
    await run(HAPROXY_BINARY, ['-c', '-q', '-f', configPath]);
    const previous = current?.running() ? current : undefined;
    const args = ['-f', configPath];
    if (previous) args.push('-x', statsSocket, '-sf', String(previous.pid));
    const next = spawnManaged({
      name: `haproxy#${generation}`,
      command: HAPROXY_BINARY,
      args,
      logPath,
      cwd: dir.path,
    });
    processes.push(next);
    try {
      await waitFor(
        async () => {
          const info = await haproxyCommand(statsSocket, 'show info');
          return new RegExp(`^Pid: ${next.pid}$`, 'm').test(info);
        },
        options.startTimeoutMs ?? 15_000,
        `haproxy (config ${configPath}) to answer on its stats socket`,
        { process: next, intervalMs: 50 },
      );
    } catch (error) {
      await next.kill();
      throw error;
    }
    current = next;
    configText = text;
  };

  try {
    await launch(options.frontends);
  } catch (error) {
    dir.remove();
    throw error;
  }

  const serverStates = async () => parseStat(await haproxyCommand(statsSocket, 'show stat'));

  return {
    logPath,
    statsSocket,
    port(frontend) {
      const port = ports.get(frontend);
      if (port === undefined) throw new Error(`haproxy has no frontend named ${frontend}`);
      return port;
    },
    config: () => configText,
    reload: launch,
    serverStates,
    async waitForServer(frontend, server, status, timeoutMs = 15_000) {
      await waitFor(
        async () => {
          const state = (await serverStates()).find((s) => s.frontend === frontend && s.server === server);
          if (!state) throw new Error(`no server ${frontend}/${server}`);
          // "UP 1/2" is still up (going down); "DOWN 1/2" still down (going up).
          return state.status.split(' ')[0] === status && !state.status.includes('/');
        },
        timeoutMs,
        `haproxy server ${frontend}/${server} to be ${status}`,
        { intervalMs: 100 },
      );
    },
    async stop() {
      await Promise.all(processes.map((p) => p.stop(5_000)));
      dir.remove();
    },
  };
}
