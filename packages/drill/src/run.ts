// Runs drills: for each scenario a fresh ledger, the client workload, the fault and its undoing, then
// the books read back, the measures, the verdict. Drills run one after the other on the same target;
// each ends by waiting until the target is healthy again, so the next starts from a healthy platform.
import { buildEvidence, type Evidence } from './evidence/evidence.ts';
import { acknowledgedOf, verifyLedger } from './measure/ledger.ts';
import { type Measures, measure } from './measures.ts';
import type { DrillEvent, Phase } from './model.ts';
import type { Progress } from './progress.ts';
import {
  DEFAULT_SCENARIO_OPTIONS,
  type FaultContext,
  type Scenario,
  type ScenarioOptions,
  type TargetFault,
} from './scenario.ts';
import type { Target, TopologyRow } from './targets/target.ts';
import {
  BASE_THRESHOLDS,
  type Check,
  judge,
  type RestoreOutcome,
  type Thresholds,
  type Verdict,
  withScenarioChecks,
} from './verdict.ts';
import { DEFAULT_WORKLOAD, DrillWorkload, type WorkloadOptions } from './workload/drill-workload.ts';
import { seedLedger } from './workload/seed.ts';

export interface RunOptions {
  workload: WorkloadOptions;
  /** Load before the fault, so the plots show the steady state it breaks. */
  warmupMs: number;
  /** Load after the target is healthy again, so the measures see the steady state come back. */
  steadyMs: number;
  /** Bound of every wait for the target to be healthy (before a drill and after its fault). */
  healthyTimeoutMs: number;
  /** A request slower than this counts as not served. */
  slowMs: number;
  scenario: ScenarioOptions;
  /** The user's thresholds, over each scenario's defaults. */
  thresholds: Partial<Thresholds>;
}

export const DEFAULT_RUN: RunOptions = {
  workload: DEFAULT_WORKLOAD,
  warmupMs: 3_000,
  steadyMs: 3_000,
  healthyTimeoutMs: 180_000,
  slowMs: 5_000,
  scenario: DEFAULT_SCENARIO_OPTIONS,
  thresholds: {},
};

/** One drill as the evidence keeps it; times are seconds since the drill began unless named ...At. */
export interface DrillRecord {
  scenario: string;
  title: string;
  documentRow: Scenario['documentRow'];
  controls: Scenario['controls'];
  startedAt: string;
  finishedAt: string;
  /** `error`: the drill could not run to the end (the message says why); it counts as failed. */
  result: 'pass' | 'fail' | 'error';
  error?: string;
  phases: { name: Phase; from: number; to: number }[];
  faultAt: number | null;
  restoredAt: number | null;
  events: (Omit<DrillEvent, 'at'> & { at: number })[];
  topology: TopologyRow[];
  workload: Pick<WorkloadOptions, 'rate' | 'mix' | 'maxInFlight'> & {
    requestTimeoutMs: number;
    slowMs: number;
  };
  measures: Measures | null;
  /** Measures only this scenario has (a restore's duration...). */
  extra: Record<string, { value: number | string; unit?: string }>;
  thresholds: Thresholds;
  verdict: Verdict | null;
}

