import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import * as tar from 'tar';
import { parse } from 'yaml';
import { InputError } from '../errors.ts';
import type { UnrenderedChart } from '../model/render.ts';

// Which charts a `helm template` of a chart will render, decided the way helm decides it (conditions
// against the coalesced values, then tags), walking every nested Chart.yaml. helm itself only insists
// that the top chart's dependencies are present; an enabled dependency missing two levels down is
// silently left out of the render, and a check of that render would pass objects it never saw.

export interface ChartDependency {
  name?: string;
  alias?: string;
  version?: string;
  repository?: string;
  condition?: string;
  tags?: string[];
}

export interface ChartYaml {
  name?: string;
  dependencies?: ChartDependency[];
}

type Values = Record<string, unknown>;

/** A chart as helm sees it: a directory, or a packaged archive under a parent's charts/. */
interface ChartNode {
  /** "atk/support": the chart names from the top chart down. */
  label: string;
  /** Where it lives: a directory, or "file.tgz:path/in/archive". */
  location: string;
  /** The directory to run `helm dependency build` in (the chart's own, or its archive's parent's). */
  dir: string;
  chart: ChartYaml;
  values: Values;
  subcharts: ChartNode[];
}

const isObject = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

function parseYaml<T>(text: string, where: string): T {
  try {
    return (parse(text) ?? {}) as T;
  } catch {
    throw new InputError(`${where}: invalid YAML`);
  }
}

export function readChartYaml(dir: string): ChartYaml {
  const file = join(dir, 'Chart.yaml');
  if (!existsSync(file)) throw new InputError(`${dir}: no Chart.yaml, so it is not a Helm chart`);
  const chart = parseYaml<ChartYaml>(readFileSync(file, 'utf8'), file);
  const requirements = join(dir, 'requirements.yaml');
  return withRequirements(
    chart,
    existsSync(requirements) ? readFileSync(requirements, 'utf8') : undefined,
    requirements,
  );
}

/** apiVersion v1 charts declare their dependencies in requirements.yaml, which helm still reads. */
function withRequirements(chart: ChartYaml, requirements: string | undefined, where: string): ChartYaml {
  if (chart.dependencies || requirements === undefined) return chart;
  const dependencies = parseYaml<{ dependencies?: ChartDependency[] }>(requirements, where).dependencies;
  return dependencies ? { ...chart, dependencies } : chart;
}

function readValues(file: string): Values {
  if (!existsSync(file)) return {};
  const values = parseYaml<unknown>(readFileSync(file, 'utf8'), file);
  return isObject(values) ? values : {};
}

/** The Chart.yaml and values.yaml files of a packaged chart and of the charts packaged inside it. */
function readArchive(file: string): Map<string, string> {
  const files = new Map<string, string>();
  tar.t({
    file,
    sync: true,
    onReadEntry: (entry) => {
      if (!/(^|\/)(Chart|values|requirements)\.yaml$/.test(entry.path)) {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => files.set(entry.path, Buffer.concat(chunks).toString('utf8')));
    },
  });
  return files;
}

function archiveNode(
  files: Map<string, string>,
  root: string,
  parent: string,
  archive: string,
  dir: string,
): ChartNode {
  const where = `${archive}:${root}`;
  const chart = withRequirements(
    parseYaml<ChartYaml>(files.get(`${root}/Chart.yaml`) ?? '', `${where}/Chart.yaml`),
    files.get(`${root}/requirements.yaml`),
    `${where}/requirements.yaml`,
  );
  const values = parseYaml<unknown>(files.get(`${root}/values.yaml`) ?? '', `${where}/values.yaml`);
  const label = `${parent}/${chart.name ?? posix.basename(root)}`;
  const nested = new Set<string>();
  for (const path of files.keys()) {
    const match = new RegExp(
      `^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/charts/([^/]+)/Chart\\.yaml$`,
    ).exec(path);
    if (match) nested.add(`${root}/charts/${match[1]}`);
  }
  return {
    label,
    location: where,
    dir,
    chart,
    values: isObject(values) ? values : {},
    subcharts: [...nested].map((sub) => archiveNode(files, sub, label, archive, dir)),
  };
}

function directoryNode(dir: string, parent?: string): ChartNode {
  const chart = readChartYaml(dir);
  const label = parent
    ? `${parent}/${chart.name ?? posix.basename(dir)}`
    : (chart.name ?? posix.basename(dir));
  const subcharts: ChartNode[] = [];
  const charts = join(dir, 'charts');
  if (existsSync(charts)) {
    for (const name of readdirSync(charts).sort()) {
      const path = join(charts, name);
      if (statSync(path).isDirectory()) {
        if (existsSync(join(path, 'Chart.yaml'))) subcharts.push(directoryNode(path, label));
      } else if (name.endsWith('.tgz')) {
        const files = readArchive(path);
        const root = [...files.keys()].find((f) => /^[^/]+\/Chart\.yaml$/.test(f))?.split('/')[0];
        if (root) subcharts.push(archiveNode(files, root, label, path, dir));
      }
    }
  }
  return { label, location: dir, dir, chart, values: readValues(join(dir, 'values.yaml')), subcharts };
}

