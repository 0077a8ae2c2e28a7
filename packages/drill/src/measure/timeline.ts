// What the plots show: per one-second window, requests answered (ok and failed, per operation) and the
// p50/p99 latency of the requests that ended in it.
import { OPERATION_KINDS, type OperationKind, type RequestSample, succeeded } from '../model.ts';
import { quantile } from './stats.ts';

export interface Second {
  /** Seconds since the drill began (the window is [t, t+1)). */
  t: number;
  ok: number;
  failed: number;
  /** Failed requests per operation kind (ok ones are in `ok`). */
  failedByOp: Record<OperationKind, number>;
  p50Ms: number | null;
  p99Ms: number | null;
}

export function timeline(samples: readonly RequestSample[], begin: number, end: number): Second[] {
  const seconds = Math.max(1, Math.ceil((end - begin) / 1000));
  const latencies: number[][] = Array.from({ length: seconds }, () => []);
  const rows: Second[] = Array.from({ length: seconds }, (_, t) => ({
    t,
    ok: 0,
    failed: 0,
    failedByOp: Object.fromEntries(OPERATION_KINDS.map((op) => [op, 0])) as Record<OperationKind, number>,
    p50Ms: null,
    p99Ms: null,
  }));
  for (const s of samples) {
    const t = Math.floor((s.end - begin) / 1000);
    const row = rows[t];
    if (!row) continue;
    if (succeeded(s)) row.ok += 1;
    else {
      row.failed += 1;
      row.failedByOp[s.op] += 1;
    }
    latencies[t]!.push(s.end - s.start);
  }
  for (const row of rows) {
    const values = latencies[row.t]!;
    row.p50Ms = quantile(values, 0.5) ?? null;
    row.p99Ms = quantile(values, 0.99) ?? null;
  }
  return rows;
}
