// Everything a drill measures, computed in one place from the client's records, the events the drill
// saw and the ledger read back. The same function serves every scenario and target.
import { type AppShare, appShare } from './measure/app-share.ts';
import type { LedgerFindings } from './measure/ledger.ts';
import { outageWindow, recoveryMs, type Window, writeGap } from './measure/outage.ts';
import { quantile } from './measure/stats.ts';
import { type Second, timeline } from './measure/timeline.ts';
import { type DrillEvent, OPERATION_KINDS, type OperationKind, succeeded } from './model.ts';
import type { WorkloadResult } from './workload/drill-workload.ts';

/** A window on the drill's clock: seconds since the drill began. */
export interface Span {
  from: number;
  to: number;
  seconds: number;
}

export interface Measures {
  requests: {
    total: number;
    failed: number;
    byOp: Record<
      OperationKind,
      { total: number; ok: number; failed: number; statuses: Record<string, number> }
    >;
  };
  operations: {
    total: number;
    failed: number;
    byOp: Record<OperationKind, { total: number; ok: number; failed: number }>;
    /** Starts skipped because the client already had its maximum of operations in flight. */
    skipped: number;
    /** Operations still running when the workload's drain period ended. */
    unfinished: number;
  };
  /** First to last degraded (failed or slow) request of each kind, writes including lost ones. */
  outage: Record<OperationKind, Span | null>;
  /** The longest time without an acknowledged write. */
  writeGapSeconds: number;
  /** From the fault until writes, and until every request, were served again (before the fault was undone). */
  writesBackSeconds: number;
  rtoSeconds: number;
  /** After the fault was undone (heal, power-on): requests that failed then. */
  failedAfterRestore: number;
  lostWrites: {
    count: number;
    /** From the first lost write's acknowledgement to the fault, or to the last lost one if later. */
    seconds: number;
    /** The first ones (at most 20): idempotency key, entry id, seconds since the drill began. */
    examples: { key: string; entryId: string; at: number }[];
  };
  duplicates: number;
  invariant: { holds: boolean; totalSupply: string; sumOfBalances: string; negativeBalances: number };
  appShare:
    | (Omit<AppShare, 'ms' | 'primaryAt' | 'firstAckAt'> & {
        seconds: number;
        primaryAt: number;
        firstAckAt: number;
      })
    | null;
  latency: { p50Ms: number | null; p99Ms: number | null };
  timeline: Second[];
}

export interface MeasureInput {
  workload: WorkloadResult;
  events: readonly DrillEvent[];
  begin: number;
  end: number;
  faultAt: number;
  /** When the fault was undone; the end of the drill when it is never undone (a kill, a rollout). */
  restoredAt: number;
  findings: LedgerFindings;
  dataService?: AppShare['service'];
  /** A request slower than this counts as not served (default 5 s). */
  slowMs?: number;
}

const round = (ms: number) => Math.round(ms / 10) / 100;

export function measure(input: MeasureInput): Measures {
  const { workload, begin, faultAt, findings } = input;
  const slowMs = input.slowMs ?? 5_000;
  const samples = workload.samples;
  const span = (w: Window | null): Span | null =>
    w && { from: round(w.start - begin), to: round(w.end - begin), seconds: round(w.end - w.start) };
  const beforeRestore = samples.filter((s) => s.start < input.restoredAt);

  const requestsByOp = Object.fromEntries(
    OPERATION_KINDS.map((op) => {
      const mine = samples.filter((s) => s.op === op);
      const statuses: Record<string, number> = {};
      for (const s of mine) statuses[String(s.status)] = (statuses[String(s.status)] ?? 0) + 1;
      const ok = mine.filter(succeeded).length;
      return [op, { total: mine.length, ok, failed: mine.length - ok, statuses }];
    }),
  ) as Measures['requests']['byOp'];
  const operationsByOp = Object.fromEntries(
    OPERATION_KINDS.map((op) => {
      const mine = workload.outcomes.filter((o) => o.op === op);
      const ok = mine.filter((o) => o.ok).length;
      return [op, { total: mine.length, ok, failed: mine.length - ok }];
    }),
  ) as Measures['operations']['byOp'];

  const lostAt = findings.lost.map((l) => l.at);
  const firstLost = Math.min(...lostAt);
  const lastLost = Math.max(...lostAt);
  const lostSeconds =
    lostAt.length === 0
      ? 0
      : round((firstLost <= faultAt ? Math.max(lastLost, faultAt) : lastLost) - firstLost);
  const share = input.dataService ? appShare(samples, input.events, faultAt, input.dataService) : null;
  const latencies = samples.map((s) => s.end - s.start);

  return {
    requests: {
      total: samples.length,
      failed: samples.filter((s) => !succeeded(s)).length,
      byOp: requestsByOp,
    },
    operations: {
      total: workload.outcomes.length,
      failed: workload.outcomes.filter((o) => !o.ok).length,
      byOp: operationsByOp,
      skipped: workload.skipped,
      unfinished: workload.unfinished,
    },
    outage: {
      transfer: span(outageWindow(samples, 'transfer', slowMs, lostAt)),
      read: span(outageWindow(samples, 'read', slowMs)),
      upload: span(outageWindow(samples, 'upload', slowMs)),
    },
    writeGapSeconds: round(writeGap(samples)),
    writesBackSeconds: round(recoveryMs(beforeRestore, faultAt, slowMs, 'transfer')),
    rtoSeconds: round(recoveryMs(beforeRestore, faultAt, slowMs)),
    failedAfterRestore: samples.filter((s) => s.start >= input.restoredAt && !succeeded(s)).length,
    lostWrites: {
      count: findings.lost.length,
      seconds: lostSeconds,
      examples: findings.lost
        .slice(0, 20)
        .map((l) => ({ key: l.key, entryId: l.entryId, at: round(l.at - begin) })),
    },
    duplicates: findings.duplicates,
    invariant: { holds: findings.invariantHolds, ...findings.books },
    appShare: share && {
      service: share.service,
      newPrimary: share.newPrimary,
      primaryAt: round(share.primaryAt - begin),
      firstAckAt: round(share.firstAckAt - begin),
      seconds: round(share.ms),
    },
    latency: { p50Ms: quantile(latencies, 0.5) ?? null, p99Ms: quantile(latencies, 0.99) ?? null },
    timeline: timeline(samples, begin, input.end),
  };
}
