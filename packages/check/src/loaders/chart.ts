import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { runHelm } from '@dalp/helm';
import { InputError } from '../errors.ts';
import type { SourceLocation } from '../model/objects.ts';
import type { UnrenderedChart } from '../model/render.ts';
import { type ChartYaml, readChartYaml, unrenderedDependencies } from './chart-dependencies.ts';
import { type LoadedObjects, parseManifests } from './manifests.ts';

export interface ChartInput {
  dir: string;
  values: string[];
  set: string[];
  namespace?: string;
  releaseName?: string;
  /** Extra Capabilities.APIVersions, beside DEFAULT_API_VERSIONS. */
  apiVersions?: string[];
  kubeVersion?: string;
  /** Render without enabled dependencies that are not vendored, and report them (else an input error). */
  allowMissingDependencies?: boolean;
  /** Vendor missing dependencies first with `helm dependency update` (needs the charts' repositories). */
  dependencyUpdate?: boolean;
}

/**
 * Charts commonly render PrometheusRules and Velero Schedules only when the cluster serves those APIs.
 * `helm template` knows no cluster, so we render as the production cluster the checks assume would be.
 */
export const DEFAULT_API_VERSIONS = [
  'monitoring.coreos.com/v1',
  'monitoring.coreos.com/v1/PrometheusRule',
  'velero.io/v1',
  'velero.io/v1/Schedule',
];

export function isChartDir(path: string): boolean {
  return existsSync(join(path, 'Chart.yaml'));
}

/**
 * helm's reason, whole, on one line. helm 4 prints a template error over several lines, the place first
 * and the cause last ("no template ... associated with template"); the cause is what the user needs.
 */
function helmReason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('WARNING') && !l.startsWith('walk.go') && !l.startsWith('Use --debug'));
  const start = lines.findIndex((l) => l.startsWith('Error:'));
  const reason = (start >= 0 ? lines.slice(start) : lines.slice(-1)).join(' ') || 'unknown error';
  return reason.replace(/^Error:\s*/, '');
}

/** A subchart that calls its parent's helpers cannot render alone; say which chart to check instead. */
function parentHint(dir: string, reason: string): string {
  const parent = resolve(dir, '..', '..');
  if (!/no template "/.test(reason) || !isChartDir(parent) || !resolve(dir, '..').endsWith('/charts'))
    return '';
  return ` (this subchart uses templates of its parent chart: check ${relative(process.cwd(), parent) || '.'} instead)`;
}

/** Newest modification time of the files under a chart directory (its own charts/ archives excluded). */
function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'charts' || name.startsWith('.')) continue;
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestSourceMtime(path) : stat.mtimeMs);
  }
  return newest;
}

/**
 * Local (file://) dependencies need `helm dependency build` before the first render, and again whenever a
 * dependency's source changed after its archive was built: helm renders the archive, so a stale one
 * would have us check yesterday's templates.
 */
function buildDependencies(dir: string, chart: ChartYaml): void {
  const local = (chart.dependencies ?? []).filter((d) => d.repository?.startsWith('file://'));
  if (local.length === 0) return;
  const charts = join(dir, 'charts');
  const stale = local.some((d) => {
    const name = d.name ?? '';
    if (existsSync(join(charts, name)) && statSync(join(charts, name)).isDirectory()) return false; // vendored source
    const archive = archiveOf(charts, name);
    if (!archive) return true;
    const source = resolve(dir, (d.repository ?? '').slice('file://'.length));
    return existsSync(source) && newestSourceMtime(source) > statSync(archive).mtimeMs;
  });
  if (!stale) return;
  const result = runHelm(['dependency', 'build', dir, '--skip-refresh']);
  if (result.status !== 0)
    throw new InputError(`helm dependency build ${dir} failed: ${helmReason(result.stderr)}`);
}

function archiveOf(charts: string, name: string): string | undefined {
  if (!existsSync(charts)) return undefined;
  const file = readdirSync(charts).find((f) => f.startsWith(`${name}-`) && f.endsWith('.tgz'));
  return file ? join(charts, file) : undefined;
}

/**
 * Maps helm's "# Source: <chart>/charts/<sub>/templates/x.yaml" to the template on disk (following file://
 * dependencies to their source directory), with the line of the object's kind when it can be found.
 */
