import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChartWorkspace, find, type K8sObject, one } from '../support/charts.ts';
import { overlayAlone, renderableCases } from '../support/matrix.ts';

let ws: ChartWorkspace;
before(() => {
  ws = new ChartWorkspace();
});
after(() => ws.dispose());

function render(...args: Parameters<ChartWorkspace['render']>): K8sObject[] {
  const result = ws.render(...args);
  assert.equal(result.status, 0, `helm template ${args[0]} failed: ${result.stderr}`);
  return result.objects;
}

function dappDeployment(objects: K8sObject[]): K8sObject {
  return one(objects, 'Deployment');
}

function envOf(
  deployment: K8sObject,
  container = 'dapp',
): Map<string, { value?: string; valueFrom?: unknown }> {
  const all = [
    ...(deployment.spec.template.spec.containers ?? []),
    ...(deployment.spec.template.spec.initContainers ?? []),
  ];
  const c = all.find((x: { name: string }) => x.name === container);
  assert.ok(c, `container ${container} missing`);
  return new Map(c.env.map((e: { name: string }) => [e.name, e]));
}

const bundledKinds = (objects: K8sObject[]) =>
  objects.filter((o) => o.metadata.labels?.['dalp.io/component']).map((o) => `${o.kind}/${o.metadata.name}`);

describe('render matrix', () => {
  for (const c of renderableCases) {
    it(`renders: ${c.name}`, () => {
      const objects = render(c.chart, { values: c.values, set: c.set });
      assert.ok(objects.length > 0);
    });
  }

  for (const c of overlayAlone) {
    it(`fails with the missing-key message: ${c.name}`, () => {
      const result = ws.render(c.chart, { values: c.values });
      assert.notEqual(result.status, 0, 'the overlay alone must not render');
      const line = result.stderr.split('\n').find((l) => l.startsWith('Error:')) ?? '';
      assert.match(
        line,
        /global\.datastores\.dapp\.postgresql\.host .*support\.postgresql\.enabled is false/,
      );
      assert.match(line, /global\.datastores\.dapp\.redis\.host .*support\.redis\.enabled is false/);
      assert.match(
        line,
        /global\.datastores\.dapp\.objectStorage\.bucket .*support\.rustfs\.enabled is false/,
      );
      assert.doesNotMatch(result.stderr, /goroutine|panic/);
    });
  }

  it('fails naming only the missing service when one bundled service is disabled', () => {
    const result = ws.render('dalp-local', { set: { 'support.redis.enabled': 'false' } });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /global\.datastores\.dapp\.redis\.host/);
    assert.doesNotMatch(result.stderr, /postgresql\.host|objectStorage\.bucket/);
  });

  it('the dalp chart alone fails with the missing key when nothing is configured', () => {
    const result = ws.render('dalp');
    assert.notEqual(result.status, 0);
    assert.match(
      result.stderr,
      /global\.datastores\.dapp\.postgresql\.host \(or global\.datastores\.default\.postgresql\.host\) is required/,
    );
  });
});

