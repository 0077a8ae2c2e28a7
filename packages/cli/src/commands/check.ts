import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CheckOptions,
  DEFAULT_OPTIONS,
  exitCodeFor,
  FORMATS,
  type Format,
  isChartDir,
  type LoadedObjects,
  loadCluster,
  loadControls,
  loadDump,
  loadManifestPaths,
  type Profile,
  RULES,
  render,
  renderChart,
  runCheck,
  SYSTEM_NAMESPACES,
  validateObjects,
} from '@dalp/check';
import { type Command, Option } from 'commander';
import type { CommandContext, RegisterCommand } from '../command.ts';
import { type CliIO, UsageError } from '../io.ts';

interface CheckFlags {
  values: string[];
  set: string[];
  namespace?: string;
  releaseName: string;
  apiVersions: string[];
  kubeVersion?: string;
  allowMissingDependencies?: boolean;
  dependencyUpdate?: boolean;
  dump?: string;
  cluster?: boolean;
  context?: string;
  kubeconfig?: string;
  systemNamespaces?: boolean;
  profile: Profile;
  controls?: string;
  skip: string[];
  maxTestAge: string;
  tolerationBound: string;
  format: Format;
  output?: string;
  failOn: 'error' | 'warning' | 'info' | 'none';
  now?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} must be a positive number, got "${value}"`);
  return n;
}

async function loadInputs(
  inputs: string[],
  flags: CheckFlags,
  io: CliIO,
): Promise<{ loaded: LoadedObjects; clusterState: boolean; primary?: string }> {
  const modes = [inputs.length > 0, !!flags.dump, !!flags.cluster].filter(Boolean).length;
  if (modes === 0)
    throw new UsageError(
      'nothing to check: give a chart directory, manifest files, -, --dump FILE or --cluster',
    );
  if (modes > 1) throw new UsageError('give exactly one of: a chart or manifests, --dump FILE, --cluster');
  const chart = inputs.length === 1 && inputs[0] !== '-' && isChartDir(inputs[0]!);
  if (!chart && (flags.values.length > 0 || flags.set.length > 0)) {
    throw new UsageError('--values and --set apply to a chart directory only');
  }
  if (!chart && (flags.allowMissingDependencies || flags.dependencyUpdate)) {
    throw new UsageError(
      '--allow-missing-dependencies and --dependency-update apply to a chart directory only',
    );
  }
  if (inputs.length > 1 && inputs.some((i) => i !== '-' && isChartDir(i))) {
    throw new UsageError('a chart directory is checked on its own, not together with other inputs');
  }
  if (!flags.cluster && (flags.context || flags.kubeconfig))
    throw new UsageError('--context and --kubeconfig need --cluster');
  if (flags.dump)
    return { loaded: loadDump(flags.dump, io.readStdin), clusterState: true, primary: flags.dump };
  if (flags.cluster) {
    const loaded = await loadCluster({
      ...(flags.context ? { context: flags.context } : {}),
      ...(flags.namespace ? { namespace: flags.namespace } : {}),
      ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    });
    return { loaded, clusterState: true };
  }
  if (chart) {
    const dir = inputs[0]!;
    const loaded = renderChart({
      dir,
      values: flags.values,
      set: flags.set,
      releaseName: flags.releaseName,
      apiVersions: flags.apiVersions,
      ...(flags.kubeVersion ? { kubeVersion: flags.kubeVersion } : {}),
      ...(flags.namespace ? { namespace: flags.namespace } : {}),
      allowMissingDependencies: !!flags.allowMissingDependencies,
      dependencyUpdate: !!flags.dependencyUpdate,
    });
    return { loaded, clusterState: false, primary: join(dir, 'Chart.yaml') };
  }
  const first = inputs.find((i) => i !== '-');
  return {
    loaded: loadManifestPaths(inputs, io.readStdin),
    clusterState: false,
    ...(first ? { primary: first } : {}),
  };
}

export const registerCheck: RegisterCommand = (
  program: Command,
  { io, setExitCode, version }: CommandContext,
) => {
  program
    .command('check')
    .description('production-readiness checks of a chart, manifests, a cluster dump or a live cluster')
    .argument('[inputs...]', 'a chart directory, or manifest files/directories (YAML or JSON), "-" for stdin')
    .option('-f, --values <file>', 'values file for the chart (repeatable)', collect, [])
    .option('--set <key=value>', 'chart value override (repeatable)', collect, [])
    .option(
      '-n, --namespace <ns>',
      'chart: namespace to render into; --dump/--cluster: the namespace whose workloads are judged',
    )
    .option('--release-name <name>', 'helm release name used to render the chart', 'dalp')
    .option(
      '--api-versions <version>',
      'extra API version for the chart’s Capabilities checks (repeatable; the Prometheus Operator and Velero APIs are always on)',
      collect,
      [],
    )
    .option('--kube-version <version>', 'Kubernetes version for the chart’s Capabilities checks')
    .option(
      '--dependency-update',
      'chart: vendor enabled dependencies that are missing (at any depth) with helm dependency build first',
    )
    .option(
      '--allow-missing-dependencies',
      'chart: render without enabled dependencies that are not vendored and report each as not checked (otherwise exit 2)',
    )
    .option('--dump <file>', 'cluster dump from `kubectl get ... -A -o json` ("-" for stdin)')
    .option('--cluster', 'read the objects from the live API through the kubeconfig')
    .option('--context <name>', 'kubeconfig context for --cluster')
    .option('--kubeconfig <file>', 'kubeconfig file for --cluster (default: KUBECONFIG or ~/.kube/config)')
    .option(
      '--system-namespaces',
      'with --dump/--cluster, also judge kube-system, kube-public and kube-node-lease workloads',
    )
    .addOption(
      new Option('--profile <profile>', 'production: bundled data services are errors; staging/local: notes')
        .choices(['production', 'staging', 'local'])
        .default('production'),
    )
    .option(
      '--controls <file>',
      'controls evidence file (owner, alerts, recovery tests per row; see docs/controls.md)',
    )
    .option('--skip <rule>', 'do not run this rule (repeatable; ids in docs/checks.md)', collect, [])
    .option('--max-test-age <days>', 'recovery tests older than this do not count', '90')
    .option('--toleration-bound <seconds>', 'longest acceptable not-ready/unreachable toleration', '300')
    .addOption(new Option('--format <format>', 'output format').choices([...FORMATS]).default('text'))
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding reaches this severity')
        .choices(['error', 'warning', 'info', 'none'])
        .default('error'),
    )
    .addOption(new Option('--now <date>', 'evaluate recovery-test ages at this date (reproducible CI runs)'))
    .action(async (inputs: string[], flags: CheckFlags) => {
      const now = flags.now ? new Date(flags.now) : new Date();
      if (Number.isNaN(now.getTime())) throw new UsageError(`--now: "${flags.now}" is not a date`);
      const unknown = flags.skip.filter((id) => !RULES.some((r) => r.id === id));
      if (unknown.length > 0)
        throw new UsageError(`--skip: unknown rule ${unknown.join(', ')} (see docs/checks.md)`);
      const controls = flags.controls ? loadControls(flags.controls) : undefined;
      const { loaded, clusterState, primary } = await loadInputs(inputs, flags, io);
      validateObjects(loaded);
      const options: CheckOptions = {
        ...DEFAULT_OPTIONS,
        profile: flags.profile,
        now,
        maxTestAgeDays: positiveNumber('--max-test-age', flags.maxTestAge),
        tolerationBoundSeconds: positiveNumber('--toleration-bound', flags.tolerationBound),
        clusterState,
        skipRules: flags.skip,
        ...(controls ? { controls } : {}),
        ...(loaded.render ? { render: loaded.render } : {}),
      };
      if (clusterState) {
        // Cluster runs judge the application's namespaces; the rest still counts as node capacity.
        options.scope = {
          include: flags.namespace ? [flags.namespace] : [],
          exclude: flags.systemNamespaces ? [] : SYSTEM_NAMESPACES,
        };
      } else if (flags.systemNamespaces) {
        throw new UsageError('--system-namespaces applies to --dump and --cluster only');
      }
      const report = runCheck(loaded.objects, options, loaded.sources);
      const text = render(report, flags.format, { version, ...(primary ? { fallbackFile: primary } : {}) });
      if (flags.output) {
        try {
          writeFileSync(flags.output, text);
        } catch {
          throw new UsageError(`--output ${flags.output}: cannot be written`);
        }
        const { errors, warnings, passed } = report.summary;
        io.stderr(
          `dalp check: ${errors} errors, ${warnings} warnings, ${passed} passed; report in ${flags.output}\n`,
        );
      } else {
        io.stdout(text);
      }
      setExitCode(exitCodeFor(report, flags.failOn));
    });
};

export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}
