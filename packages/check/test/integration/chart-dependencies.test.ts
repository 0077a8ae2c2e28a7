import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as tar from 'tar';
import { InputError } from '../../src/errors.ts';
import { renderChart } from '../../src/loaders/chart.ts';
import { unrenderedDependencies } from '../../src/loaders/chart-dependencies.ts';
import { FIXTURES } from '../support/check.ts';
import { CORPUS } from '../support/corpus.ts';

// Render completeness: which enabled dependencies, at any depth, helm would leave out of a render, and
// what `dalp check` does about them. The umbrella fixture nests a chart (edge) whose own dependencies
// are remote and not vendored; the Asset Tokenization Kit has ten of those.

const UMBRELLA = join(FIXTURES, 'charts', 'umbrella');
const work = mkdtempSync(join(tmpdir(), 'dalp-chart-deps-'));
after(() => rmSync(work, { recursive: true, force: true }));

const missing = (dir: string, values: string[] = [], set: string[] = []) =>
  unrenderedDependencies(dir, values, set).map((m) => m.chart);

describe('enabled dependencies, as helm decides them', () => {
  test('a condition in the subchart’s values enables a missing chart two levels down', () => {
    assert.deepEqual(missing(UMBRELLA), ['umbrella/edge/proxy']);
  });

  test('user values win over chart defaults: --set and values files disable it', () => {
    assert.deepEqual(missing(UMBRELLA, [], ['edge.proxy.enabled=false']), []);
    // helm's list syntax beside it is left to helm, not misread as two pairs.
    assert.deepEqual(missing(UMBRELLA, [], ['edge.hosts={a,b},edge.proxy.enabled=false']), []);
    const values = join(work, 'off.yaml');
    writeFileSync(values, 'edge:\n  proxy:\n    enabled: false\n');
    assert.deepEqual(missing(UMBRELLA, [values]), []);
  });

  test('tags enable a dependency only when one of its tags is true; a disabled parent hides its own', () => {
    assert.deepEqual(missing(UMBRELLA, [], ['tags.monitoring=true']), [
      'umbrella/edge/proxy',
      'umbrella/edge/edge-metrics',
    ]);
    assert.deepEqual(missing(UMBRELLA, [], ['edge.enabled=false']), []);
  });

  test('an apiVersion v1 chart declares its dependencies in requirements.yaml', () => {
    const copy = join(work, 'v1');
    cpSync(UMBRELLA, copy, { recursive: true });
    const edge = join(copy, 'charts', 'edge');
    const chart = readFileSync(join(edge, 'Chart.yaml'), 'utf8');
    const at = chart.indexOf('dependencies:');
    writeFileSync(join(edge, 'Chart.yaml'), chart.slice(0, at).replace('apiVersion: v2', 'apiVersion: v1'));
    writeFileSync(join(edge, 'requirements.yaml'), chart.slice(at));
    assert.deepEqual(missing(copy), ['umbrella/edge/proxy']);
  });

  test('a subchart vendored as an archive is read inside the archive', () => {
    const copy = join(work, 'packed');
    cpSync(UMBRELLA, copy, { recursive: true });
    rmSync(join(copy, 'charts', 'edge'), { recursive: true });
    tar.c(
      { gzip: true, file: join(copy, 'charts', 'edge-0.1.0.tgz'), cwd: join(UMBRELLA, 'charts'), sync: true },
      ['edge'],
    );
    assert.deepEqual(missing(copy), ['umbrella/edge/proxy']);
    assert.deepEqual(missing(copy, [], ['edge.proxy.enabled=false']), []);
  });
});

describe('a render that would miss enabled charts', () => {
  test('is an input error that names each missing chart and how to vendor it', () => {
    assert.throws(
      () => renderChart({ dir: join(CORPUS, 'atk', 'chart'), values: [], set: [] }),
      (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.match(error.message, /10 enabled dependencies are not vendored/);
        for (const chart of [
          'atk/support/ingress-nginx',
          'atk/support/reloader',
          'atk/observability/grafana',
        ]) {
          assert.ok(error.message.includes(chart), `${chart} not named`);
        }
        assert.match(error.message, /helm dependency update \S*atk\/chart\/charts\/support/);
        assert.match(error.message, /helm dependency update \S*atk\/chart\/charts\/observability/);
        assert.match(error.message, /--allow-missing-dependencies/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });

  test('with --allow-missing-dependencies renders the rest and hands the gaps to the report', () => {
    const loaded = renderChart({
      dir: join(CORPUS, 'atk', 'chart'),
      values: [],
      set: [],
      allowMissingDependencies: true,
    });
    assert.ok(loaded.objects.length > 50);
    assert.equal(loaded.render?.chart, 'atk');
    assert.equal(loaded.render?.unrendered.length, 10);
    const nginx = loaded.render?.unrendered.find((m) => m.name === 'ingress-nginx');
    assert.deepEqual(
      { version: nginx?.version, repository: nginx?.repository, condition: nginx?.condition },
      {
        version: '4.13.3',
        repository: 'https://kubernetes.github.io/ingress-nginx',
        condition: 'ingress-nginx.enabled',
      },
    );
  });
});

describe('helm’s reason, whole', () => {
  test('a subchart that needs its parent’s helpers: the cause, and which chart to check instead', () => {
    assert.throws(
      () => renderChart({ dir: join(CORPUS, 'atk', 'chart', 'charts', 'dapp'), values: [], set: [] }),
      (error: unknown) => {
        assert.ok(error instanceof InputError);
        assert.match(error.message, /dapp\/templates\/service\.yaml:4:11/);
        assert.match(error.message, /no template "atk\.common\.fullname"/);
        assert.match(error.message, /check \S*corpus\/atk\/chart instead\)$/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
  });
});