describe('dapp defaults (dalp-local)', () => {
  let objects: K8sObject[];
  before(() => {
    objects = render('dalp-local');
  });

  it('runs two replicas with a rolling update that never drops below them', () => {
    const d = dappDeployment(objects);
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.strategy, {
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
  });

  it('probes TCP on port http for liveness and readiness, no startup probe', () => {
    const c = dappDeployment(objects).spec.template.spec.containers[0];
    assert.deepEqual(c.livenessProbe.tcpSocket, { port: 'http' });
    assert.deepEqual(c.readinessProbe.tcpSocket, { port: 'http' });
    assert.equal(c.startupProbe, undefined);
    assert.deepEqual(c.ports, [{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
  });

  it('soft anti-affinity: preferred, weight 1, hostname, own selector', () => {
    const aff = dappDeployment(objects).spec.template.spec.affinity;
    const terms = aff.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    assert.equal(terms.length, 1);
    assert.equal(terms[0].weight, 1);
    assert.equal(terms[0].podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
    assert.equal(terms[0].podAffinityTerm.labelSelector.matchLabels['app.kubernetes.io/instance'], 'dalp');
    assert.equal(aff.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution, undefined);
  });

  it('spreads over zones with ScheduleAnyway and the release selector', () => {
    const tsc = dappDeployment(objects).spec.template.spec.topologySpreadConstraints;
    assert.equal(tsc.length, 1);
    assert.equal(tsc[0].topologyKey, 'topology.kubernetes.io/zone');
    assert.equal(tsc[0].whenUnsatisfiable, 'ScheduleAnyway');
    assert.equal(tsc[0].labelSelector.matchLabels['app.kubernetes.io/component'], 'dapp');
  });

  it('tolerates a not-ready or unreachable node for 30 s instead of 300 s', () => {
    const tol = dappDeployment(objects).spec.template.spec.tolerations;
    for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
      const t = tol.find((x: { key: string }) => x.key === key);
      assert.equal(t.tolerationSeconds, 30);
      assert.equal(t.effect, 'NoExecute');
    }
  });

  it('has a PodDisruptionBudget with exactly one of minAvailable/maxUnavailable, allowing evictions', () => {
    const pdb = one(objects, 'PodDisruptionBudget');
    assert.equal(pdb.spec.maxUnavailable, 1);
    assert.equal('minAvailable' in pdb.spec, false);
  });

  it('sets requests and limits and a grace period covering preStop + drain + timeout', () => {
    const d = dappDeployment(objects);
    const c = d.spec.template.spec.containers[0];
    assert.ok(
      c.resources.requests.cpu &&
        c.resources.requests.memory &&
        c.resources.limits.cpu &&
        c.resources.limits.memory,
    );
    const env = envOf(d);
    const drain = Number(env.get('SHUTDOWN_DRAIN_DELAY_MS')?.value) / 1000;
    const timeout = Number(env.get('SHUTDOWN_TIMEOUT_MS')?.value) / 1000;
    const preStop = Number(c.lifecycle.preStop.exec.command[1]);
    assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, preStop + drain + timeout + 5);
  });

  it('meets the restricted Pod Security Standard with a writable /tmp', () => {
    const spec = dappDeployment(objects).spec.template.spec;
    assert.equal(spec.securityContext.runAsNonRoot, true);
    assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault');
    for (const c of [...spec.containers, ...spec.initContainers]) {
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.deepEqual(c.securityContext.capabilities.drop, ['ALL']);
      assert.equal(c.securityContext.runAsNonRoot, true);
      assert.ok(c.volumeMounts.some((m: { mountPath: string }) => m.mountPath === '/tmp'));
    }
    assert.ok(spec.volumes.some((v: { name: string; emptyDir?: unknown }) => v.name === 'tmp' && v.emptyDir));
  });

  it('uses the chart appVersion as image tag, never latest', () => {
    const c = dappDeployment(objects).spec.template.spec.containers[0];
    assert.equal(c.image, 'ghcr.io/dalp/dapp:0.1.0');
  });

  it('wires the bundled services through secretKeyRef, migrates in an init container', () => {
    const d = dappDeployment(objects);
    const env = envOf(d);
    assert.equal(env.get('DATABASE_HOST')?.value, 'dalp-postgresql');
    assert.deepEqual(env.get('DATABASE_PASSWORD')?.valueFrom, {
      secretKeyRef: { name: 'dalp-postgresql', key: 'password' },
    });
    assert.equal(env.get('CACHE_URL')?.value, 'redis://dalp-redis:6379/0');
    assert.deepEqual(env.get('CACHE_PASSWORD')?.valueFrom, {
      secretKeyRef: { name: 'dalp-redis', key: 'password' },
    });
    assert.equal(env.get('S3_ENDPOINT')?.value, 'http://dalp-rustfs:9000');
    assert.deepEqual(env.get('S3_SECRET_ACCESS_KEY')?.valueFrom, {
      secretKeyRef: { name: 'dalp-rustfs', key: 'secret-access-key' },
    });
    assert.equal(env.get('MIGRATE_ON_START')?.value, 'false');
    const init = d.spec.template.spec.initContainers[0];
    assert.deepEqual(init.args, ['migrate']);
    // Services and secrets of the bundle match what the dapp points at.
    for (const name of ['dalp-postgresql', 'dalp-redis', 'dalp-rustfs']) {
      one(objects, 'Service', name);
      one(objects, 'Secret', name);
      one(objects, 'StatefulSet', name);
    }
  });

  it('marks every bundled service as a singleton for dalp check', () => {
    for (const sts of find(objects, 'StatefulSet')) {
      assert.equal(sts.spec.replicas, 1);
      assert.equal(sts.metadata.annotations?.['dalp.io/singleton'], 'true');
      assert.match(sts.metadata.annotations?.['dalp.io/singleton-reason'] ?? '', /singleton|one instance/i);
      assert.ok(['postgresql', 'redis', 'rustfs'].includes(sts.metadata.labels?.['dalp.io/component'] ?? ''));
    }
  });

  it('generates bundled credentials (different on every install render), never a fixed password', () => {
    const again = render('dalp-local');
    for (const name of ['dalp-postgresql', 'dalp-redis', 'dalp-rustfs']) {
      const a = one(objects, 'Secret', name);
      const b = one(again, 'Secret', name);
      assert.equal(a.metadata.annotations?.['helm.sh/hook'], 'pre-install');
      const key = name === 'dalp-rustfs' ? 'secret-access-key' : 'password';
      assert.notEqual(a.data[key], b.data[key]);
      assert.ok(Buffer.from(a.data[key], 'base64').toString().length >= 32);
    }
  });

  it('renders no HPA, NetworkPolicy, Ingress, Route, monitoring or Velero objects by default', () => {
    for (const kind of [
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'Ingress',
      'Route',
      'ServiceMonitor',
      'PrometheusRule',
      'Schedule',
      'Job',
    ]) {
      assert.equal(find(objects, kind).length, 0, kind);
    }
  });
});

describe('dalp-staging defaults', () => {
  it('adds an Ingress on port http to the bundled setup', () => {
    const objects = render('dalp-staging');
    const ing = one(objects, 'Ingress');
    assert.equal(ing.spec.rules[0].http.paths[0].backend.service.port.name, 'http');
    assert.equal(ing.spec.tls[0].hosts[0], 'dalp.staging.example.com');
    assert.equal(bundledKinds(objects).length, 9);
  });
});

describe('production overlay + provider files', () => {
  for (const provider of ['aws', 'azure', 'gcp', 'openshift']) {
    it(`${provider}: no bundled object, external services through existing secrets`, () => {
      const objects = render('dalp-staging', {
        values: ['examples/values-production-ha.yaml', `examples/providers/${provider}.yaml`],
      });
      assert.deepEqual(bundledKinds(objects), []);
      assert.equal(find(objects, 'StatefulSet').length, 0);
      const d = dappDeployment(objects);
      const env = envOf(d);
      const pw = env.get('DATABASE_PASSWORD')?.valueFrom as { secretKeyRef: { name: string } };
      assert.ok(pw.secretKeyRef.name && !pw.secretKeyRef.name.startsWith('dalp-postgresql'));
      assert.notEqual(env.get('DATABASE_HOST')?.value, 'dalp-postgresql');
      // Never a plain-text credential in the pod spec.
      for (const name of [
        'DATABASE_PASSWORD',
        'CACHE_PASSWORD',
        'S3_SECRET_ACCESS_KEY',
        'AZURE_STORAGE_CONNECTION_STRING',
      ]) {
        assert.equal(env.get(name)?.value, undefined, name);
      }
      assert.equal(find(objects, 'Secret').length, 0, 'existing secrets only');
      const tsc = d.spec.template.spec.topologySpreadConstraints;
      assert.ok(tsc.some((t: { topologyKey: string }) => t.topologyKey === 'topology.kubernetes.io/zone'));
      assert.ok(d.spec.replicas >= 2);
      one(objects, 'PrometheusRule');
      // All four alike: readiness asks /readyz, so a replica that lost its database leaves the Service
      // (docs/charts.md, "Readiness in production"); liveness stays on the port, independent of dependencies.
      const c = d.spec.template.spec.containers.find((x: { name: string }) => x.name === 'dapp');
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
      assert.deepEqual(c.livenessProbe.tcpSocket, { port: 'http' });
    });
  }

  it('aws: IRSA role on the ServiceAccount, no static S3 keys', () => {
    const objects = render('dalp-staging', {
      values: ['examples/values-production-ha.yaml', 'examples/providers/aws.yaml'],
    });
    assert.match(
      one(objects, 'ServiceAccount').metadata.annotations?.['eks.amazonaws.com/role-arn'] ?? '',
      /^arn:aws:iam::/,
    );
    const env = envOf(dappDeployment(objects));
    assert.equal(env.has('S3_ACCESS_KEY_ID'), false);
    assert.equal(env.get('CACHE_URL')?.value?.startsWith('rediss://'), true);
  });

  it('azure: workload identity, Blob Storage connection string from a secret', () => {
    const objects = render('dalp-staging', {
      values: ['examples/values-production-ha.yaml', 'examples/providers/azure.yaml'],
    });
    assert.ok(one(objects, 'ServiceAccount').metadata.annotations?.['azure.workload.identity/client-id']);
    const d = dappDeployment(objects);
    assert.equal(d.spec.template.metadata.labels['azure.workload.identity/use'], 'true');
    const env = envOf(d);
    assert.equal(env.get('OBJECT_STORE_DRIVER')?.value, 'azure');
    assert.deepEqual(env.get('AZURE_STORAGE_CONNECTION_STRING')?.valueFrom, {
      secretKeyRef: { name: 'dalp-blob', key: 'connection-string' },
    });
  });

  it('openshift: a Route, no Ingress, user ids left to the platform', () => {
    const objects = render('dalp-staging', {
      values: ['examples/values-production-ha.yaml', 'examples/providers/openshift.yaml'],
    });
    assert.equal(one(objects, 'Route').spec.port.targetPort, 'http');
    assert.equal(find(objects, 'Ingress').length, 0);
    const spec = dappDeployment(objects).spec.template.spec;
    assert.equal(spec.securityContext.runAsUser, undefined);
    assert.equal(spec.securityContext.fsGroup, undefined);
    assert.equal(spec.containers[0].securityContext.runAsUser, undefined);
    const env = envOf(dappDeployment(objects));
    assert.match(env.get('CACHE_SENTINELS')?.value ?? '', /^[^,]+:26379,[^,]+:26379,[^,]+:26379$/);
    assert.deepEqual(env.get('CACHE_SENTINEL_PASSWORD')?.valueFrom, {
      secretKeyRef: { name: 'dalp-cache-credentials', key: 'sentinel-password' },
    });
  });
});

describe('switches', () => {
  it('hard anti-affinity is required, not preferred', () => {
    const aff = dappDeployment(render('dalp-local', { set: { 'dalp.dapp.podAntiAffinityPreset': 'hard' } }))
      .spec.template.spec.affinity;
    const req = aff.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    assert.equal(req.length, 1);
    assert.equal(req[0].topologyKey, 'kubernetes.io/hostname');
    assert.equal(aff.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution, undefined);
  });

  it('node and pod affinity presets, and a full affinity that overrides them', () => {
    const set = {
      'dalp.dapp.podAffinityPreset': 'soft',
      'dalp.dapp.nodeAffinityPreset.type': 'hard',
      'dalp.dapp.nodeAffinityPreset.key': 'pool',
      'dalp.dapp.nodeAffinityPreset.values[0]': 'apps',
    };
    const aff = dappDeployment(render('dalp-local', { set })).spec.template.spec.affinity;
    assert.equal(aff.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight, 1);
    const term =
      aff.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
        .matchExpressions[0];
    assert.deepEqual(term, { key: 'pool', operator: 'In', values: ['apps'] });
    assert.ok(aff.podAntiAffinity);
    const custom = dappDeployment(
      render('dalp-local', {
        set: {
          ...set,
          'dalp.dapp.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].key':
            'x',
          'dalp.dapp.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator':
            'Exists',
        },
      }),
    ).spec.template.spec.affinity;
    assert.deepEqual(Object.keys(custom), ['nodeAffinity']);
  });

  it('HPA on: an autoscaling/v2 HPA and no fixed replica count', () => {
    const objects = render('dalp-local', { set: { 'dalp.dapp.autoscaling.enabled': 'true' } });
    const hpa = one(objects, 'HorizontalPodAutoscaler');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.equal(hpa.spec.minReplicas, 2);
    assert.equal(hpa.spec.scaleTargetRef.name, dappDeployment(objects).metadata.name);
    assert.equal(dappDeployment(objects).spec.replicas, undefined);
  });

  it('Velero on: a Schedule for this release with cron, TTL and events excluded, plus backup alerts', () => {
    const objects = render('dalp-local', {
      set: {
        'dalp.backup.velero.enabled': 'true',
        'dalp.backup.velero.schedule': '30 1 * * *',
        'dalp.backup.velero.ttl': '168h0m0s',
        'dalp.metrics.prometheusRule.enabled': 'true',
      },
    });
    const s = one(objects, 'Schedule');
    assert.equal(s.apiVersion, 'velero.io/v1');
    assert.equal(s.metadata.namespace, 'velero');
    assert.equal(s.spec.schedule, '30 1 * * *');
    assert.equal(s.spec.template.ttl, '168h0m0s');
    assert.deepEqual(s.spec.template.includedNamespaces, ['dalp']);
    // The whole namespace: Secrets created outside the chart (existingSecret) come back with a restore.
    assert.equal(s.spec.template.labelSelector, undefined);
    assert.equal(s.spec.template.orLabelSelectors, undefined);
    assert.ok(s.spec.template.excludedResources.includes('events'));
    assert.ok(!s.spec.template.excludedResources.includes('secrets'));
    const alerts = one(objects, 'PrometheusRule').spec.groups.flatMap((g: { rules: { alert: string }[] }) =>
      g.rules.map((r) => r.alert),
    );
    assert.ok(alerts.includes('DalpBackupFailed') && alerts.includes('DalpBackupStale'));
  });

  it("Velero scope release: only this release's objects (dalp check reports the Secrets that leaves out)", () => {
    const s = one(
      render('dalp-local', {
        set: { 'dalp.backup.velero.enabled': 'true', 'dalp.backup.velero.scope': 'release' },
      }),
      'Schedule',
    );
    assert.equal(s.spec.template.labelSelector.matchLabels['app.kubernetes.io/instance'], 'dalp');
  });

  it('HTTP probes, a startup probe and a custom probe are values changes', () => {
    const c = dappDeployment(
      render('dalp-local', {
        set: {
          'dalp.dapp.readinessProbe.type': 'http',
          'dalp.dapp.livenessProbe.type': 'http',
          'dalp.dapp.startupProbe.enabled': 'true',
          'dalp.dapp.customLivenessProbe.grpc.port': '9000',
        },
      }),
    ).spec.template.spec.containers[0];
    assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
    assert.deepEqual(c.startupProbe.httpGet, { path: '/healthz', port: 'http' });
    assert.deepEqual(c.livenessProbe, { grpc: { port: 9000 } });
  });

  it('migration as a hook Job turns MIGRATE_ON_START off and drops the init container; onStart turns it on', () => {
    const objects = render('dalp-local', { set: { 'dalp.dapp.migration.mode': 'job' } });
    const job = one(objects, 'Job');
    assert.equal(job.metadata.annotations?.['helm.sh/hook'], 'pre-install,pre-upgrade');
    assert.deepEqual(job.spec.template.spec.containers[0].args, ['migrate']);
    const d = dappDeployment(objects);
    assert.equal(d.spec.template.spec.initContainers, undefined);
    assert.equal(envOf(d).get('MIGRATE_ON_START')?.value, 'false');
    const onStart = dappDeployment(render('dalp-local', { set: { 'dalp.dapp.migration.mode': 'onStart' } }));
    assert.equal(envOf(onStart).get('MIGRATE_ON_START')?.value, 'true');
  });

  it('the failed-key limit counts clients, not the proxy: the private ranges are trusted by default; false turns it off', () => {
    const env = envOf(dappDeployment(render('dalp-local')));
    assert.equal(env.get('AUTH_FAILURES_PER_MINUTE')?.value, '30');
    assert.equal(
      env.get('TRUST_PROXY')?.value,
      '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,100.64.0.0/10,127.0.0.0/8,fc00::/7',
    );
    const direct = dappDeployment(render('dalp-local', { set: { 'dalp.dapp.config.trustProxy': 'false' } }));
    assert.equal(envOf(direct).get('TRUST_PROXY')?.value, 'false');
  });

  it('PDB: minAvailable alone when maxUnavailable is cleared', () => {
    const pdb = one(
      render('dalp-local', {
        set: {
          'dalp.dapp.podDisruptionBudget.maxUnavailable': 'null',
          'dalp.dapp.podDisruptionBudget.minAvailable': '1',
        },
      }),
      'PodDisruptionBudget',
    );
    assert.equal(pdb.spec.minAvailable, 1);
    assert.equal('maxUnavailable' in pdb.spec, false);
  });

  it('refuses budgets that block every eviction and grace periods shorter than the shutdown', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'dalp.dapp.podDisruptionBudget.maxUnavailable': '0' }, /blocks every voluntary eviction/],
      [
        {
          'dalp.dapp.podDisruptionBudget.maxUnavailable': 'null',
          'dalp.dapp.podDisruptionBudget.minAvailable': '2',
        },
        /must be lower than the replica count/,
      ],
      [{ 'dalp.dapp.podDisruptionBudget.minAvailable': '1' }, /set only one of/],
      [
        { 'dalp.dapp.shutdown.terminationGracePeriodSeconds': '10' },
        /terminationGracePeriodSeconds \(10\) is shorter/,
      ],
      [{ 'dalp.dapp.image.tag': 'latest' }, /image\/tag/],
    ];
    for (const [set, message] of cases) {
      const result = ws.render('dalp-local', { set });
      assert.notEqual(result.status, 0, JSON.stringify(set));
      assert.match(result.stderr, message);
    }
  });

  it('support.<service>.enabled=false removes every object of that service', () => {
    for (const service of ['postgresql', 'redis', 'rustfs']) {
      const objects = render('support', { set: { [`${service}.enabled`]: 'false' } });
      assert.deepEqual(
        objects.filter(
          (o) =>
            o.metadata.labels?.['dalp.io/component'] === service || o.metadata.name.endsWith(`-${service}`),
        ),
        [],
      );
      assert.equal(find(objects, 'StatefulSet').length, 2);
    }
  });

  it('an inline password lands in the chart Secret (only then), referenced by secretKeyRef', () => {
    const objects = render('dalp', {
      values: ['dalp/ci/external-datastores-values.yaml'],
      set: {
        'global.datastores.default.postgresql.existingSecret': '',
        'global.datastores.default.postgresql.password': 's3cr3t-value',
      },
    });
    const secret = one(objects, 'Secret');
    assert.equal(Buffer.from(secret.data['postgresql-password'], 'base64').toString(), 's3cr3t-value');
    const env = envOf(dappDeployment(objects));
    assert.deepEqual(env.get('DATABASE_PASSWORD')?.valueFrom, {
      secretKeyRef: { name: secret.metadata.name, key: 'postgresql-password' },
    });
    assert.equal(
      find(render('dalp', { values: ['dalp/ci/external-datastores-values.yaml'] }), 'Secret').length,
      0,
    );
  });

  it('passwordFile: the password is a Secret volume file (no subPath) in the dapp and the migration Job, never an env value', () => {
    const objects = render('dalp', {
      values: ['dalp/ci/external-datastores-values.yaml'],
      set: {
        'global.datastores.default.postgresql.passwordFile': 'true',
        'dapp.migration.mode': 'job',
      },
    });
    const pods = [dappDeployment(objects), ...find(objects, 'Job')];
    assert.equal(pods.length, 2, 'the Deployment and the migration Job');
    let checked = 0;
    for (const pod of pods) {
      const spec = pod.spec.template.spec;
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        const env = new Map((c.env ?? []).map((e: { name: string }) => [e.name, e]));
        if (!env.has('DATABASE_HOST')) continue;
        checked += 1;
        assert.equal(env.has('DATABASE_PASSWORD'), false, `${pod.kind} ${c.name}: no DATABASE_PASSWORD`);
        assert.deepEqual(env.get('DATABASE_PASSWORD_FILE'), {
          name: 'DATABASE_PASSWORD_FILE',
          value: '/etc/dalp/secrets/postgresql/password',
        });
        const mount = c.volumeMounts.find((m: { name: string }) => m.name === 'postgresql-password');
        assert.deepEqual(mount, {
          name: 'postgresql-password',
          mountPath: '/etc/dalp/secrets/postgresql',
          readOnly: true,
        });
      }
      assert.deepEqual(spec.volumes.find((v: { name: string }) => v.name === 'postgresql-password')?.secret, {
        secretName: 'dalp-postgresql',
        items: [{ key: 'password', path: 'password' }],
      });
    }
    assert.equal(checked, 2, 'the dapp container and the migration container');
    // An inline password: the chart's own Secret is the volume.
    const inline = render('dalp', {
      values: ['dalp/ci/external-datastores-values.yaml'],
      set: {
        'global.datastores.default.postgresql.passwordFile': 'true',
        'global.datastores.default.postgresql.existingSecret': '',
        'global.datastores.default.postgresql.password': 's3cr3t-value',
      },
    });
    const secret = one(inline, 'Secret');
    assert.deepEqual(
      dappDeployment(inline).spec.template.spec.volumes.find(
        (v: { name: string }) => v.name === 'postgresql-password',
      )?.secret,
      { secretName: secret.metadata.name, items: [{ key: 'postgresql-password', path: 'password' }] },
    );
    // Off by default: the password stays an env variable from the Secret.
    const env = envOf(
      dappDeployment(render('dalp', { values: ['dalp/ci/external-datastores-values.yaml'] })),
    );
    assert.equal(env.has('DATABASE_PASSWORD_FILE'), false);
    assert.ok(env.get('DATABASE_PASSWORD')?.valueFrom);
  });

  it('NetworkPolicy: open http by default; restricted ingress and egress when asked; refuses a policy that lets nothing in', () => {
    const open = one(
      render('dalp-local', { set: { 'dalp.dapp.networkPolicy.enabled': 'true' } }),
      'NetworkPolicy',
    );
    assert.deepEqual(open.spec.policyTypes, ['Ingress']);
    assert.equal(open.spec.ingress[0].from, undefined);
    const closed = one(
      render('dalp-local', {
        set: {
          'dalp.dapp.networkPolicy.enabled': 'true',
          'dalp.dapp.networkPolicy.allowExternal': 'false',
          'dalp.dapp.networkPolicy.ingressNamespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name':
            'ingress-nginx',
          'dalp.dapp.networkPolicy.restrictEgress': 'true',
        },
      }),
      'NetworkPolicy',
    );
    assert.deepEqual(closed.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(closed.spec.ingress[0].from, [
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } },
    ]);
    const ports = closed.spec.egress.flatMap((e: { ports: { port: number }[] }) =>
      e.ports.map((p) => p.port),
    );
    assert.ok(ports.includes(53) && ports.includes(5432) && ports.includes(6379));
    const nothing = ws.render('dalp-local', {
      set: { 'dalp.dapp.networkPolicy.enabled': 'true', 'dalp.dapp.networkPolicy.allowExternal': 'false' },
    });
    assert.notEqual(nothing.status, 0);
    assert.match(nothing.stderr, /allowExternal is false but no ingressNamespaceSelector/);
  });

  it('the bootstrap admin key comes from an existing secret only', () => {
    const env = envOf(
      dappDeployment(
        render('dalp-local', { set: { 'dalp.dapp.config.bootstrapAdminKey.existingSecret': 'dalp-admin' } }),
      ),
    );
    assert.deepEqual(env.get('DALP_BOOTSTRAP_ADMIN_KEY')?.valueFrom, {
      secretKeyRef: { name: 'dalp-admin', key: 'admin-api-key' },
    });
    assert.equal(envOf(dappDeployment(render('dalp-local'))).has('DALP_BOOTSTRAP_ADMIN_KEY'), false);
  });

  it('global.datastores.dapp overrides global.datastores.default key by key', () => {
    const env = envOf(
      dappDeployment(
        render('dalp', {
          values: ['dalp/ci/external-datastores-values.yaml'],
          set: { 'global.datastores.dapp.postgresql.host': 'dapp-only.example.internal' },
        }),
      ),
    );
    assert.equal(env.get('DATABASE_HOST')?.value, 'dapp-only.example.internal');
    assert.equal(env.get('DATABASE_NAME')?.value, 'dalp');
  });
});
