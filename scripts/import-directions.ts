import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

// The import directions of docs/architecture.md, as the architecture tests check them: a cruise of the
// sources with the repository's .dependency-cruiser.mjs, and a copy of some sources with wrong imports
// added, to show that the rules see them.

export const ROOT = new URL('../', import.meta.url).pathname;
const CONFIG = join(ROOT, '.dependency-cruiser.mjs');

/** Every rule broken by the modules under `paths` (relative to `baseDir`), as "rule: from -> to". */
export async function violations(baseDir: string, paths: string[]): Promise<string[]> {
  const options = await extractDepcruiseOptions(CONFIG);
  const { output } = await cruise(paths, { ...options, baseDir, outputType: 'json' });
  const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
}

/**
 * A copy of the repository folders `dirs` in a temp dir (with the repository's node_modules linked in, so
 * npm packages resolve), where each `[file, target]` of `wrong` gets `export type { Wrong } from
 * '<target>'` appended. Returns the copy's root and a function that removes it.
 */
export function copyWithImports(
  dirs: string[],
  wrong: Array<[file: string, target: string]>,
): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'dalp-architecture-'));
  for (const dir of dirs) {
    mkdirSync(dirname(join(root, dir)), { recursive: true });
    cpSync(join(ROOT, dir), join(root, dir), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  for (const [file, target] of wrong)
    appendFileSync(join(root, file), `\nexport type { Wrong } from '${target}';\n`);
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
