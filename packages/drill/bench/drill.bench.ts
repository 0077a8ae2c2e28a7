// `npm run bench -- drills`: every drill scenario run several times on one lab, the medians of what the
// clients saw (write outage, writes back, RTO, lost acknowledged writes), next to the anchors they are
// judged against: the source document's cloud-native RTO and RPO, managed databases' published
// failover times, and a same-run baseline: database-failover on a second lab whose Patroni runs with its
// shipped defaults (ttl 30, loop_wait 10, retry_timeout 10) instead of the lab's faster settings.
// The restore drills add their own columns (restore time, archive lag at the fault, acknowledged writes
// the restore missed) and run once more on a lab holding ten times the data (a filler table written
// before a new full backup), for the scaling of restore time with data size.
// Environment: DALP_BENCH_DRILL_RUNS (default 3), DALP_BENCH_DRILLS (comma-separated ids; default all),
// DALP_BENCH_DATA_SIZES (the restore drills' data sizes: '1x,10x' by default, '10x' for the large only),
// DALP_BENCH_OBJECT_STORE (the labs' store: s3rver by default; ceph-rgw adds the documents' restore).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downLab, Lab, type LabTimings, type ObjectStoreKind, waitFor } from '@dalp/lab';
import pg from 'pg';
import { median } from '../src/measure/stats.ts';
import type { Progress } from '../src/progress.ts';
import { SCENARIOS } from '../src/registry.ts';
import { DEFAULT_RUN, type DrillRecord, runDrill } from '../src/run.ts';
import type { Scenario } from '../src/scenario.ts';
import { LabTarget } from '../src/targets/lab.ts';

const RUNS = Number(process.env.DALP_BENCH_DRILL_RUNS ?? 3);
const CHOSEN = process.env.DALP_BENCH_DRILLS?.split(',').filter(Boolean);
const SIZES = (process.env.DALP_BENCH_DATA_SIZES ?? '1x,10x').split(',');
const OBJECT_STORE = (process.env.DALP_BENCH_OBJECT_STORE ?? 's3rver') as ObjectStoreKind;
const PATRONI_DEFAULTS: Partial<LabTimings> = {
  patroniTtl: 30,
  patroniLoopWait: 10,
  patroniRetryTimeout: 10,
};

/** Only the line that ends each drill (the bench runs dozens). */
const progress = (label: string): Progress => ({
  phase() {},
  counts() {},
  done(scenario, line) {
    process.stderr.write(`${label} ${scenario}: ${line}\n`);
  },
});

const num = (value: unknown) => (typeof value === 'number' ? value : Number.NaN);

/**
 * Ten times the lab's data: a filler table about nine times the size of a fresh lab's database,
 * written through the database endpoint as the superuser, then a full backup that holds it.
 */
async function tenfoldData(lab: Lab): Promise<void> {
  const primary = (await lab.roles()).postgresPrimaries[0]!;
  const c = lab.component(primary);
  const client = new pg.Client({
    connectionString: `postgres://postgres:${encodeURIComponent(lab.state.secrets.postgresPassword)}@${c.host}:${c.port}/dalp`,
  });
  await client.connect();
  try {
    const bytes = (await client.query('SELECT pg_database_size(current_database()) + 22000000 AS b')).rows[0]
      .b;
    const rows = Math.round((9 * Number(bytes)) / 1100);
    // 31 different MD5s per row: one MD5 repeated would be compressed away by TOAST.
    const pad = Array.from({ length: 31 }, (_, k) => `md5((g * 31 + ${k})::text)`).join(' || ');
    await client.query(
      `CREATE TABLE bench_filler AS SELECT g AS id, ${pad} AS pad FROM generate_series(1, ${rows}) g`,
    );
    // The synchronous standby must replay the filler before the drills' writes can commit within
    // their timeouts (seeding failed on the first try without this wait).
    await waitFor(
      async () =>
        (
          await client.query(
            'SELECT count(*)::int AS behind FROM pg_stat_replication WHERE replay_lsn < pg_current_wal_lsn()',
          )
        ).rows[0].behind === 0,
      600_000,
      'the standbys to replay the filler table',
      { intervalMs: 1_000 },
    );
  } finally {
    await client.end();
  }
  await lab.backup('full');
  await lab.waitForHealthy(300_000);
}

const med = (values: (number | null | undefined)[]) => {
  const known = values.filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
  return known.length === 0 ? '-' : median(known);
};

