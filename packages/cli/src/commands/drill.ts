import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEFAULT_RUN,
  DEFAULT_WORKLOAD,
  DrillUsageError,
  type Evidence,
  headline,
  KubernetesTarget,
  LabTarget,
  parseThreshold,
  type RunOptions,
  runDrills,
  SCENARIOS,
  selectScenarios,
  type Target,
  THRESHOLD_NAMES,
  type Thresholds,
  terminalProgress,
  writeOutputs,
} from '@dalp/drill';
import { assertRoot, DEFAULT_DIR, downLab, Lab, type LabState } from '@dalp/lab';
import { Option } from 'commander';
import type { RegisterCommand } from '../command.ts';
import { UsageError } from '../io.ts';

interface DrillFlags {
  target: 'lab' | 'kubernetes';
  dir: string;
  keepLab?: boolean;
  url?: string;
  namespace?: string;
  release: string;
  kubeconfig?: string;
  context?: string;
  apiKeyFile?: string;
  databaseUrlFile?: string;
  faultCommand?: string;
  restoreCommand?: string;
  out?: string;
  threshold: [keyof Thresholds, number | null][];
  rate: number;
  warmup: number;
  hold: number;
}

function positive(flag: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > max)
      throw new UsageError(`${flag} must be a number above 0 and at most ${max}, got "${value}"`);
    return n;
  };
}

function readSecretFile(flag: string, path: string): string {
  if (!existsSync(path)) throw new UsageError(`${flag}: no such file ${path}`);
  const text = readFileSync(path, 'utf8').trim();
  if (!text) throw new UsageError(`${flag}: ${path} is empty`);
  return text;
}

function table(rows: Record<string, string>[]): string {
  const columns = Object.keys(rows[0] ?? {});
  const all = [columns, ...rows.map((r) => columns.map((c) => r[c] ?? ''))];
  const widths = columns.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const registerDrill: RegisterCommand = (program, ctx) => {
  const { io } = ctx;
  program
    .command('drill')
    .description('recovery drills under a live client workload, against the lab or a Kubernetes release')
    .argument('<scenario>', `one of: ${SCENARIOS.map((s) => s.id).join(', ')}; or all`)
    .addOption(new Option('--target <target>', 'what to break').choices(['lab', 'kubernetes']).default('lab'))
    .addOption(
      new Option('--dir <path>', 'the lab directory (a lab is started there when none runs)').default(
        DEFAULT_DIR,
      ),
    )
    .option('--keep-lab', 'keep a lab this command started (removed at the end otherwise)')
    .option('--url <url>', 'kubernetes: the release public URL')
    .option('--namespace <ns>', 'kubernetes: the release namespace')
    .addOption(new Option('--release <name>', 'kubernetes: the Helm release name').default('dalp'))
    .option('--kubeconfig <file>', 'kubernetes: kubeconfig file (default KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubernetes: kubeconfig context')
    .option(
      '--api-key-file <file>',
      'kubernetes: file holding an API key with the issuer role (or DALP_API_KEY)',
    )
    .option(
      '--database-url-file <file>',
      'kubernetes: file holding a database URL to read the books back exactly',
    )
    .option(
      '--fault-command <cmd>',
      'a shell command that causes the fault (data-service failovers on kubernetes)',
    )
    .option('--restore-command <cmd>', 'a shell command that undoes it')
    .option('--out <dir>', 'write evidence.json, summary.md and report.html there')
    .addOption(
      new Option(
        '--threshold <name=value>',
        `override a threshold (repeatable; value or "off"): ${THRESHOLD_NAMES.join(', ')}`,
      )
        .argParser((value: string, previous: [keyof Thresholds, number | null][] = []) => {
          try {
            return [...previous, parseThreshold(value)];
          } catch (error) {
            throw new UsageError((error as Error).message);
          }
        })
        .default([]),
    )
    .addOption(
      new Option('--rate <n>', 'operations started per second')
        .argParser(positive('--rate', 200))
        .default(DEFAULT_WORKLOAD.rate),
    )
    .addOption(
      new Option('--warmup <s>', 'seconds of load before the fault')
        .argParser(positive('--warmup', 600))
        .default(DEFAULT_RUN.warmupMs / 1000),
    )
    .addOption(
      new Option('--hold <s>', 'longest a lasting fault is held before it is undone')
        .argParser(positive('--hold', 3600))
        .default(DEFAULT_RUN.scenario.holdMs / 1000),
    )
    .action(async (name: string, flags: DrillFlags) => {
      const { run, skipped } = (() => {
        try {
          return selectScenarios(name, flags.target, flags.faultCommand !== undefined);
        } catch (error) {
          if (error instanceof DrillUsageError) throw new UsageError(error.message);
          throw error;
        }
      })();
      const options: RunOptions = {
        ...DEFAULT_RUN,
        workload: { ...DEFAULT_WORKLOAD, rate: flags.rate },
        warmupMs: flags.warmup * 1000,
        scenario: {
          holdMs: flags.hold * 1000,
          faultCommand: flags.faultCommand,
          restoreCommand: flags.restoreCommand,
        },
        thresholds: Object.fromEntries(flags.threshold),
      };
      for (const s of skipped) io.stderr(`skipped ${s.id}: ${s.why}\n`);
      if (run.length === 0)
        throw new UsageError(`no scenario of "${name}" can run on the ${flags.target} target`);

      let target: Target;
      let startedLab: LabState | undefined;
      if (flags.target === 'lab') {
        assertRoot();
        const dir = resolve(flags.dir);
        if (!existsSync(join(dir, 'lab.json'))) {
          io.stderr(`no lab in ${dir}: starting one for the drill\n`);
          startedLab = (await Lab.start({ dir })).state;
        }
        target = new LabTarget(Lab.attach(dir));
      } else {
        if (!flags.url || !flags.namespace)
          throw new UsageError('--target kubernetes needs --url and --namespace');
        const apiKey = flags.apiKeyFile
          ? readSecretFile('--api-key-file', flags.apiKeyFile)
          : process.env.DALP_API_KEY;
        if (!apiKey)
          throw new UsageError('--target kubernetes needs an API key: --api-key-file or DALP_API_KEY');
        target = await KubernetesTarget.connect({
          url: flags.url,
          namespace: flags.namespace,
          release: flags.release,
          apiKey,
          kubeconfig: flags.kubeconfig,
          context: flags.context,
          databaseUrl: flags.databaseUrlFile
            ? readSecretFile('--database-url-file', flags.databaseUrlFile)
            : undefined,
        }).catch((error: Error) => {
          throw error.name === 'KubernetesTargetError' ? new UsageError(error.message) : error;
        });
      }

      let evidence: Evidence;
      try {
        io.stderr(`${run.length} drill(s) against ${target.describe()}\n`);
        const progress = terminalProgress(io.stderr, process.stderr.isTTY === true);
        evidence = await runDrills(run, target, options, progress, ctx.version);
      } finally {
        await target.close();
        if (startedLab && !flags.keepLab) await downLab(startedLab.dir);
      }
      io.stdout(`${table(evidence.drills.map(headline))}\n`);
      if (flags.out) {
        const paths = writeOutputs(flags.out, evidence);
        io.stdout(`evidence: ${paths.evidence}\nsummary: ${paths.summary}\nreport: ${paths.report}\n`);
      }
      io.stdout(`${evidence.result === 'pass' ? 'every drill passed' : 'a drill FAILED'}\n`);
      ctx.setExitCode(evidence.result === 'pass' ? 0 : 1);
    });
};
