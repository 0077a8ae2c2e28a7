import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { before, describe, it } from 'node:test';

/**
 * A quick static check of the Dockerfile that runs wherever the suite runs (apps/dapp/test/integration/image.test.ts
 * builds and runs the real image where buildah and podman can): after the project's real build
 * (`npm run build` of the service and the console) every path the Dockerfile copies exists, none is excluded by
 * .dockerignore, and the runtime stage keeps the repository layout that the compiled code relies on
 * (dist/ resolves ../migrations).
 */
const repoRoot = new URL('../../..', import.meta.url).pathname;
const dockerfilePath = join(repoRoot, 'apps/dapp/Dockerfile');

interface Instruction {
  stage: string;
  keyword: string;
  args: string;
}

/** Logical instructions (continuations joined, comments dropped) with the stage each belongs to. */
function parseDockerfile(text: string): Instruction[] {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || line === '') continue;
    current += `${line.replace(/\\$/, '').trim()} `;
    if (!line.endsWith('\\')) {
      logical.push(current.trim());
      current = '';
    }
  }
  const out: Instruction[] = [];
  let stage = '';
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? args;
    out.push({ stage, keyword: keyword.toUpperCase(), args });
  }
  return out;
}

/** .dockerignore patterns, matched with the same glob semantics Docker uses for `**` and `*`. */
function ignored(path: string): boolean {
  const patterns = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  let result = false;
  for (const pattern of patterns) {
    const negate = pattern.startsWith('!');
    const glob = negate ? pattern.slice(1) : pattern;
    // A pattern that matches a directory excludes everything under it.
    const parts = path.split('/');
    const hit = parts.some((_, i) => posix.matchesGlob(parts.slice(0, i + 1).join('/'), glob));
    if (hit) result = !negate;
  }
  return result;
}

const instructions = parseDockerfile(readFileSync(dockerfilePath, 'utf8'));
const runtime = instructions.filter(
  (i) => i.stage === instructions.findLast((x) => x.keyword === 'FROM')!.stage,
);

