import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { runHelm } from '@dalp/helm';
import { parse } from 'yaml';
import { InputError } from '../errors.ts';
import type { SourceLocation } from '../types.ts';
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

interface ChartYaml {
  name?: string;
  dependencies?: Array<{ name?: string; alias?: string; repository?: string }>;
}

export function isChartDir(path: string): boolean {
  return existsSync(join(path, 'Chart.yaml'));
}

function readChartYaml(dir: string): ChartYaml {
  try {
    return (parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) ?? {}) as ChartYaml;
  } catch {
    throw new InputError(`${dir}/Chart.yaml: invalid YAML`);
  }
}

/** helm's stderr, reduced to one line for the user. */
function helmReason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('WARNING') && !l.startsWith('walk.go'));
  const error = lines.find((l) => l.startsWith('Error:')) ?? lines[lines.length - 1] ?? 'unknown error';
  return error.replace(/^Error:\s*/, '').slice(0, 400);
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

export function renderChart(input: ChartInput): LoadedObjects {
  const chart = readChartYaml(input.dir);
  for (const file of input.values) {
    if (!existsSync(file)) throw new InputError(`values file ${file}: no such file`);
  }
  buildDependencies(input.dir, chart);
  const args = ['template', input.releaseName ?? 'dalp', input.dir];
  if (input.namespace) args.push('--namespace', input.namespace);
  for (const file of input.values) args.push('--values', file);
  for (const pair of input.set) args.push('--set', pair);
  for (const version of [...DEFAULT_API_VERSIONS, ...(input.apiVersions ?? [])])
    args.push('--api-versions', version);
  if (input.kubeVersion) args.push('--kube-version', input.kubeVersion);
  const result = runHelm(args);
  if (result.status !== 0)
    throw new InputError(`helm template ${input.dir} failed: ${helmReason(result.stderr)}`);
  const loaded = parseManifests(result.stdout, input.dir, undefined, sourceResolver(input.dir, chart));
  if (loaded.objects.length === 0) throw new InputError(`helm template ${input.dir} rendered no objects`);
  addKindLines(loaded);
  return loaded;
}
