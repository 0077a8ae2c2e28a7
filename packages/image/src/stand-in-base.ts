import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, execOrThrow } from './exec.ts';
import { type BaseImageRef, bundledNpmVersion, cacheRoot, fetchNode, fetchPackage } from './node-dist.ts';

/**
 * A stand-in for the official `node:<version>-<suite>-slim` image, for tests on machines that reach no
 * container registry. Real builds use the official image; this one is made from the same ingredients:
 * a minimal Debian root filesystem from Debian's archive (`mmdebstrap --variant=minbase`, merged /usr,
 * no documentation, like `debian:<suite>-slim`), the official Node.js build and the npm it bundles
 * laid out under /usr/local, and the `node` user (1000:1000). It differs from the official image in
 * what the dapp image does not use: no yarn, no corepack, no docker-entrypoint.sh. When the host's npm
 * trusts an extra CA (a TLS-intercepting proxy), that CA is added for npm inside the build only
 * (/usr/local/etc/npmrc), so the stand-in, unlike a real base, carries the host's network setup.
 */

/** Never the official name: a stand-in must not shadow `node:<version>` for real builds on this machine. */
export const STAND_IN_REPOSITORY = 'localhost/dalp-stand-in/node';
const KEY_LABEL = 'dalp.stand-in.key';
const DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const DEBIAN_SECURITY_MIRROR = 'http://deb.debian.org/debian-security';
// Drops what debian:<suite>-slim drops (docs except copyright, man pages, translations).
const SLIM_DPKG_OPTIONS = [
  'path-exclude=/usr/share/doc/*',
  'path-include=/usr/share/doc/*/copyright',
  'path-exclude=/usr/share/man/*',
  'path-exclude=/usr/share/info/*',
  'path-exclude=/usr/share/locale/*',
];

export interface StandInBase {
  tag: string;
  nodeVersion: string;
  npmVersion: string;
  /** False when an image built from the same inputs was already there. */
  built: boolean;
  seconds: number;
}

/** The CA file the host's npm is configured with, if any. */
async function hostNpmCaFile(): Promise<string | undefined> {
  const result = await exec('npm', ['config', 'get', 'cafile']);
  const value = result.stdout.trim();
  return result.status === 0 && value && value !== 'null' && value !== 'undefined' ? value : undefined;
}

/** The image's id and its cache-key label, or undefined when there is no such image. */
async function existingImage(tag: string): Promise<{ id: string; key: string } | undefined> {
  const result = await exec('podman', [
    'image',
    'inspect',
    '--format',
    `{{.Id}} {{index .Labels "${KEY_LABEL}"}}`,
    tag,
  ]);
  if (result.status !== 0) return undefined;
  const [id = '', key = ''] = result.stdout.trim().split(' ');
  return { id, key };
}

/** /usr/local as the official image lays it out: the Node.js release tree plus npm and its links. */
function stageUsrLocal(stage: string, nodeDir: string, npmDir: string, caFile: string | undefined): void {
  const usrLocal = join(stage, 'usr', 'local');
  mkdirSync(usrLocal, { recursive: true });
  const archs = join(nodeDir, 'include', 'node', 'openssl', 'archs');
  cpSync(nodeDir, usrLocal, {
    recursive: true,
    // Not the package manifest, and no OpenSSL headers of other architectures (the official image
    // removes them too).
    filter: (src) =>
      src !== join(nodeDir, 'package.json') &&
      !(src.startsWith(`${archs}/`) && !src.startsWith(`${archs}/linux-x86_64`)),
  });
  cpSync(npmDir, join(usrLocal, 'lib', 'node_modules', 'npm'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(usrLocal, 'bin', 'npm'));
  symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(usrLocal, 'bin', 'npx'));
  symlinkSync('node', join(usrLocal, 'bin', 'nodejs'));
  if (caFile) {
    mkdirSync(join(usrLocal, 'etc'), { recursive: true });
    cpSync(caFile, join(usrLocal, 'etc', 'dalp-stand-in-ca.crt'));
    writeFileSync(join(usrLocal, 'etc', 'npmrc'), 'cafile=/usr/local/etc/dalp-stand-in-ca.crt\n');
  }
}

