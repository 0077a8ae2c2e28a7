import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  type ContainerSpec,
  type PodSpec,
  podContainerRunOptions,
  probeOnce,
  resolveEnv,
  ulimitArgs,
} from '../../src/index.ts';

const inputs = {
  secretValue: ({ name, key }: { name: string; key: string }) => `${name}:${key}`,
  secretDir: (name: string) => `/host/secrets/${name}`,
};

const container: ContainerSpec = {
  name: 'app',
  args: ['serve'],
  ports: [{ name: 'http', containerPort: 3000 }],
  env: [
    { name: 'HOST', value: 'db.example' },
    { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
    { name: 'URL', value: 'postgres://u:$(PASSWORD)@$(HOST)/x?$(UNKNOWN)' },
  ],
  securityContext: {
    runAsUser: 1001,
    runAsGroup: 1002,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
  volumeMounts: [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'ca', mountPath: '/etc/ca' },
  ],
};
const pod: PodSpec = {
  securityContext: { runAsUser: 7, runAsGroup: 7 },
  containers: [container],
  volumes: [
    { name: 'tmp', emptyDir: { sizeLimit: '256Mi' } },
    { name: 'ca', secret: { secretName: 'db-ca' } },
  ],
};

describe('a pod spec container as podman run options', () => {
  test('env: secret references resolved, $(VAR) expanded from earlier entries, unknown ones kept', () => {
    assert.deepEqual(resolveEnv(container.env!, inputs.secretValue), {
      HOST: 'db.example',
      PASSWORD: 'db:password',
      URL: 'postgres://u:db:password@db.example/x?$(UNKNOWN)',
    });
    assert.throws(
      () => resolveEnv([{ name: 'X' }], inputs.secretValue),
      /X has neither value nor secretKeyRef/,
    );
  });

  test('security context: user, read-only root, capabilities, no privilege escalation; container wins over pod', () => {
    const options = podContainerRunOptions(pod, container, {
      ...inputs,
      envOverrides: { HOST: '127.0.0.1' },
    });
    assert.equal(options.user, '1001:1002');
    assert.equal(options.runAsNonRoot, true);
    assert.equal(options.readOnlyRootFilesystem, true);
    assert.deepEqual(options.capDrop, ['ALL']);
    assert.equal(options.noNewPrivileges, true);
    assert.equal(options.seccompUnconfined, false);
    assert.deepEqual(options.args, ['serve']);
    assert.equal(options.env?.HOST, '127.0.0.1', 'overrides replace rendered values');
    const { runAsUser: _, ...noUser } = container.securityContext!;
    assert.equal(
      podContainerRunOptions(pod, { ...container, securityContext: noUser }, inputs).user,
      '7:1002',
    );
    const onlyUser = { ...pod, securityContext: { runAsUser: 7 } };
    assert.equal(podContainerRunOptions(onlyUser, { ...container, securityContext: {} }, inputs).user, '7');
  });

  test('volumes: emptyDir as a sized tmpfs, Secret volumes read-only from the host', () => {
    const options = podContainerRunOptions(pod, container, inputs);
    assert.deepEqual(options.tmpfs, [{ path: '/tmp', sizeLimit: String(256 * 1024 * 1024) }]);
    assert.deepEqual(options.mounts, [{ source: '/host/secrets/db-ca', target: '/etc/ca', readOnly: true }]);
  });

  test('what cannot be reproduced here is refused, not silently dropped', () => {
    const privileged = { ...container, securityContext: { privileged: true } };
    assert.throws(() => podContainerRunOptions(pod, privileged, inputs), /privileged/);
    const localhostSeccomp = { ...container, securityContext: { seccompProfile: { type: 'Localhost' } } };
    assert.throws(() => podContainerRunOptions(pod, localhostSeccomp, inputs), /seccomp profile Localhost/);
    const hostPath = { ...container, volumeMounts: [{ name: 'data', mountPath: '/data' }] };
    assert.throws(() => podContainerRunOptions(pod, hostPath, inputs), /neither an emptyDir nor a Secret/);
    assert.throws(
      () => podContainerRunOptions(pod, { ...container, command: ['sh'] }, inputs),
      /command override/,
    );
  });

  test('ulimits never exceed what this process may grant', () => {
    const limits = Object.fromEntries(
      ulimitArgs()
        .filter((a) => a.includes('='))
        .map((a) => {
          const [name, value] = a.split('=');
          return [name, Number(value!.split(':')[1])];
        }),
    );
    // The shell's own view of this process's hard limits (a child inherits them).
    const [nofile, nproc] = execFileSync('bash', ['-c', 'ulimit -Hn; ulimit -Hu'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((v) => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v)));
    const hard = (name: string) => (name === 'Max open files' ? nofile! : nproc!);
    assert.ok(limits.nofile! > 0 && limits.nofile! <= hard('Max open files'));
    assert.ok(limits.nproc! > 0 && limits.nproc! <= hard('Max processes'));
  });
});

describe('probes as the kubelet makes them', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((request, response) => {
      response.statusCode = request.url === '/ready' ? 200 : request.url === '/moved' ? 302 : 503;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    if (server.listening) server.close();
  });

  test('httpGet passes on 200-399 only; tcpSocket on a connection; port names resolve', async () => {
    const at = () => port;
    const http = (path: string) => probeOnce({ httpGet: { path, port: 'http' } }, container, at);
    assert.equal(await http('/ready'), true);
    assert.equal(await http('/moved'), true);
    assert.equal(await http('/down'), false);
    assert.equal(await probeOnce({ tcpSocket: { port: 3000 } }, container, at), true);
    await assert.rejects(
      probeOnce({ tcpSocket: { port: 'metrics' } }, container, at),
      /no port named metrics/,
    );
    await new Promise<void>((resolve) => server.close(() => resolve()));
    assert.equal(await probeOnce({ tcpSocket: { port: 'http' } }, container, at), false);
    assert.equal(await http('/ready'), false);
  });
});
