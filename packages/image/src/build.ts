import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { exec, execOrThrow } from './exec.ts';

export interface BuildOptions {
  /** Build context (the repository root for apps/dapp/Dockerfile). */
  context: string;
  /** Dockerfile path relative to the context. */
  dockerfile: string;
  tag: string;
  buildArgs?: Record<string, string>;
  /**
   * Reuse cached intermediate layers of earlier builds (default true). False measures a build from
   * scratch; the npm download cache (a `RUN --mount=type=cache`) is kept either way.
   */
  layers?: boolean;
  /** Receives buildah's step lines (`STEP 5/13: RUN ...`) as progress. */
  log?: (line: string) => void;
}

export interface BuiltImage {
  tag: string;
  id: string;
  seconds: number;
}

/**
 * `buildah bud` with runc (Debian's crun refuses some cgroup layouts) and `--pull=never`: every base
 * image must already be in local storage, so a Dockerfile that would fetch anything from a registry
 * fails the build instead of silently depending on the network.
 */
export async function buildImage(options: BuildOptions): Promise<BuiltImage> {
  const started = Date.now();
  const args = [
    'bud',
    '--pull=never',
    '--runtime',
    'runc',
    // A failed build must not leave its working containers behind in the machine's storage.
    '--force-rm',
    `--layers=${options.layers ?? true}`,
    '-f',
    options.dockerfile,
    '-t',
    options.tag,
  ];
  for (const [name, value] of Object.entries(options.buildArgs ?? {}))
    args.push('--build-arg', `${name}=${value}`);
  args.push('.');
  await execOrThrow('buildah', args, {
    cwd: options.context,
    onLine: (line) => {
      if (/^\[\d+\/\d+\] STEP \d+\/\d+:/.test(line)) options.log?.(`  ${line.slice(0, 110)}`);
    },
  });
  const id = (
    await execOrThrow('podman', ['image', 'inspect', '--format', '{{.Id}}', options.tag])
  ).stdout.trim();
  return { tag: options.tag, id, seconds: (Date.now() - started) / 1000 };
}

/** Removes an image tag (the layers other images share stay). */
export async function removeImage(tag: string): Promise<void> {
  await exec('podman', ['rmi', '--force', tag]);
}

export interface CleanCheckout {
  dir: string;
  dispose(): void;
}

/**
 * What a fresh clone of the repository would hold, working-tree edits included: every file git tracks
 * or would add (no node_modules, dist, .dalp or other ignored output), plus a `.git` directory, so a
 * Dockerfile or .dockerignore that lets repository metadata into the image is caught.
 */
export async function cleanCheckout(repoRoot: string): Promise<CleanCheckout> {
  const listed = await execOrThrow('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repoRoot,
  });
  const dir = mkdtempSync(join(tmpdir(), 'dalp-checkout-'));
  try {
    for (const file of listed.stdout.split('\0').filter(Boolean)) {
      // A tracked file deleted in the working tree is not part of the checkout.
      if (!existsSync(join(repoRoot, file))) continue;
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      cpSync(join(repoRoot, file), join(dir, file), { verbatimSymlinks: true });
    }
    await execOrThrow('git', ['init', '--quiet', dir]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
