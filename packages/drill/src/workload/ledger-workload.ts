// A closed-loop transfer workload for failover tests: `concurrency` clients each send idempotent transfers
// back to back for `durationMs`, every one retried with its key until acknowledged (the same operation
// code as the drills). The tests check the acknowledged set against the database afterwards.

import { writeGap } from '../measure/outage.ts';
import type { RequestSample } from '../model.ts';
import type { ApiEndpoint } from './api.ts';
import { DEFAULT_RETRY, runOperation } from './operations.ts';

export interface LedgerWorkloadOptions {
  client: ApiEndpoint;
  assetId: string;
  investors: readonly string[];
  durationMs: number;
  concurrency?: number;
  retryDelayMs?: number;
  /** A client-side bound per request; a request hanging past it counts as a failed attempt. */
  requestTimeoutMs?: number;
}

export interface LedgerWorkloadResult {
  attempts: RequestSample[];
  /** Idempotency key -> journal entry id of every acknowledged (201) transfer. */
  acknowledged: Map<string, string>;
  /** Keys given up: refused for good, or still unacknowledged a minute after the workload's end. */
  abandoned: string[];
  /** Longest time between two consecutive acknowledged writes: the client-visible write outage. */
  writeOutageMs: number;
}

export async function runLedgerWorkload(options: LedgerWorkloadOptions): Promise<LedgerWorkloadResult> {
  const deadline = Date.now() + options.durationMs;
  const ledger = { assetId: options.assetId, investors: [...options.investors] };
  const policy = {
    delayMs: options.retryDelayMs ?? DEFAULT_RETRY.delayMs,
    giveUpAfterMs: options.durationMs + 60_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
  };
  const attempts: RequestSample[] = [];
  const acknowledged = new Map<string, string>();
  const abandoned: string[] = [];
  let n = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      const outcome = await runOperation(
        options.client,
        ledger,
        'transfer',
        n++,
        (s) => attempts.push(s),
        policy,
      );
      if (outcome.ok) acknowledged.set(outcome.key, outcome.entryId!);
      else abandoned.push(outcome.key);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return { attempts, acknowledged, abandoned, writeOutageMs: writeGap(attempts) };
}
