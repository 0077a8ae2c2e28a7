import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const chartNames = ['dalp', 'support', 'dalp-local', 'dalp-staging'] as const;
const chartsDir = new URL('../..', import.meta.url).pathname;
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

/**
 * Biome also formats Markdown in this repository (`npm run lint`), so the generator's output is passed
 * through Biome as if it were the chart's README; otherwise lint and this check would disagree.
 */
function biomeFormat(markdown: string, chart: string): string {
  const biome = join(dirname(require.resolve('@biomejs/biome/package.json')), 'bin', 'biome');
  const result = spawnSync(biome, ['format', '--stdin-file-path', `charts/${chart}/README.md`], {
    cwd: join(chartsDir, '..'),
    input: markdown,
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(`biome format failed for charts/${chart}/README.md: ${result.stderr}`);
  return result.stdout;
}

/** The README a chart would have after regeneration, computed in a temp dir. */
export function expectedReadme(chart: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dalp-readme-'));
  try {
    copyFileSync(join(chartsDir, chart, 'README.md'), join(dir, 'README.md'));
    generateReadme(join(chartsDir, chart, 'values.yaml'), join(dir, 'README.md'));
    return biomeFormat(readFileSync(join(dir, 'README.md'), 'utf8'), chart);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function chartReadmePath(chart: string): string {
  return join(chartsDir, chart, 'README.md');
}
