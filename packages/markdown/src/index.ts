import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// Biome is the repository's formatter and it formats Markdown (aligned tables): a generated page goes
// through it, as the file it will be written to, so that `npm run lint` and the staleness tests of the
// generated pages agree on one byte-exact text.

const ROOT = new URL('../../../', import.meta.url).pathname;

/** `text` formatted as Biome formats `path` (relative to the repository root). */
export function formatMarkdown(text: string, path: string): string {
  const require = createRequire(import.meta.url);
  const biome = join(dirname(require.resolve('@biomejs/biome/package.json')), 'bin', 'biome');
  const result = spawnSync(process.execPath, [biome, 'format', `--stdin-file-path=${path}`], {
    input: text,
    encoding: 'utf8',
    cwd: ROOT,
  });
  if (result.status !== 0) throw new Error(`biome format of ${path} failed: ${result.stderr.split('\n')[0]}`);
  return result.stdout;
}
