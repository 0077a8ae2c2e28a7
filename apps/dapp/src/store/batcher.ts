/** What one item of a batch came to: its own result or its own error. */
export type Settled<O> = { ok: true; value: O } | { ok: false; error: unknown };

export interface BatcherOptions {
  /** Batches running at the same time (each holds one database connection while it runs). */
  maxConcurrent: number;
  /** Items per batch at most. */
  maxSize: number;
}

/**
 * Group commit: items submitted while earlier batches are running wait and then go to the database
 * together, one transaction for the lot instead of one per item.
 *
 * Why by hand: no maintained library does this for node-postgres, and it is small. Under light load a
 * batch holds one item and starts at the next turn of the event loop (no timer, so no added latency); under
 * load the queue fills while `maxConcurrent` batches run, and each finished batch takes the next
 * `maxSize` items at once. Every submitter gets its own item's outcome: one refused item does not fail its
 * neighbours. If `run` throws, every item of that batch gets the error.
 */
export class Batcher<I, O> {
  private readonly queue: Array<{ input: I; resolve: (value: O) => void; reject: (error: unknown) => void }> =
    [];
  private running = 0;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly run: (inputs: I[]) => Promise<Array<Settled<O>>>,
    private readonly options: BatcherOptions,
  ) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once nothing is queued or running: shutdown waits for this before it closes the pool. */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.options.maxConcurrent || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: requests whose bytes arrived in the same poll phase join this batch.
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.options.maxConcurrent && this.queue.length > 0) {
        this.start(this.queue.splice(0, this.options.maxSize));
      }
    });
  }

  private start(batch: typeof this.queue): void {
    this.running += 1;
    this.run(batch.map((item) => item.input))
      .then(
        (outcomes) => {
          batch.forEach((item, i) => {
            const outcome = outcomes[i];
            if (!outcome) item.reject(new Error('batch returned no outcome for an item'));
            else if (outcome.ok) item.resolve(outcome.value);
            else item.reject(outcome.error);
          });
        },
        (error: unknown) => {
          for (const item of batch) item.reject(error);
        },
      )
      .finally(() => {
        this.running -= 1;
        this.schedule();
        if (this.running === 0 && this.queue.length === 0) {
          for (const resolve of this.idleWaiters.splice(0)) resolve();
        }
      });
  }
}
