// The drills' shared vocabulary: what the client workload records, and the measures and verdicts taken
// from it. Everything that leaves a run (evidence.json, summary.md, report.html) is built from these.

/** What the workload does: ledger transfers (writes), reads, and document uploads. */
export type OperationKind = 'transfer' | 'read' | 'upload';
export const OPERATION_KINDS: readonly OperationKind[] = ['transfer', 'read', 'upload'];

/** One HTTP request as the client saw it; an operation takes one or more (the client's retries). */
export interface RequestSample {
  op: OperationKind;
  /** The operation's id: a transfer's idempotency key (the same on each retry), a generated id otherwise. */
  key: string;
  /** 1 for the first request of the operation, 2 for its first retry... */
  attempt: number;
  /** Milliseconds since the epoch. */
  start: number;
  end: number;
  /** HTTP status; 0 when no answer came (connection error, client-side timeout). */
  status: number;
  /** An acknowledged transfer's journal entry id, as the service answered it. */
  entryId?: string;
}

/** Whether a request's answer is a success for its operation. */
export function succeeded(sample: Pick<RequestSample, 'op' | 'status'>): boolean {
  return sample.op === 'read' ? sample.status === 200 : sample.status === 201;
}

/** Something the drill saw happen, on the drill's clock. */
export interface DrillEvent {
  /** Milliseconds since the epoch. */
  at: number;
  kind: 'phase' | 'fault' | 'postgres-primary' | 'redis-primary' | 'database-endpoint' | 'recovered' | 'note';
  /** What happened, in a few words ("postgres-b is primary", "SIGKILL dapp-a-1"). */
  detail: string;
  /** The component or member it concerns, where there is one. */
  subject?: string;
}

export type Phase = 'warm-up' | 'fault' | 'recovery' | 'verification';
export const PHASES: readonly Phase[] = ['warm-up', 'fault', 'recovery', 'verification'];