async function runOnLab(
  scenarios: readonly Scenario[],
  runs: number,
  label: string,
  timings?: Partial<LabTimings>,
  prepare?: (lab: Lab) => Promise<void>,
): Promise<Map<string, DrillRecord[]>> {
  const work = mkdtempSync(join(tmpdir(), 'dalp-drill-bench-'));
  const dir = join(work, 'lab');
  const records = new Map<string, DrillRecord[]>(scenarios.map((s) => [s.id, []]));
  try {
    const lab = await Lab.start({ dir, objectStore: OBJECT_STORE, ...(timings ? { timings } : {}) });
    await prepare?.(lab);
    const target = new LabTarget(lab);
    try {
      for (let run = 1; run <= runs; run++)
        for (const s of scenarios)
          records
            .get(s.id)!
            .push(await runDrill(s, target, DEFAULT_RUN, progress(`${label} run ${run}/${runs}`)));
    } finally {
      await target.close();
    }
  } finally {
    await downLab(dir).catch(() => false);
    rmSync(work, { recursive: true, force: true });
  }
  return records;
}

function row(name: string, records: DrillRecord[], baseline?: number) {
  const writesBack = med(records.map((r) => r.measures?.writesBackSeconds));
  return {
    scenario: name,
    runs: records.length,
    passed: records.filter((r) => r.result === 'pass').length,
    'failed requests (median)': med(records.map((r) => r.measures?.requests.failed)),
    'write outage s': med(records.map((r) => r.measures?.outage.transfer?.seconds ?? 0)),
    'writes back s': writesBack,
    'RTO s': med(records.map((r) => r.measures?.rtoSeconds)),
    'lost writes': med(records.map((r) => r.measures?.lostWrites.count)),
    'app share s': med(records.map((r) => r.measures?.appShare?.seconds)),
    ...(records.some((r) => r.extra['restore-seconds'])
      ? {
          'restore s': med(records.map((r) => num(r.extra['restore-seconds']?.value))),
          'documents restore s': med(records.map((r) => num(r.extra['objects-restore-seconds']?.value))),
          'archive lag at fault s': med(records.map((r) => num(r.extra['archive-lag-at-fault']?.value))),
          'acknowledged writes missed': med(records.map((r) => num(r.extra['missing-before-point']?.value))),
          'missed span s': med(records.map((r) => num(r.extra['missing-seconds']?.value))),
          'base backup MB': med(
            records
              .map((r) => num(r.extra['base-backup-bytes']?.value) / 1024 / 1024)
              .map((v) => Math.round(v)),
          ),
        }
      : {}),
    'vs Patroni defaults':
      baseline && typeof writesBack === 'number' ? `${(writesBack / baseline).toFixed(2)}x` : '',
  };
}

export async function runDrillBench(): Promise<Array<Record<string, string | number>>> {
  const scenarios = CHOSEN ? SCENARIOS.filter((s) => CHOSEN.includes(s.id)) : SCENARIOS;
  const baselineScenario = SCENARIOS.find((s) => s.id === 'database-failover')!;
  const restoresOnly = (s: Scenario) => s.id.startsWith('restore-');
  const onFirstLab = SIZES.includes('1x') ? scenarios : scenarios.filter((s) => !restoresOnly(s));
  const lab =
    onFirstLab.length > 0 ? await runOnLab(onFirstLab, RUNS, 'lab') : new Map<string, DrillRecord[]>();
  // The baseline is database-failover's: skipped when the bench runs other scenarios only.
  const withBaseline = scenarios.some((s) => s.dataService === 'postgres');
  const defaults = withBaseline
    ? await runOnLab([baselineScenario], RUNS, 'patroni-defaults', PATRONI_DEFAULTS)
    : new Map<string, DrillRecord[]>();
  const baselineRecords = defaults.get(baselineScenario.id) ?? [];
  const restores = scenarios.filter(restoresOnly);
  const tenfold =
    restores.length > 0 && SIZES.includes('10x')
      ? await runOnLab(restores, RUNS, 'lab-10x', undefined, tenfoldData)
      : new Map<string, DrillRecord[]>();
  const baseline = med(baselineRecords.map((r) => r.measures?.writesBackSeconds));
  const anchor = (scenario: string, figure: string) => ({ scenario, runs: '-', 'writes back s': figure });
  return [
    ...onFirstLab.map((s) =>
      row(
        s.id,
        lab.get(s.id)!,
        s.dataService === 'postgres' && typeof baseline === 'number' ? baseline : undefined,
      ),
    ),
    ...(withBaseline ? [row('database-failover, Patroni defaults (same run)', baselineRecords)] : []),
    ...restores.filter((s) => tenfold.has(s.id)).map((s) => row(`${s.id}, 10x data`, tenfold.get(s.id)!)),
    anchor('anchor: source document, cloud-native RTO / RPO', '120-900 (RTO); RPO seconds to 60'),
    anchor('anchor: RDS Multi-AZ failover', '60-120'),
    anchor('anchor: Aurora failover', 'under 30'),
    anchor('anchor: Cloud SQL HA failover', 'about 60'),
  ];
}