/** Fills in what `into` lacks from `from`: the values the user gave win over chart defaults. */
function coalesce(into: Values, from: Values): Values {
  for (const [key, value] of Object.entries(from)) {
    const current = into[key];
    if (current === undefined) into[key] = isObject(value) ? coalesce({}, value) : value;
    else if (isObject(current) && isObject(value)) coalesce(current, value);
  }
  return into;
}

/** Later values files override earlier ones, key by key. */
function override(into: Values, from: Values): Values {
  for (const [key, value] of Object.entries(from)) {
    const current = into[key];
    into[key] = isObject(current) && isObject(value) ? override(current, value) : value;
  }
  return into;
}

function keyOf(dep: ChartDependency): string {
  return dep.alias ?? dep.name ?? '';
}

function present(node: ChartNode, dep: ChartDependency): ChartNode | undefined {
  return node.subcharts.find((s) => s.chart.name === dep.name);
}

/** The chart's defaults with each present subchart's defaults beneath its key (parents win). */
function defaultsOf(node: ChartNode): Values {
  const values = coalesce({}, node.values);
  for (const sub of node.subcharts) {
    const dep = node.chart.dependencies?.find((d) => d.name === sub.chart.name);
    const key = dep ? keyOf(dep) : (sub.chart.name ?? '');
    const own = isObject(values[key]) ? (values[key] as Values) : {};
    values[key] = coalesce(own, defaultsOf(sub));
  }
  return values;
}

function valueAt(values: Values, path: string): unknown {
  let current: unknown = values;
  for (const part of path.split('.')) current = isObject(current) ? current[part] : undefined;
  return current;
}

/** helm's rule: the first condition path that holds a boolean decides; else any true tag enables. */
function isEnabled(dep: ChartDependency, top: Values, prefix: string): boolean {
  for (const condition of (dep.condition ?? '').split(',').map((c) => c.trim())) {
    if (!condition) continue;
    const value = valueAt(top, `${prefix}${condition}`);
    if (typeof value === 'boolean') return value;
  }
  const tags = isObject(top.tags) ? top.tags : {};
  const set = (dep.tags ?? []).map((t) => tags[t]).filter((v) => typeof v === 'boolean');
  return set.length === 0 || set.includes(true);
}

/**
 * `--set a.b=c,d=e` as far as conditions and tags need it: dotted keys, booleans, integers, null. Lists
 * (`a={x,y}`) and anything else helm reads are passed to helm untouched and do not matter here; a pair
 * this reading does not understand is skipped, and helm reports it if it is wrong.
 */
export function parseSetValues(pairs: string[]): Values {
  const values: Values = {};
  for (const arg of pairs) {
    for (const pair of arg.split(/(?<!\\),(?![^{]*\})/)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const path = pair
        .slice(0, eq)
        .split(/(?<!\\)\./)
        .map((p) => p.replace(/\\([.,])/g, '$1'));
      const raw = pair.slice(eq + 1).replace(/\\,/g, ',');
      const value =
        raw === 'true'
          ? true
          : raw === 'false'
            ? false
            : raw === 'null'
              ? null
              : /^-?\d+$/.test(raw)
                ? Number(raw)
                : raw;
      let into = values;
      for (const part of path.slice(0, -1)) {
        if (!isObject(into[part])) into[part] = {};
        into = into[part] as Values;
      }
      into[path[path.length - 1]!] = value;
    }
  }
  return values;
}

/**
 * The enabled dependencies, at any depth, that are neither vendored (charts/<name>/ or a packaged
 * archive) nor built from a file:// source: helm would leave them out of the render.
 */
export function unrenderedDependencies(dir: string, valueFiles: string[], set: string[]): UnrenderedChart[] {
  const root = directoryNode(dir);
  const user: Values = {};
  for (const file of valueFiles) override(user, readValues(file));
  override(user, parseSetValues(set));
  const top = coalesce(user, defaultsOf(root));
  const missing: UnrenderedChart[] = [];
  const walk = (node: ChartNode, prefix: string) => {
    const declared = node.chart.dependencies ?? [];
    for (const dep of declared) {
      if (!isEnabled(dep, top, prefix)) continue;
      const sub = present(node, dep);
      if (sub) walk(sub, `${prefix}${keyOf(dep)}.`);
      else
        missing.push({
          chart: `${node.label}/${keyOf(dep)}`,
          name: dep.name ?? '(unnamed)',
          ...(dep.version ? { version: dep.version } : {}),
          ...(dep.repository ? { repository: dep.repository } : {}),
          declaredIn: node.dir,
          ...(dep.condition ? { condition: dep.condition } : {}),
        });
    }
    // Subcharts under charts/ that Chart.yaml does not list are always rendered.
    for (const sub of node.subcharts) {
      if (!declared.some((d) => d.name === sub.chart.name)) walk(sub, `${prefix}${sub.chart.name}.`);
    }
  };
  walk(root, '');
  return missing;
}
