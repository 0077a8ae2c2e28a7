import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Builds the web console (apps/console/dist) the way `npm start` does; esbuild takes well under a second. */
export function buildConsole(): void {
  const script = fileURLToPath(new URL('../../../console/scripts/build.mjs', import.meta.url));
  const built = spawnSync(process.execPath, [script], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`console build failed:\n${built.stdout}${built.stderr}`);
}
