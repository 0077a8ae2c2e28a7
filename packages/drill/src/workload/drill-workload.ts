// The drills' client load: operations started at a set rate (an open loop, so an outage does not slow
// the clients down and hide itself), mixed between transfers, reads and uploads, each run with its
// retry policy. Bounded three ways: the number of operations, operations in flight (a saturated client
// skips a start and counts it), and `stop()`, after which in-flight operations get a grace period.
import type { OperationKind, RequestSample } from '../model.ts';
import type { ApiEndpoint } from './api.ts';
import { DEFAULT_RETRY, type OperationOutcome, type RetryPolicy, runOperation } from './operations.ts';
import type { Ledger } from './seed.ts';

export interface WorkloadOptions {
  /** Operations started per second. */
  rate: number;
  /** Relative weights of the operation kinds. */
  mix: Record<OperationKind, number>;
  maxInFlight: number;
  maxOperations: number;
  retry: RetryPolicy;
  /** After `stop()`, operations still running get this long to finish before they are left behind. */
  drainMs: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  rate: 20,
  mix: { transfer: 6, read: 3, upload: 1 },
  maxInFlight: 64,
  maxOperations: 20_000,
  retry: DEFAULT_RETRY,
  drainMs: 65_000,
};

export interface WorkloadResult {
  samples: RequestSample[];
  outcomes: OperationOutcome[];
  /** Starts skipped because `maxInFlight` operations were already running. */
  skipped: number;
  /** Operations still running when the drain period ended. */
  unfinished: number;
}

/** Live counts for progress lines. */
export interface WorkloadCounts {
  requests: number;
  failed: number;
  inFlight: number;
  acknowledgedWrites: number;
}

export class DrillWorkload {
  readonly samples: RequestSample[] = [];
  private readonly outcomes: OperationOutcome[] = [];
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private skipped = 0;
  private failedRequests = 0;
  private acknowledged = 0;
  private readonly plan: OperationKind[];

  constructor(
    private readonly api: ApiEndpoint,
    private readonly ledger: Ledger,
    private readonly options: WorkloadOptions = DEFAULT_WORKLOAD,
  ) {
    // A fixed round of kinds in proportion to the mix, so short drills see every kind.
    this.plan = (Object.entries(options.mix) as [OperationKind, number][]).flatMap(([op, weight]) =>
      Array.from({ length: weight }, () => op),
    );
    if (this.plan.length === 0) throw new Error('the workload mix has no operation');
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), 1000 / this.options.rate);
  }

  private tick(): void {
    if (this.started >= this.options.maxOperations) {
      this.halt();
      return;
    }
    if (this.running.size >= this.options.maxInFlight) {
      this.skipped += 1;
      return;
    }
    const index = this.started++;
    const op = this.plan[index % this.plan.length]!;
    const run = runOperation(
      this.api,
      this.ledger,
      op,
      index,
      (s) => this.record(s),
      this.options.retry,
    ).then((outcome) => {
      this.outcomes.push(outcome);
    });
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private record(sample: RequestSample): void {
    this.samples.push(sample);
    if (sample.status === 201 && sample.op === 'transfer') this.acknowledged += 1;
    else if (!(sample.status === 200 || sample.status === 201)) this.failedRequests += 1;
  }

  private halt(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  counts(): WorkloadCounts {
    return {
      requests: this.samples.length,
      failed: this.failedRequests,
      inFlight: this.running.size,
      acknowledgedWrites: this.acknowledged,
    };
  }

  /** Stops starting operations and waits (bounded) for the running ones. */
  async stop(): Promise<WorkloadResult> {
    this.halt();
    const deadline = new Promise((resolve) => setTimeout(resolve, this.options.drainMs).unref());
    await Promise.race([Promise.all(this.running), deadline]);
    return {
      samples: [...this.samples],
      outcomes: [...this.outcomes],
      skipped: this.skipped,
      unfinished: this.running.size,
    };
  }
}
