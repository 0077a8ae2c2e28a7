// The chart READMEs: the values tables are generated from the `## @param` annotations of each values.yaml
// (Bitnami's readme-generator-for-helm), then given the real defaults and Biome's formatting.
// generate-readmes.ts writes them; charts/tests/integration/readme.test.ts fails when one is stale.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatMarkdown } from '@dalp/markdown';
import { parse } from 'yaml';

export const chartNames = ['dalp', 'support', 'dalp-local', 'dalp-staging'] as const;
const chartsDir = new URL('..', import.meta.url).pathname;
const require = createRequire(import.meta.url);

function generatorBin(): string {
  return join(dirname(require.resolve('@bitnami/readme-generator-for-helm/package.json')), 'bin', 'index.js');
}

/** Runs the values-table generator on values.yaml into `readme` (in place); throws on bad annotations. */
export function generateReadme(valuesFile: string, readme: string): void {
  const result = spawnSync(process.execPath, [generatorBin(), '--values', valuesFile, '--readme', readme], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const errors = `${result.stdout}${result.stderr}`.split('\n').filter((l) => l.startsWith('ERROR'));
    throw new Error(
      `readme generator failed for ${valuesFile}: ${errors.join('; ') || result.stderr.trim()}`,
    );
  }
}

export interface Param {
  name: string;
  /** `[array]`, `[object]`... as annotated. */
  modifiers: string[];
}

/** Every `## @param` of a values.yaml. */
export function paramsOf(valuesFile: string): Param[] {
  return [...readFileSync(valuesFile, 'utf8').matchAll(/^\s*## @param (\S+)\s*(?:\[([^\]]*)\])?/gm)].map(
    (m) => ({
      name: m[1]!,
      modifiers: (m[2] ?? '')
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    }),
  );
}

/** The value at a dotted parameter name (a key may itself contain dots, like an annotation name). */
export function valueAt(values: unknown, name: string): unknown {
  let node = values as Record<string, unknown> | undefined;
  let rest = name.split('.');
  while (rest.length > 0) {
    const length = rest.findIndex((_, i) => node && Object.hasOwn(node, rest.slice(0, i + 1).join('.')));
    if (length < 0) return undefined;
    node = node![rest.slice(0, length + 1).join('.')] as Record<string, unknown> | undefined;
    rest = rest.slice(length + 1);
  }
  return node;
}

/** A value as the generator writes it in the table's Value column. */
export function renderedDefault(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (value === '') return '""';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * The generator writes `[]` or `{}` for every parameter annotated `[array]` or `[object]`, whatever its
 * default; non-empty lists (a default spread constraint, the egress ports) need that annotation (else the
 * generator demands one per element), so their real default is written into the table here.
 */
function withRealDefaults(markdown: string, valuesFile: string): string {
  const values = parse(readFileSync(valuesFile, 'utf8'));
  let result = markdown;
  for (const param of paramsOf(valuesFile)) {
    if (!param.modifiers.some((m) => m === 'array' || m === 'object')) continue;
    const row = new RegExp(
      `^(\\|\\s*\`${param.name.replaceAll('.', '\\.')}\`\\s*\\|.*\\|\\s*)\`[^\`]*\`(\\s*\\|)$`,
      'm',
    );
    result = result.replace(
      row,
      (_, head: string, tail: string) => `${head}\`${renderedDefault(valueAt(values, param.name))}\`${tail}`,
    );
  }
  return result;
}

/** The README a chart would have after regeneration, computed in a temp dir. */
export function expectedReadme(chart: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dalp-readme-'));
  try {
    copyFileSync(join(chartsDir, chart, 'README.md'), join(dir, 'README.md'));
    const valuesFile = join(chartsDir, chart, 'values.yaml');
    generateReadme(valuesFile, join(dir, 'README.md'));
    // Biome formats Markdown in this repository too (`npm run lint`): the page goes through it as the chart's README.
    return formatMarkdown(
      withRealDefaults(readFileSync(join(dir, 'README.md'), 'utf8'), valuesFile),
      `charts/${chart}/README.md`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function chartReadmePath(chart: string): string {
  return join(chartsDir, chart, 'README.md');
}