export function faultFor(scenario: Scenario, target: Target): TargetFault<Target> | undefined {
  return (target.kind === 'lab' ? scenario.lab : scenario.kubernetes) as TargetFault<Target> | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;

export async function runDrill(
  scenario: Scenario,
  target: Target,
  options: RunOptions,
  progress: Progress,
): Promise<DrillRecord> {
  const fault = faultFor(scenario, target);
  if (!fault) throw new Error(`${scenario.id} has no fault for the ${target.kind} target`);
  const thresholds: Thresholds = { ...BASE_THRESHOLDS, ...scenario.thresholds, ...options.thresholds };
  const events: DrillEvent[] = [];
  const extra: DrillRecord['extra'] = {};
  const scenarioChecks: Check[] = [];
  const phases: { name: Phase; from: number; to: number }[] = [];
  let phase: Phase = 'warm-up';
  const errors: string[] = [];
  let restore: RestoreOutcome | undefined;

  await target.waitUntilHealthy(options.healthyTimeoutMs);
  const ledger = await seedLedger(target.api(), { label: scenario.id });
  const begin = Date.now();
  const startedAt = new Date(begin).toISOString();
  const enter = (next: Phase) => {
    const now = Date.now();
    const open = phases.at(-1);
    if (open) open.to = (now - begin) / 1000;
    phases.push({ name: next, from: (now - begin) / 1000, to: (now - begin) / 1000 });
    phase = next;
    events.push({ at: now, kind: 'phase', detail: next });
    progress.phase(scenario.id, next);
  };
  const workload = new DrillWorkload(target.api(), ledger, options.workload);
  const watch = target.watch((e) => events.push({ ...e, at: Date.now() }));
  const ticker = setInterval(
    () => progress.counts(scenario.id, phase, (Date.now() - begin) / 1000, workload.counts()),
    1_000,
  );
  const ctx: FaultContext = {
    options: options.scenario,
    note: (kind, detail, subject) => events.push({ at: Date.now(), kind, detail, subject }),
    async writesBack(since, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (workload.samples.some((s) => s.op === 'transfer' && s.status === 201 && s.start >= since))
          return true;
        await sleep(100);
      }
      return false;
    },
    record: (name, value, unit) => {
      extra[name] = unit === undefined ? { value } : { value, unit };
    },
    verify: (check) => scenarioChecks.push(check),
    assetId: ledger.assetId,
    samples: () => workload.samples,
    restored: (outcome) => {
      restore = outcome;
    },
  };

  let faultAt: number | undefined;
  let restoredAt: number | undefined;
  let topology: TopologyRow[] = [];
  let measures: Measures | null = null;
  let verdict: Verdict | null = null;
  try {
    enter('warm-up');
    workload.start();
    await sleep(options.warmupMs);
    topology = await target.topology().catch(() => []);
    enter('fault');
    faultAt = Date.now();
    await fault.inject(target, ctx).catch((error) => errors.push(`fault: ${message(error)}`));
    enter('recovery');
    if (fault.restore) {
      restoredAt = Date.now();
      await fault.restore(target, ctx).catch((error) => errors.push(`restore: ${message(error)}`));
    }
    // A check of the scenario's own that failed says the target cannot come back by itself (a replica that
    // cannot log in after a rotation stays out until someone fixes it): the drill has failed, and waiting
    // the whole bound for health would prove nothing more.
    const failedCheck = scenarioChecks.find((c) => !c.pass);
    if (failedCheck)
      ctx.note('note', `not waiting for the target to be healthy again: ${failedCheck.name} failed`);
    else
      await target
        .waitUntilHealthy(options.healthyTimeoutMs)
        .then(() => ctx.note('recovered', 'the target is healthy again'))
        .catch((error) => errors.push(`recovery: ${message(error)}`));
    await sleep(options.steadyMs);
  } finally {
    clearInterval(ticker);
    enter('verification');
    const result = await workload.stop();
    await watch.stop();
    const end = Date.now();
    try {
      const acknowledged = acknowledgedOf(result.samples);
      const findings = await verifyLedger(target.ledgerReader(), ledger.assetId, acknowledged).catch(
        (error: Error) => {
          // A restore drill rebuilds the target's database from the backups: when the archive ended
          // before the drill's asset was created, the rebuilt books do not have it at all. That is every
          // acknowledged write lost from the target, not a failure to verify (the restored copy, judged
          // on its own above, is what the verdict is about).
          if (!restore || !/is not in the database/.test(error.message)) throw error;
          events.push({
            at: Date.now(),
            kind: 'note',
            detail: `the rebuilt database predates the drill's asset`,
          });
          const lost = [...acknowledged.entries].map(([key, { entryId, at }]) => ({ key, entryId, at }));
          return {
            lost: lost.sort((a, b) => a.at - b.at),
            duplicates: 0,
            books: { totalSupply: '0', sumOfBalances: '0', negativeBalances: 0 },
            invariantHolds: true,
          };
        },
      );
      measures = measure({
        workload: result,
        events,
        begin,
        end,
        faultAt: faultAt ?? end,
        restoredAt: restoredAt ?? end,
        findings,
        dataService: scenario.dataService,
        slowMs: options.slowMs,
      });
      verdict = withScenarioChecks(judge(measures, thresholds, restore), scenarioChecks);
    } catch (error) {
      errors.push(`verification: ${message(error)}`);
    }
    const done = phases.at(-1)!;
    done.to = (Date.now() - begin) / 1000;
  }
  const seconds = (at: number | undefined) => (at === undefined ? null : Math.round(at - begin) / 1000);
  const record: DrillRecord = {
    scenario: scenario.id,
    title: scenario.title,
    documentRow: scenario.documentRow,
    controls: scenario.controls,
    startedAt,
    finishedAt: new Date().toISOString(),
    result: errors.length > 0 ? 'error' : (verdict?.result ?? 'error'),
    phases,
    faultAt: seconds(faultAt),
    restoredAt: seconds(restoredAt),
    events: events.map((e) => ({ ...e, at: seconds(e.at)! })),
    topology,
    workload: {
      rate: options.workload.rate,
      mix: options.workload.mix,
      maxInFlight: options.workload.maxInFlight,
      requestTimeoutMs: options.workload.retry.requestTimeoutMs,
      slowMs: options.slowMs,
    },
    measures,
    extra,
    thresholds,
    verdict,
  };
  if (errors.length > 0) record.error = errors.join('; ');
  progress.done(scenario.id, summaryLine(record));
  return record;
}

/** One line per drill: the verdict and its headline figures. */
export function summaryLine(r: DrillRecord): string {
  const m = r.measures;
  if (!m) return `${r.result.toUpperCase()} (${r.error ?? 'no measures'})`;
  const failed = r.verdict?.checks
    .filter((c) => !c.pass)
    .map((c) => `${c.name} ${c.actual} (limit ${c.limit})`);
  return [
    r.result.toUpperCase(),
    `${m.requests.failed}/${m.requests.total} requests failed`,
    `RTO ${m.rtoSeconds} s`,
    `writes back ${m.writesBackSeconds} s`,
    `lost ${m.lostWrites.count}`,
    m.appShare ? `app share ${m.appShare.seconds} s` : '',
    r.extra['restore-seconds']
      ? `restore ${r.extra['restore-seconds'].value} s, missing before the restore point ${r.extra['missing-before-point']?.value} (${r.extra['missing-seconds']?.value} s), present after it ${r.extra['present-after-point']?.value}, archive lag at the fault ${r.extra['archive-lag-at-fault']?.value} s`
      : '',
    failed?.length ? `failed: ${failed.join(', ')}` : '',
    r.error ? `error: ${r.error}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** Runs the drills one after the other on one target and returns the evidence of them all. */
export async function runDrills(
  scenarios: readonly Scenario[],
  target: Target,
  options: RunOptions,
  progress: Progress,
  toolVersion: string,
): Promise<Evidence> {
  const startedAt = new Date().toISOString();
  const records: DrillRecord[] = [];
  for (const s of scenarios) records.push(await runDrill(s, target, options, progress));
  return buildEvidence(target, records, startedAt, toolVersion);
}
