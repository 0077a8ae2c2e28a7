// What a restore drill measures on the restored database: each transfer the client sent, classified
// against the restore point, then looked up in the restored journal.
//
// The restore point is T (restore-pitr) or the moment of the fault (restore-latest). Per transfer
// operation (all requests with one idempotency key):
// - acknowledged by T (the 201 arrived at or before T): its commit happened before T, so the restore
//   must hold it; missing ones are `missingBefore` (restore-pitr: must be 0; restore-latest: the writes
//   the newest restorable point misses, the real RPO);
// - started after T (its first request left after T): it cannot have committed by T, so the restore
//   must not hold it; present ones are `presentAfter` (must be 0);
// - the rest started by T and were not acknowledged by T: in flight at T. Whether their commit is
//   before T is unknowable from the client, so they are counted apart and judged by nothing.
import type { RequestSample } from '../model.ts';

export interface TransferOperation {
  key: string;
  /** When its first request left (ms since the epoch). */
  firstStart: number;
  /** When its 201 arrived, and the entry id the service answered; undefined when never acknowledged. */
  ackAt?: number;
  entryId?: string;
}

/** One operation per idempotency key, from the client's request records. */
export function transferOperations(samples: readonly RequestSample[]): TransferOperation[] {
  const byKey = new Map<string, TransferOperation>();
  for (const s of samples) {
    if (s.op !== 'transfer') continue;
    const op = byKey.get(s.key) ?? { key: s.key, firstStart: s.start };
    op.firstStart = Math.min(op.firstStart, s.start);
    if (s.status === 201 && (op.ackAt === undefined || s.end < op.ackAt)) {
      op.ackAt = s.end;
      op.entryId = s.entryId;
    }
    byKey.set(s.key, op);
  }
  return [...byKey.values()];
}

export interface Classified {
  acknowledgedBefore: TransferOperation[];
  startedAfter: TransferOperation[];
  inFlight: TransferOperation[];
}

export function classifyAround(operations: readonly TransferOperation[], at: number): Classified {
  const result: Classified = { acknowledgedBefore: [], startedAfter: [], inFlight: [] };
  for (const op of operations) {
    if (op.ackAt !== undefined && op.ackAt <= at) result.acknowledgedBefore.push(op);
    else if (op.firstStart > at) result.startedAfter.push(op);
    else result.inFlight.push(op);
  }
  return result;
}

export interface RestoreFindings {
  /** The restore point (ms since the epoch): T, or the fault for a restore to the end of the archive. */
  pointAt: number;
  acknowledgedBefore: number;
  /** Acknowledged by the restore point and missing from the restored journal. */
  missingBefore: number;
  /** From the first missing write's acknowledgement to the restore point (seconds; 0 when none is). */
  missingSeconds: number;
  missingExamples: { key: string; entryId: string; ackAt: number }[];
  startedAfter: number;
  presentAfter: number;
  inFlight: number;
  /** In-flight operations the restored journal holds (for the record; not judged). */
  inFlightPresent: number;
}

/**
 * Compares the classified operations with the restored journal: `idsByKey` is the entry ids the
 * restored database holds per idempotency key.
 */
export function restoreFindings(
  operations: readonly TransferOperation[],
  pointAt: number,
  idsByKey: ReadonlyMap<string, readonly string[]>,
): RestoreFindings {
  const { acknowledgedBefore, startedAfter, inFlight } = classifyAround(operations, pointAt);
  const present = (op: TransferOperation) => (idsByKey.get(op.key)?.length ?? 0) > 0;
  const missing = acknowledgedBefore
    .filter((op) => !idsByKey.get(op.key)?.includes(op.entryId ?? ''))
    .sort((a, b) => a.ackAt! - b.ackAt!);
  const first = missing[0]?.ackAt;
  return {
    pointAt,
    acknowledgedBefore: acknowledgedBefore.length,
    missingBefore: missing.length,
    missingSeconds: first === undefined ? 0 : Math.round((pointAt - first) / 10) / 100,
    missingExamples: missing
      .slice(0, 20)
      .map((op) => ({ key: op.key, entryId: op.entryId ?? '', ackAt: op.ackAt! })),
    startedAfter: startedAfter.length,
    presentAfter: startedAfter.filter(present).length,
    inFlight: inFlight.length,
    inFlightPresent: inFlight.filter(present).length,
  };
}
