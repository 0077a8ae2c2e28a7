import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { InputError } from '../errors.ts';
import type { KubeObject, SourceLocation } from '../model/objects.ts';
import type { RenderCompleteness } from '../model/render.ts';

export interface LoadedObjects {
  objects: KubeObject[];
  sources: WeakMap<KubeObject, SourceLocation>;
  /** For a chart: what the render holds and which enabled dependencies it could not include. */
  render?: RenderCompleteness;
}

export function emptyLoad(): LoadedObjects {
  return { objects: [], sources: new WeakMap() };
}

/** Adds one parsed value: an object, a `*List` with items, or an array of objects. */
function addValue(
  into: LoadedObjects,
  value: unknown,
  origin: string,
  location: SourceLocation | undefined,
  itemLocation: (index: number) => SourceLocation | undefined,
): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) addValue(into, item, origin, itemLocation(i), () => undefined);
    return;
  }
  if (typeof value !== 'object') throw new InputError(`${origin}: a document is not a Kubernetes object`);
  const object = value as KubeObject;
  if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(object.items)) {
    for (const [i, item] of (object.items as unknown[]).entries()) {
      addValue(into, item, origin, itemLocation(i) ?? location, () => undefined);
    }
    return;
  }
  if (typeof object.kind !== 'string' || !object.kind || typeof object.apiVersion !== 'string') {
    throw new InputError(`${origin}: an object has no apiVersion/kind, so it is not a Kubernetes object`);
  }
  if (object.metadata?.name !== undefined && typeof object.metadata.name !== 'string') {
    throw new InputError(`${origin}: ${object.kind} has a metadata.name that is not a string`);
  }
  into.objects.push(object);
  if (location) into.sources.set(object, location);
}

/** Maps a helm "# Source: chart/templates/x.yaml" comment to a file; set by the chart loader. */
export type SourceResolver = (helmSource: string) => SourceLocation | undefined;

/**
 * Parses Kubernetes YAML or JSON text (multi-document, Lists) into objects with their file and line.
 * JSON takes the fast path: a 500-node dump parses far faster with JSON.parse than as YAML.
 */
export function parseManifests(
  text: string,
  file: string,
  into = emptyLoad(),
  resolveSource?: SourceResolver,
): LoadedObjects {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      const value = JSON.parse(trimmed);
      addValue(into, value, file, { file }, () => ({ file }));
      return into;
    } catch (error) {
      if (error instanceof InputError) throw error;
      // Not a single JSON value (for example several concatenated): YAML reads that too.
    }
  }
  const lineCounter = new LineCounter();
  // logLevel error: yaml would print warnings (flow-map keys of a Helm template) on stderr otherwise.
  const documents = parseAllDocuments(text, { lineCounter, uniqueKeys: false, logLevel: 'error' });
  const list = Array.isArray(documents) ? documents : [documents];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line;
      const reason = error.message.split('\n')[0];
      const hint = text.includes('{{') ? `; ${TEMPLATE_HINT}` : '';
      throw new InputError(`${file}${line ? `:${line}` : ''}: invalid YAML: ${reason}${hint}`);
    }
    const contents = doc.contents;
    if (!contents) continue;
    const start = contents.range?.[0] ?? doc.range[0];
    const comment = `${doc.commentBefore ?? ''}\n${contents.commentBefore ?? ''}`;
    const helmSource = /Source:\s*(\S+)/.exec(comment)?.[1];
    const location: SourceLocation = (helmSource && resolveSource?.(helmSource)) || {
      file,
      line: lineCounter.linePos(start).line,
    };
    const items = isMap(contents) ? contents.get('items', true) : undefined;
    const itemNodes = isSeq(items) ? items.items : isSeq(contents) ? contents.items : [];
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (error) {
      // yaml refuses documents whose aliases expand without bound (a "billion laughs" document).
      const reason = (error as Error).message.split('\n')[0];
      throw new InputError(`${file}:${location.line ?? 1}: YAML aliases expand too far: ${reason}`);
    }
    try {
      addValue(into, value, file, location, (i) => {
        const node = itemNodes[i] as { range?: [number, number, number] } | undefined;
        return node?.range && !helmSource
          ? { file, line: lineCounter.linePos(node.range[0]).line }
          : location;
      });
    } catch (error) {
      // Unrendered Helm templates often parse as YAML and only then make no sense: say why.
      if (error instanceof InputError && text.includes('{{')) {
        throw new InputError(`${error.message}; ${TEMPLATE_HINT}`);
      }
      throw error;
    }
  }
  return into;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const TEMPLATE_HINT =
  'the file holds Helm template syntax ({{ }}): check the chart directory (the folder with Chart.yaml), not its templates';

/** A folder laid out like a chart (templates/ and values.yaml) whose Chart.yaml is missing. */
function assertNotChartWithoutChartYaml(dir: string): void {
  if (existsSync(join(dir, 'Chart.yaml'))) return;
  if (existsSync(join(dir, 'templates')) && existsSync(join(dir, 'values.yaml'))) {
    throw new InputError(
      `${dir} looks like a Helm chart (templates/ and values.yaml) but has no Chart.yaml: add one (apiVersion: v2, name, version) or give the directory that holds it`,
    );
  }
}

function collectFiles(path: string, out: string[]): void {
  assertNotChartWithoutChartYaml(path);
  for (const name of readdirSync(path).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const child = join(path, name);
    if (statSync(child).isDirectory()) {
      // Templates are not manifests; rendering them is a chart run of its own.
      if (existsSync(join(child, 'Chart.yaml'))) {
        throw new InputError(`${child} is a Helm chart: check it on its own (dalp check ${child})`);
      }
      collectFiles(child, out);
    } else if (MANIFEST_EXTENSIONS.has(extname(name))) out.push(child);
  }
}

/** Reads files, directories (recursively: .yaml, .yml, .json) and "-" for standard input. */
export function loadManifestPaths(paths: string[], readStdin: () => string): LoadedObjects {
  const loaded = emptyLoad();
  for (const path of paths) {
    if (path === '-') {
      parseManifests(readStdin(), '<stdin>', loaded);
      continue;
    }
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(path);
    } catch {
      throw new InputError(`${path}: no such file or directory`);
    }
    const files: string[] = [];
    if (stat.isDirectory()) collectFiles(path, files);
    else files.push(path);
    if (stat.isDirectory() && files.length === 0)
      throw new InputError(`${path}: no .yaml, .yml or .json files`);
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        throw new InputError(`${file}: cannot be read`);
      }
      parseManifests(text, file, loaded);
    }
  }
  if (loaded.objects.length === 0) throw new InputError(`no Kubernetes objects in ${paths.join(', ')}`);
  return loaded;
}
