import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  assertRoot,
  BACKUP_TYPES,
  type BackupType,
  type ComponentStatus,
  DEFAULT_DIR,
  downLab,
  Lab,
  type LabStatus,
  LabUpError,
  LabUsageError,
  OBJECT_STORES,
  type ObjectStoreKind,
  type ProgressEvent,
  SHAPE_LIMITS,
} from '@dalp/lab';
import { Argument, type Command, Option } from 'commander';
import type { CommandContext, RegisterCommand } from '../command.ts';

const REPO_ROOT = new URL('../../../../', import.meta.url).pathname;

function wholeNumber(flag: string, [min, max]: readonly [number, number]) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new LabUsageError(`${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** Installs the Debian packages the lab runs when one is missing (the same script `npm test` runs). */
function ensureSystemDeps(): void {
  const result = spawnSync('bash', [join(REPO_ROOT, 'scripts/ensure-system-deps.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0)
    throw new Error('scripts/ensure-system-deps.sh failed to install the lab packages');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderStatus(status: LabStatus): string {
  const rows = [
    ['COMPONENT', 'ZONE', 'NODE', 'ROLE', 'ADDRESS', 'PID', 'HEALTH', 'DETAIL'],
    ...status.components.map((c: ComponentStatus) => [
      c.name,
      c.zone ?? '-',
      c.node,
      c.role ?? '-',
      c.address,
      c.pid === null ? '-' : String(c.pid),
      c.health,
      [c.restarts ? `${c.restarts} restarts` : '', c.detail].filter(Boolean).join('; '),
    ]),
  ];
  const faults = [
    status.partitions.length ? `partitioned: ${status.partitions.join(', ')}` : '',
    status.poweredOff.length ? `powered off: ${status.poweredOff.join(', ')}` : '',
  ].filter(Boolean);
  const head = `lab ${status.id} (${status.phase}) in ${status.dir}, network ${status.block ?? '-'}${
    faults.length ? `; ${faults.join('; ')}` : ''
  }`;
  return `${head}\n${table(rows)}\n${renderBackup(status.backup)}`;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The backup lines of `dalp lab status`: last base backup, archive lag, oldest restorable point. */
export function renderBackup(backup: LabStatus['backup']): string {
  if (!backup) return '';
  const last = backup.lastBackup;
  const a = backup.archive;
  const lines = [
    `backup: ${
      last
        ? `last ${last.type} ${last.label} at ${last.stoppedAt} (${mb(last.databaseBytes)}, ${mb(last.repositoryBytes)} in the repository); ${backup.backups} kept`
        : 'no base backup yet'
    }`,
    `archive: ${
      a
        ? `last ${a.lastArchivedWal ?? 'none'} at ${a.lastArchivedAt ?? '-'}; lag ${a.lagSeconds} s, ${a.unarchivedBytes} bytes (${a.pendingSegments} whole segments) not archived${
            a.failing ? `; FAILING since ${a.lastFailedAt} (${a.lastFailedWal})` : ''
          }`
        : 'unknown'
    }`,
    `oldest restorable point: ${backup.oldestRestorable ?? 'none'}`,
    ...backup.errors.map((e) => `backup status error: ${e}`),
  ];
  return `${lines.join('\n')}\n`;
}

function renderEndpoints(lab: Lab): string {
  const e = lab.endpoints();
  const rows = [
    ['ENDPOINT', 'ADDRESS'],
    ['API (load balancer)', e.api],
    ['database endpoint', e.database.replace(/:[^:@/]*@/, ':***@')],
    ['object store (S3)', `${e.s3.endpoint} bucket ${e.s3.bucket}`],
    ['Sentinels', `${e.sentinels.join(',')} master ${e.sentinelMaster}`],
  ];
  return `${table(rows)}\nadmin API key: ${e.adminKeyFile}\n`;
}

function progressLine(event: ProgressEvent): string {
  const where = event.component
    ? `${event.component}${event.zone ? ` (zone ${event.zone}, node ${event.node})` : ` (${event.node})`}`
    : '';
  return `${event.seconds.toFixed(1).padStart(6)} s  ${event.step}${where ? `  ${where}` : ''}\n`;
}

const dirOption = () => new Option('--dir <path>', 'the lab directory').default(DEFAULT_DIR);

/** `dalp lab <fault> <target>`: one line saying what was done. */
function fault(
  lab: Command,
  ctx: CommandContext,
  name: string,
  argument: string,
  description: string,
  act: (lab: Lab, target: string) => Promise<void>,
  done: string,
): void {
  lab
    .command(name)
    .description(description)
    .argument(argument)
    .addOption(dirOption())
    .action(async (target: string, flags: { dir: string }) => {
      assertRoot();
      await act(Lab.attach(flags.dir), target);
      ctx.io.stdout(`${done.replace('%s', target)}\n`);
    });
}

export const registerLab: RegisterCommand = (program, ctx) => {
  const { io } = ctx;
  const lab = program
    .command('lab')
    .description('the production topology on one machine: three zones of real components (root only)');

  lab
    .command('up')
    .description('bring the lab up (idempotent) and print its endpoints')
    .addOption(
      new Option('--zones <n>', 'zones (network namespaces)')
        .argParser(wholeNumber('--zones', SHAPE_LIMITS.zones))
        .default(3),
    )
    .addOption(
      new Option('--nodes-per-zone <n>', 'nodes per zone')
        .argParser(wholeNumber('--nodes-per-zone', SHAPE_LIMITS.nodesPerZone))
        .default(1),
    )
    .addOption(
      new Option(
        '--replicas <n>',
        'dapp replicas in total, spread over the zones (default: one per zone)',
      ).argParser(wholeNumber('--replicas', SHAPE_LIMITS.replicas)),
    )
    .addOption(
      new Option(
        '--object-store <kind>',
        'the object store: s3rver, or ceph-rgw (Ceph RADOS Gateway), which keeps versions of the documents bucket',
      )
        .choices(OBJECT_STORES)
        .default('s3rver'),
    )
    .addOption(dirOption())
    .action(
      async (flags: {
        zones: number;
        nodesPerZone: number;
        replicas?: number;
        objectStore: ObjectStoreKind;
        dir: string;
      }) => {
        assertRoot();
        ensureSystemDeps();
        const began = Date.now();
        let created = false;
        let started: Lab;
        try {
          started = await Lab.start({
            dir: flags.dir,
            zones: flags.zones,
            nodesPerZone: flags.nodesPerZone,
            replicas: flags.replicas,
            objectStore: flags.objectStore,
            onProgress: (event) => {
              created = true;
              io.stdout(progressLine(event));
            },
          });
        } catch (error) {
          if (!(error instanceof LabUpError)) throw error;
          // The message ends with the failing component's log tail: what the user needs to see.
          io.stderr(
            `dalp: ${error.message}\nthe lab is kept for "dalp lab logs"; remove it with "dalp lab down"\n`,
          );
          ctx.setExitCode(1);
          return;
        }
        if (!created) {
          io.stdout(`lab ${started.id} is already running in ${started.dir}\n${renderEndpoints(started)}`);
          return;
        }
        io.stdout(
          `lab ${started.id} is up in ${((Date.now() - began) / 1000).toFixed(1)} s (${started.dir})\n${renderEndpoints(started)}`,
        );
      },
    );

  lab
    .command('status')
    .description('one row per component; roles read live from Patroni, Redis, Sentinel, etcd and HAProxy')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(dirOption())
    .action(async (flags: { format: 'text' | 'json'; dir: string }) => {
      assertRoot();
      const status = await Lab.attach(flags.dir).status({ backup: true });
      io.stdout(flags.format === 'json' ? `${JSON.stringify(status, null, 2)}\n` : renderStatus(status));
    });

  lab
    .command('backup')
    .description("take a base backup of the lab's PostgreSQL primary now with pgBackRest")
    .addArgument(new Argument('[type]', 'backup type').choices([...BACKUP_TYPES]).default('full'))
    .addOption(dirOption())
    .action(async (type: BackupType, flags: { dir: string }) => {
      assertRoot();
      const began = Date.now();
      const taken = await Lab.attach(flags.dir).backup(type);
      io.stdout(
        `${taken.type} backup ${taken.label} taken in ${((Date.now() - began) / 1000).toFixed(1)} s (${mb(taken.databaseBytes)}, ${mb(taken.repositoryBytes)} in the repository)\n`,
      );
    });

  lab
    .command('down')
    .description('stop every process by PID and remove namespaces, links and files (also after a crashed up)')
    .addOption(dirOption())
    .action(async (flags: { dir: string }) => {
      assertRoot();
      const removed = await downLab(flags.dir);
      io.stdout(removed ? `lab in ${flags.dir} removed\n` : `no lab in ${flags.dir}: nothing to do\n`);
    });

  lab
    .command('logs')
    .description("a component's log, or every log merged by time")
    .argument('[component]')
    .addOption(new Option('--lines <n>', 'only the last n lines').argParser(wholeNumber('--lines', [1, 1e9])))
    .addOption(dirOption())
    .action(async (component: string | undefined, flags: { lines?: number; dir: string }) => {
      assertRoot();
      const text = Lab.attach(flags.dir).formatLogs(component, flags.lines);
      io.stdout(text ? `${text}\n` : '');
    });

  fault(
    lab,
    ctx,
    'kill',
    '<component>',
    'SIGKILL a component (a dapp replica is restarted with back-off)',
    (l, t) => l.kill(t),
    'killed %s',
  );
  fault(
    lab,
    ctx,
    'stop',
    '<component>',
    'SIGSTOP a component: alive but answering nothing',
    (l, t) => l.stop(t),
    'stopped %s (SIGSTOP)',
  );
  fault(
    lab,
    ctx,
    'cont',
    '<component>',
    'SIGCONT a stopped component',
    (l, t) => l.cont(t),
    'continued %s (SIGCONT)',
  );
  fault(
    lab,
    ctx,
    'restart',
    '<component>',
    'stop a component cleanly and start it again with its data',
    (l, t) => l.restart(t),
    'restarted %s',
  );
  fault(
    lab,
    ctx,
    'partition',
    '<zone|node>',
    'cut a zone or node off the network (it keeps running)',
    (l, t) => l.partition(t),
    'partitioned %s',
  );
  fault(
    lab,
    ctx,
    'power-off',
    '<zone|node>',
    'kill everything in a zone or node and take its links down',
    (l, t) => l.powerOff(t),
    'powered off %s',
  );
  fault(
    lab,
    ctx,
    'power-on',
    '<zone|node>',
    'power a zone or node on again: its services restart with their data',
    (l, t) => l.powerOn(t),
    'powered on %s',
  );

  lab
    .command('heal')
    .description('restore the links of a partitioned zone or node (all of them without an argument)')
    .argument('[zone|node]')
    .addOption(dirOption())
    .action(async (target: string | undefined, flags: { dir: string }) => {
      assertRoot();
      await Lab.attach(flags.dir).heal(target);
      io.stdout(`healed ${target ?? 'every partition'}\n`);
    });
};
