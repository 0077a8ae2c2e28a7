import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Config, loadConfig } from '../../../apps/dapp/src/config.ts';
import { type EnvVar, resolveEnv } from '../../../packages/image/src/kubernetes.ts';
import { ChartWorkspace, type K8sObject } from '../support/charts.ts';
import { renderableCases } from '../support/matrix.ts';

/**
 * The chart/service contract, checked from both ends: the environment each rendered container would get
 * (secret references resolved to stand-in values, $(VAR) expanded as the kubelet does) goes through the
 * dapp's own configuration loader in production mode, as the image runs it. It must load, and it must
 * never fall back to the embedded laptop defaults (embedded PostgreSQL, in-process cache, filesystem
 * store), which would split state per pod.
 */
function standIn({ key }: { key: string }): string {
  if (/port/i.test(key)) return '6380';
  return `stand-in-${key}-${'x'.repeat(24)}`;
}

function containersOf(objects: K8sObject[]): { where: string; env: EnvVar[] }[] {
  const out: { where: string; env: EnvVar[] }[] = [];
  for (const o of objects) {
    if (o.kind !== 'Deployment' && o.kind !== 'Job') continue;
    const spec = o.spec.template.spec;
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      out.push({ where: `${o.kind}/${o.metadata.name} ${c.name}`, env: c.env ?? [] });
    }
  }
  return out;
}

let ws: ChartWorkspace;
before(() => {
  ws = new ChartWorkspace();
});
after(() => ws.dispose());

describe('rendered environments load in the dapp configuration', () => {
  for (const c of renderableCases.filter((x) => x.chart !== 'support')) {
    it(c.name, () => {
      const result = ws.render(c.chart, { values: c.values, set: c.set });
      assert.equal(result.status, 0, result.stderr);
      const containers = containersOf(result.objects);
      assert.ok(containers.length > 0);
      for (const { where, env } of containers) {
        let config: Config;
        try {
          // The image sets NODE_ENV=production, which refuses every laptop default outright.
          config = loadConfig({ NODE_ENV: 'production', ...resolveEnv(env, standIn) });
        } catch (error) {
          assert.fail(`${where}: ${(error as Error).message}`);
        }
        assert.ok(config.database.external?.host, `${where}: would start an embedded PostgreSQL`);
        assert.ok(
          config.cache.url !== 'memory://' || (config.cache.sentinels?.length ?? 0) > 0,
          `${where}: would use the in-process cache`,
        );
        assert.notEqual(
          config.objectStore.driver,
          'filesystem',
          `${where}: would store documents on the pod`,
        );
        assert.equal(config.port, 3000);
        assert.ok(config.shutdown.drainDelayMs > 0 && config.shutdown.timeoutMs > 0);
      }
    });
  }
});