function sourceResolver(dir: string, chart: ChartYaml): (helmSource: string) => SourceLocation | undefined {
  const cache = new Map<string, SourceLocation | undefined>();
  const root = resolve(dir);
  const depDirs = new Map<string, string>();
  for (const d of chart.dependencies ?? []) {
    if (d.repository?.startsWith('file://')) {
      const target = resolve(root, d.repository.slice('file://'.length));
      if (d.name) depDirs.set(d.name, target);
      if (d.alias) depDirs.set(d.alias, target);
    }
  }
  return (helmSource) => {
    if (cache.has(helmSource)) return cache.get(helmSource);
    const parts = helmSource.split('/').slice(1); // drop the chart name
    let file = join(root, ...parts);
    if (!existsSync(file) && parts[0] === 'charts' && parts[1] && depDirs.has(parts[1])) {
      file = join(depDirs.get(parts[1])!, ...parts.slice(2));
    }
    const location: SourceLocation | undefined = existsSync(file)
      ? { file: relative(process.cwd(), file) }
      : undefined;
    cache.set(helmSource, location);
    return location;
  };
}

/** Finds the line of `kind: <Kind>` in a template, so SARIF points at the object, not the file head. */
export function addKindLines(loaded: LoadedObjects): void {
  const lines = new Map<string, string[]>();
  for (const object of loaded.objects) {
    const source = loaded.sources.get(object);
    if (!source || source.line !== undefined) continue;
    let text = lines.get(source.file);
    if (!text) {
      try {
        text = readFileSync(source.file, 'utf8').split('\n');
      } catch {
        text = [];
      }
      lines.set(source.file, text);
    }
    const index = text.findIndex((l) => new RegExp(`^kind:\\s*["']?${object.kind}["']?\\s*$`).test(l));
    loaded.sources.set(object, { file: source.file, line: index >= 0 ? index + 1 : 1 });
  }
}

/**
 * Vendors the missing dependencies, deepest charts first. `helm dependency update`, not `build`: build
 * insists on repositories added with `helm repo add`, update fetches from the URLs in Chart.yaml (and
 * rewrites Chart.lock, which the flag that asks for it accepts).
 */
function vendorDependencies(missing: UnrenderedChart[]): void {
  const dirs = [...new Set(missing.map((m) => m.declaredIn))].sort((a, b) => b.length - a.length);
  for (const dir of dirs) {
    const result = runHelm(['dependency', 'update', dir]);
    if (result.status !== 0)
      throw new InputError(`helm dependency update ${dir} failed: ${helmReason(result.stderr)}`);
  }
}

function describeMissing(m: UnrenderedChart): string {
  const from = [m.version, m.repository && `from ${m.repository}`].filter(Boolean).join(' ');
  return `${m.chart}${from ? ` (${from})` : ''}`;
}

function missingDependenciesError(dir: string, missing: UnrenderedChart[]): InputError {
  const declaring = [...new Set(missing.map((m) => relative(process.cwd(), m.declaredIn) || '.'))];
  const one = missing.length === 1;
  const vendor = declaring.map((d) => `helm dependency update ${d}`).join(' and ');
  return new InputError(
    `${dir}: ${missing.length} enabled ${one ? 'dependency is' : 'dependencies are'} not vendored, so helm would leave ${one ? 'it' : 'them'} out and ${one ? 'its' : 'their'} objects would go unchecked: ${missing.map(describeMissing).join(', ')}; vendor ${one ? 'it' : 'them'} with ${vendor} (or dalp check --dependency-update where the repositories are reachable), disable ${one ? 'it' : 'them'} in the values, or check the rest with --allow-missing-dependencies`,
  );
}

export function renderChart(input: ChartInput): LoadedObjects {
  const chart = readChartYaml(input.dir);
  for (const file of input.values) {
    if (!existsSync(file)) throw new InputError(`values file ${file}: no such file`);
  }
  buildDependencies(input.dir, chart);
  let unrendered = unrenderedDependencies(input.dir, input.values, input.set);
  if (unrendered.length > 0 && input.dependencyUpdate) {
    vendorDependencies(unrendered);
    unrendered = unrenderedDependencies(input.dir, input.values, input.set);
  }
  if (unrendered.length > 0 && !input.allowMissingDependencies)
    throw missingDependenciesError(input.dir, unrendered);
  const args = ['template', input.releaseName ?? 'dalp', input.dir];
  if (input.namespace) args.push('--namespace', input.namespace);
  for (const file of input.values) args.push('--values', file);
  for (const pair of input.set) args.push('--set', pair);
  for (const version of [...DEFAULT_API_VERSIONS, ...(input.apiVersions ?? [])])
    args.push('--api-versions', version);
  if (input.kubeVersion) args.push('--kube-version', input.kubeVersion);
  const result = runHelm(args);
  if (result.status !== 0) {
    const reason = helmReason(result.stderr);
    throw new InputError(`helm template ${input.dir} failed: ${reason}${parentHint(input.dir, reason)}`);
  }
  const loaded = parseManifests(result.stdout, input.dir, undefined, sourceResolver(input.dir, chart));
  if (loaded.objects.length === 0) throw new InputError(`helm template ${input.dir} rendered no objects`);
  addKindLines(loaded);
  loaded.render = { chart: chart.name ?? input.dir, unrendered };
  return loaded;
}
