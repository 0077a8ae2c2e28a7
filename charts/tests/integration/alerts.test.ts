import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { ChartWorkspace, one } from '../support/charts.ts';

/**
 * The PrometheusRule of the dalp chart, extracted and run through promtool: `check rules` for syntax and
 * `test rules` with one scenario per alert where it fires and at least one where it stays silent.
 * Release `dalp` in namespace `dalp` renders the Deployment, Service and Velero Schedule as `dalp`.
 */
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

interface Rule {
  alert: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

interface Scenario {
  alert: string;
  description: string;
  interval?: string;
  series: { series: string; values: string }[];
  evalTime: string;
  /** Labels the alert carries besides its rule labels; undefined = the alert must stay silent. */
  fires?: Record<string, string>;
}

const app = 'namespace="dalp",service="dalp"';
const dappPod = 'dalp-7d9c5b8f6-x2k4q';
const otherPod = 'dalp-7d9c5b8f6-z9n7w';

const scenarios: Scenario[] = [
  {
    alert: 'DalpApiAvailabilityLow',
    description: '5% of responses are 5xx',
    series: [
      {
        series: `http_request_duration_seconds_count{${app},route="/api/v1/assets",status_code="200"}`,
        values: '0+95x20',
      },
      {
        series: `http_request_duration_seconds_count{${app},route="/api/v1/assets",status_code="503"}`,
        values: '0+5x20',
      },
    ],
    evalTime: '15m',
    fires: {},
  },
  {
    alert: 'DalpApiAvailabilityLow',
    description: '0.5% errors stay within the 99% objective; another service erroring is not ours',
    series: [
      {
        series: `http_request_duration_seconds_count{${app},route="/api/v1/assets",status_code="200"}`,
        values: '0+199x20',
      },
      {
        series: `http_request_duration_seconds_count{${app},route="/api/v1/assets",status_code="500"}`,
        values: '0+1x20',
      },
      {
        series: 'http_request_duration_seconds_count{namespace="dalp",service="other",status_code="500"}',
        values: '0+50x20',
      },
    ],
    evalTime: '15m',
  },
  {
    alert: 'DalpPodRestarting',
    description: 'four restarts in 15 minutes',
    series: [
      {
        series: `kube_pod_container_status_restarts_total{namespace="dalp",pod="${dappPod}",container="dapp"}`,
        values: '0 0 1 1 2 2 3 3 4 4 4 4',
      },
    ],
    evalTime: '11m',
    fires: { namespace: 'dalp', pod: dappPod, container: 'dapp' },
  },
  {
    alert: 'DalpPodRestarting',
    description: 'one restart, and a restarting PostgreSQL pod of the same release',
    series: [
      {
        series: `kube_pod_container_status_restarts_total{namespace="dalp",pod="${dappPod}",container="dapp"}`,
        values: '0 0 0 1 1 1 1 1 1 1 1 1',
      },
      {
        series:
          'kube_pod_container_status_restarts_total{namespace="dalp",pod="dalp-postgresql-0",container="dapp"}',
        values: '0+1x11',
      },
    ],
    evalTime: '11m',
  },
  {
    alert: 'DalpReadinessFailing',
    description: 'a pod unready for 10 minutes',
    series: [
      {
        series: `kube_pod_status_ready{namespace="dalp",pod="${dappPod}",condition="false"}`,
        values: '1x10',
      },
      {
        series: `kube_pod_status_ready{namespace="dalp",pod="${otherPod}",condition="false"}`,
        values: '0x10',
      },
    ],
    evalTime: '8m',
    fires: { pod: dappPod },
  },
  {
    alert: 'DalpReadinessFailing',
    description: 'a 3-minute blip, and an unready migration Job pod',
    series: [
      {
        series: `kube_pod_status_ready{namespace="dalp",pod="${dappPod}",condition="false"}`,
        values: '1 1 1 0 0 0 0 0 0 0',
      },
      {
        series: 'kube_pod_status_ready{namespace="dalp",pod="dalp-migrate-k2x9p",condition="false"}',
        values: '1x10',
      },
    ],
    evalTime: '9m',
  },
  {
    alert: 'DalpReplicasUnavailable',
    description: 'one replica unavailable for 15 minutes',
    series: [
      {
        series: 'kube_deployment_status_replicas_unavailable{namespace="dalp",deployment="dalp"}',
        values: '1x15',
      },
    ],
    evalTime: '12m',
    fires: { namespace: 'dalp', deployment: 'dalp' },
  },
  {
    alert: 'DalpReplicasUnavailable',
    description: 'a rollout that recovers within 5 minutes',
    series: [
      {
        series: 'kube_deployment_status_replicas_unavailable{namespace="dalp",deployment="dalp"}',
        values: '1 1 1 1 1 0 0 0 0 0 0 0 0 0 0',
      },
    ],
    evalTime: '12m',
  },
  {
    alert: 'DalpDatabaseDown',
    description: 'no replica reaches PostgreSQL',
    series: [
      {
        series: `dalp_dependency_up{${app},pod="${dappPod}",dependency="database"}`,
        values: '1 1 0 0 0 0 0 0',
      },
      {
        series: `dalp_dependency_up{${app},pod="${otherPod}",dependency="database"}`,
        values: '1 1 0 0 0 0 0 0',
      },
    ],
    evalTime: '6m',
    fires: {},
  },
  {
    alert: 'DalpDatabaseDown',
    description: 'one replica still connected',
    series: [
      { series: `dalp_dependency_up{${app},pod="${dappPod}",dependency="database"}`, values: '0x8' },
      { series: `dalp_dependency_up{${app},pod="${otherPod}",dependency="database"}`, values: '1x8' },
    ],
    evalTime: '6m',
  },
  {
    alert: 'DalpDatabaseFailover',
    description: 'connection errors during a failover',
    series: [
      { series: `dalp_db_connection_errors_total{${app},pod="${dappPod}"}`, values: '0 0 0 4 7 7 7 7' },
    ],
    evalTime: '6m',
    fires: {},
  },
  {
    alert: 'DalpDatabaseFailover',
    description: 'no connection errors',
    series: [{ series: `dalp_db_connection_errors_total{${app},pod="${dappPod}"}`, values: '3x8' }],
    evalTime: '6m',
  },
  {
    alert: 'DalpCacheUnavailable',
    description: 'the cache unreachable for 8 minutes',
    series: [{ series: `dalp_dependency_up{${app},pod="${dappPod}",dependency="cache"}`, values: '0x10' }],
    evalTime: '8m',
    fires: {},
  },
  {
    alert: 'DalpCacheUnavailable',
    description: 'the cache up (while the database series says nothing about it)',
    series: [
      { series: `dalp_dependency_up{${app},pod="${dappPod}",dependency="cache"}`, values: '1x10' },
      { series: `dalp_dependency_up{${app},pod="${dappPod}",dependency="database"}`, values: '0x10' },
    ],
    evalTime: '8m',
  },
  {
    alert: 'DalpObjectStorageErrors',
    description: 'failing uploads',
    series: [
      { series: `dalp_object_store_errors_total{${app},pod="${dappPod}",operation="put"}`, values: '0+2x15' },
      { series: `dalp_dependency_up{${app},pod="${dappPod}",dependency="object_store"}`, values: '1x15' },
    ],
    evalTime: '10m',
    fires: {},
  },
  {
    alert: 'DalpObjectStorageErrors',
    description: 'object storage unreachable without errors counted yet',
    series: [
      { series: `dalp_dependency_up{${app},pod="${dappPod}",dependency="object_store"}`, values: '0x15' },
    ],
    evalTime: '10m',
    fires: {},
  },
  {
    alert: 'DalpObjectStorageErrors',
    description: 'healthy object storage',
    series: [
      { series: `dalp_object_store_errors_total{${app},pod="${dappPod}",operation="put"}`, values: '1x15' },
      { series: `dalp_dependency_up{${app},pod="${dappPod}",dependency="object_store"}`, values: '1x15' },
    ],
    evalTime: '10m',
  },
  {
    alert: 'DalpBackupFailed',
    description: 'the last backup failed',
    series: [{ series: 'velero_backup_last_status{schedule="dalp"}', values: '0x30' }],
    evalTime: '20m',
    fires: { schedule: 'dalp' },
  },
  {
    alert: 'DalpBackupFailed',
    description: 'the last backup succeeded; another schedule failing is not ours',
    series: [
      { series: 'velero_backup_last_status{schedule="dalp"}', values: '1x30' },
      { series: 'velero_backup_last_status{schedule="other"}', values: '0x30' },
    ],
    evalTime: '20m',
  },
  {
    alert: 'DalpBackupStale',
    description: 'no successful backup for 27 hours',
    interval: '1h',
    series: [{ series: 'velero_backup_last_successful_timestamp{schedule="dalp"}', values: '0x30' }],
    evalTime: '27h',
    fires: { schedule: 'dalp' },
  },
  {
    alert: 'DalpBackupStale',
    description: 'hourly successful backups, and 25 hours without one (under the 26 h bound)',
    interval: '1h',
    series: [{ series: 'velero_backup_last_successful_timestamp{schedule="dalp"}', values: '0+3600x30' }],
    evalTime: '27h',
  },
  {
    alert: 'DalpBackupStale',
    description: '25 hours without a backup is still within the bound',
    interval: '1h',
    series: [{ series: 'velero_backup_last_successful_timestamp{schedule="dalp"}', values: '0x30' }],
    evalTime: '25h',
  },
];

let ws: ChartWorkspace;
let dir: string;
let rules: Rule[];

before(() => {
  assert.ok(
    existsSync(PROMTOOL),
    `${PROMTOOL} missing: run scripts/ensure-system-deps.sh (Debian package prometheus)`,
  );
  ws = new ChartWorkspace();
  dir = mkdtempSync(join(tmpdir(), 'dalp-alerts-'));
  const rendered = ws.render('dalp-local', {
    set: { 'dalp.metrics.prometheusRule.enabled': 'true', 'dalp.backup.velero.enabled': 'true' },
  });
  assert.equal(rendered.status, 0, rendered.stderr);
  const spec = one(rendered.objects, 'PrometheusRule').spec as { groups: { rules: Rule[] }[] };
  rules = spec.groups.flatMap((g) => g.rules);
  writeFileSync(join(dir, 'rules.yaml'), stringify(spec));
});

after(() => {
  ws.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function promtool(...args: string[]) {
  const result = spawnSync(PROMTOOL, args, { cwd: dir, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function expandAnnotations(annotations: Record<string, string>, labels: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(annotations).map(([k, v]) => [
      k,
      v.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, name: string) => labels[name] ?? ''),
    ]),
  );
}

describe('alert rules', () => {
  it('the documented alerts exist, each with a runbook under docs/runbooks and an observability item', () => {
    const names = rules.map((r) => r.alert).sort();
    assert.deepEqual(names, [
      'DalpApiAvailabilityLow',
      'DalpBackupFailed',
      'DalpBackupStale',
      'DalpCacheUnavailable',
      'DalpDatabaseDown',
      'DalpDatabaseFailover',
      'DalpObjectStorageErrors',
      'DalpPodRestarting',
      'DalpReadinessFailing',
      'DalpReplicasUnavailable',
    ]);
    const items = new Set(rules.map((r) => r.labels.dalp_observability_item));
    assert.deepEqual([...items].sort(), [
      'api-availability',
      'backup-status',
      'cache-availability',
      'database-failover',
      'object-storage-access',
      'pod-restarts',
      'readiness-failures',
    ]);
    const repoRoot = new URL('../../..', import.meta.url).pathname;
    for (const rule of rules) {
      assert.match(rule.annotations.runbook_url ?? '', new RegExp(`/docs/runbooks/${rule.alert}\\.md$`));
      assert.ok(
        existsSync(join(repoRoot, 'docs', 'runbooks', `${rule.alert}.md`)),
        `docs/runbooks/${rule.alert}.md missing`,
      );
    }
  });

  it('promtool check rules accepts them', () => {
    const result = promtool('check', 'rules', 'rules.yaml');
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /SUCCESS: 10 rules found/);
  });

  it('every alert has a firing and a silent scenario', () => {
    for (const rule of rules) {
      assert.ok(
        scenarios.some((s) => s.alert === rule.alert && s.fires),
        `${rule.alert}: no firing scenario`,
      );
      assert.ok(
        scenarios.some((s) => s.alert === rule.alert && !s.fires),
        `${rule.alert}: no silent scenario`,
      );
    }
  });

  it('promtool test rules: each alert fires on its condition and stays silent otherwise', () => {
    const byName = new Map(rules.map((r) => [r.alert, r]));
    const tests = scenarios.map((s) => {
      const rule = byName.get(s.alert)!;
      const labels = { ...rule.labels, ...(s.fires ?? {}) };
      return {
        name: `${s.alert}: ${s.description}`,
        interval: s.interval ?? '1m',
        input_series: s.series,
        alert_rule_test: [
          {
            eval_time: s.evalTime,
            alertname: s.alert,
            exp_alerts: s.fires
              ? [{ exp_labels: labels, exp_annotations: expandAnnotations(rule.annotations, labels) }]
              : [],
          },
        ],
      };
    });
    writeFileSync(
      join(dir, 'tests.yaml'),
      stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }),
    );
    const result = promtool('test', 'rules', 'tests.yaml');
    assert.equal(result.status, 0, result.output);
    assert.match(result.output, /SUCCESS/);
  });
});
