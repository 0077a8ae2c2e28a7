import { spawnSync } from 'node:child_process';

const TOOLS = ['podman', 'buildah', 'runc', 'mmdebstrap'] as const;

/**
 * Why images cannot be built and run here, or undefined when they can: the four Debian tools must be
 * installed (scripts/ensure-system-deps.sh does that as root) and podman must answer. Building the
 * stand-in base (mmdebstrap, chroot) and running runc containers as this project does needs root.
 */
export function containerToolsUnavailable(): string | undefined {
  if (process.platform !== 'linux')
    return `container images are built on Linux only, not ${process.platform}`;
  if (process.getuid?.() !== 0) return 'building and running the image here needs root (mmdebstrap, runc)';
  const missing = TOOLS.filter((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0);
  if (missing.length > 0)
    return `missing ${missing.join(', ')} (scripts/ensure-system-deps.sh installs them)`;
  const info = spawnSync('podman', ['info', '--format', '{{.Store.GraphDriverName}}'], { encoding: 'utf8' });
  if (info.status !== 0) return `podman does not work here: ${(info.stderr ?? '').trim().split('\n')[0]}`;
  return undefined;
}