/**
 * Makes sure the stand-in for `base` exists in the machine's container storage and returns its tag.
 * Built once per set of inputs (Node.js version, npm version, Debian release, host CA, this recipe):
 * the inputs' digest is a label on the image, and a matching image is reused as it is.
 */
export async function ensureStandInBase(
  base: BaseImageRef,
  log: (line: string) => void = () => undefined,
): Promise<StandInBase> {
  const started = Date.now();
  const tag = `${STAND_IN_REPOSITORY}:${base.nodeVersion}-${base.suite}-slim`;
  const node = await fetchNode(base.nodeVersion);
  const npmVersion = bundledNpmVersion(node);
  const caFile = await hostNpmCaFile();
  const key = createHash('sha256')
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .update(JSON.stringify({ node: base.nodeVersion, npm: npmVersion, suite: base.suite }))
    .update(caFile ? readFileSync(caFile) : '')
    .digest('hex')
    .slice(0, 16);
  const seconds = () => Math.round((Date.now() - started) / 1000);
  const previous = await existingImage(tag);
  if (previous?.key === key) {
    return { tag, nodeVersion: base.nodeVersion, npmVersion, built: false, seconds: seconds() };
  }

  log(`stand-in base ${tag}: Debian ${base.suite} minbase + Node.js ${base.nodeVersion} + npm ${npmVersion}`);
  const npm = await fetchPackage('npm', npmVersion);
  mkdirSync(cacheRoot, { recursive: true });
  const work = mkdtempSync(join(cacheRoot, '.stand-in-'));
  try {
    const stage = join(work, 'stage');
    stageUsrLocal(stage, node.dir, npm.dir, caFile);
    const rootfs = join(work, 'rootfs.tar');
    await execOrThrow(
      'mmdebstrap',
      [
        '--variant=minbase',
        '--include=passwd',
        // Merged /usr set up directly (as Debian's own images), not through the usrmerge package and perl.
        '--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr',
        ...SLIM_DPKG_OPTIONS.map((o) => `--dpkgopt=${o}`),
        `--customize-hook=sync-in ${join(stage, 'usr', 'local')} /usr/local`,
        '--customize-hook=chroot "$1" groupadd --gid 1000 node',
        '--customize-hook=chroot "$1" useradd --uid 1000 --gid node --shell /bin/bash --create-home node',
        '--customize-hook=chroot "$1" node --version',
        '--customize-hook=chroot "$1" npm --version',
        base.suite,
        rootfs,
        `deb ${DEBIAN_MIRROR} ${base.suite} main`,
        `deb ${DEBIAN_MIRROR} ${base.suite}-updates main`,
        `deb ${DEBIAN_SECURITY_MIRROR} ${base.suite}-security main`,
      ],
      {
        onLine: (line) => {
          if (/^I: (downloading|installing|creating tarball|success)/.test(line))
            log(`  mmdebstrap: ${line.slice(3)}`);
        },
      },
    );
    // podman import takes one variable or label per --change.
    const changes = [
      'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      `ENV NODE_VERSION=${base.nodeVersion}`,
      'CMD ["node"]',
      `LABEL ${KEY_LABEL}=${key}`,
      `LABEL org.opencontainers.image.description=test stand-in for ${base.image}; real builds use the official image`,
    ];
    await execOrThrow('podman', [
      'import',
      ...changes.flatMap((change) => ['--change', change]),
      '--message',
      `stand-in for ${base.image}`,
      rootfs,
      tag,
    ]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // The outdated stand-in and the build cache on top of it: images inherit the key label, so this
  // removes only untagged images of that lineage, never another image of the machine.
  if (previous?.key) {
    await exec('podman', ['image', 'prune', '--force', '--filter', `label=${KEY_LABEL}=${previous.key}`]);
  }
  log(`stand-in base ${tag}: built in ${seconds()} s`);
  return { tag, nodeVersion: base.nodeVersion, npmVersion, built: true, seconds: seconds() };
}