describe('apps/dapp/Dockerfile', () => {
  before(() => {
    // The builds the Dockerfile's stages run: the service and the console.
    for (const workspace of ['@dalp/dapp', '@dalp/console']) {
      const build = spawnSync('npm', ['run', 'build', '-w', workspace], { cwd: repoRoot, encoding: 'utf8' });
      assert.equal(build.status, 0, `npm run build -w ${workspace} failed:\n${build.stdout}${build.stderr}`);
    }
  });

  it('is multi-stage: build, the console, production dependencies, runtime', () => {
    const stages = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.stage);
    assert.deepEqual(stages, ['build', 'console', 'deps', 'runtime']);
    const consoleBuild = instructions
      .filter((i) => i.stage === 'console' && i.keyword === 'RUN')
      .map((i) => i.args)
      .join(' ');
    assert.match(consoleBuild, /npm run build -w @dalp\/console/);
    assert.ok(
      instructions.some(
        (i) =>
          i.stage === 'runtime' &&
          i.keyword === 'COPY' &&
          /--from=console \/repo\/apps\/console\/dist/.test(i.args),
      ),
      'the runtime stage takes the console build',
    );
    const deps = instructions
      .filter((i) => i.stage === 'deps' && i.keyword === 'RUN')
      .map((i) => i.args)
      .join(' ');
    assert.match(deps, /npm ci --omit=dev --omit=optional -w @dalp\/dapp/);
    const build = instructions
      .filter((i) => i.stage === 'build' && i.keyword === 'RUN')
      .map((i) => i.args)
      .join(' ');
    assert.match(build, /npm ci .*-w @dalp\/dapp/);
    assert.match(build, /npm run build -w @dalp\/dapp/);
  });

  it('copies only paths that exist after the build and are not dockerignored', () => {
    const copies = instructions.filter((i) => i.keyword === 'COPY');
    assert.ok(copies.length >= 4);
    for (const copy of copies) {
      const words = copy.args
        .split(/\s+/)
        .filter((w) => !w.startsWith('--chown') && !w.startsWith('--chmod'));
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
      const paths = words.filter((w) => !w.startsWith('--'));
      const sources = paths.slice(0, -1);
      for (const source of sources) {
        if (from) {
          // Stages work in /repo on a copy of the build context plus what they built.
          assert.ok(source.startsWith('/repo/'), `${copy.args}: stage paths are expected under /repo`);
          const relative = source.slice('/repo/'.length);
          // node_modules directories are made by `npm ci` inside the stage, dist/ by the build.
          if (relative.split('/').includes('node_modules')) continue;
          assert.ok(
            existsSync(join(repoRoot, relative)),
            `${relative} (copied from stage ${from}) does not exist after the build`,
          );
          if (!relative.endsWith('/dist')) {
            assert.equal(ignored(relative), false, `${relative} is excluded by .dockerignore`);
          }
        } else if (source !== '.') {
          assert.ok(existsSync(join(repoRoot, source)), `${source} does not exist`);
          assert.equal(ignored(source), false, `${source} is excluded by .dockerignore`);
        }
      }
    }
  });

  it('the build context keeps every input of `npm ci` and the TypeScript build', () => {
    for (const path of [
      'package.json',
      'package-lock.json',
      'tsconfig.base.json',
      'apps/dapp/package.json',
      'apps/dapp/tsconfig.build.json',
      'apps/dapp/src/main.ts',
      'apps/dapp/migrations',
    ]) {
      assert.ok(existsSync(join(repoRoot, path)), `${path} missing`);
      assert.equal(ignored(path), false, `${path} is excluded by .dockerignore`);
    }
    assert.equal(ignored('apps/dapp/node_modules/x'), true);
    assert.equal(ignored('.git/HEAD'), true);
  });

  it('keeps the repository layout in the runtime stage so dist/ finds ../migrations', () => {
    const workdirs = runtime.filter((i) => i.keyword === 'WORKDIR').map((i) => i.args);
    const root = workdirs[0]!;
    for (const copy of runtime.filter((i) => i.keyword === 'COPY')) {
      const [source, destination] = copy.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      // Paths of other stages sit under /repo; paths of the build context are relative to its root.
      const relative = source!.startsWith('/repo/') ? source!.slice('/repo/'.length) : source!;
      assert.equal(posix.join(root, destination!), posix.join(root, relative), copy.args);
    }
    const migrations = readdirSync(join(repoRoot, 'apps/dapp/migrations')).filter((f) => f.endsWith('.sql'));
    assert.ok(migrations.length > 0, 'no SQL migrations');
    assert.ok(existsSync(join(repoRoot, 'apps/dapp/dist/main.js')), 'apps/dapp/dist/main.js not built');
    assert.equal(workdirs.at(-1), posix.join(root, 'apps/dapp'));
  });

  it('runs Node as PID 1 as a numeric non-root user, PORT 3000, args usable for `migrate`', () => {
    const entry = runtime.find((i) => i.keyword === 'ENTRYPOINT');
    assert.ok(entry, 'ENTRYPOINT missing');
    assert.deepEqual(JSON.parse(entry.args), ['node', 'dist/main.js']);
    assert.equal(
      runtime.some((i) => i.keyword === 'CMD'),
      false,
      'a CMD would be replaced by the chart args anyway',
    );
    assert.doesNotMatch(readFileSync(dockerfilePath, 'utf8'), /npm (start|run start)/);
    const user = runtime.find((i) => i.keyword === 'USER')?.args ?? '';
    assert.match(user, /^[1-9][0-9]*:[1-9][0-9]*$/);
    assert.match(
      runtime
        .filter((i) => i.keyword === 'ENV')
        .map((i) => i.args)
        .join(' '),
      /PORT=3000/,
    );
    assert.equal(runtime.find((i) => i.keyword === 'EXPOSE')?.args, '3000');
  });
});
