import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, idempotencyKey, type TestService } from './helpers.ts';

// A live ledger workload for failure drills: idempotent transfers that a well-behaved client retries with
// the same key until they are acknowledged, with every attempt recorded. From the samples come the
// client-visible outage, and the acknowledged set is later checked against the database (RPO = 0).

export interface Attempt {
  key: string;
  startedAt: number;
  endedAt: number;
  /** HTTP status, or 0 for a network error / client timeout. */
  status: number;
}

export interface LedgerWorkloadResult {
  attempts: Attempt[];
  /** Idempotency key -> journal entry id of every acknowledged (201) transfer. */
  acknowledged: Map<string, string>;
  /** Keys still unacknowledged when the workload gave up (after the deadline plus a grace period). */
  abandoned: string[];
  /** Longest time between two consecutive acknowledged writes: the client-visible write outage. */
  writeOutageMs: number;
}

export interface LedgerWorkloadOptions {
  client: Client;
  assetId: string;
  investors: readonly string[];
  durationMs: number;
  concurrency?: number;
  retryDelayMs?: number;
  /** A client-side bound per request; a request hanging past it counts as a failed attempt. */
  requestTimeoutMs?: number;
}

export async function runLedgerWorkload(options: LedgerWorkloadOptions): Promise<LedgerWorkloadResult> {
  const { client, assetId, investors } = options;
  const started = Date.now();
  const deadline = started + options.durationMs;
  const giveUp = deadline + 60_000;
  const attempts: Attempt[] = [];
  const acknowledged = new Map<string, string>();
  const abandoned: string[] = [];
  let n = 0;

  const worker = async () => {
    while (Date.now() < deadline) {
      const i = n++;
      const from = investors[i % investors.length]!;
      const to = investors[(i + 1) % investors.length]!;
      const key = idempotencyKey();
      for (;;) {
        const startedAt = Date.now();
        let status = 0;
        let entryId: string | undefined;
        try {
          const response = await fetch(`${client.baseUrl}/api/v1/assets/${assetId}/transfers`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${client.key}`,
              'content-type': 'application/json',
              'idempotency-key': key,
            },
            body: JSON.stringify({ from, to, amount: '1' }),
            signal: AbortSignal.timeout(options.requestTimeoutMs ?? 20_000),
          });
          status = response.status;
          const body = (await response.json()) as { id?: string };
          entryId = body.id;
        } catch {
          status = 0;
        }
        attempts.push({ key, startedAt, endedAt: Date.now(), status });
        if (status === 201) {
          acknowledged.set(key, entryId!);
          break;
        }
        if (status === 422 || Date.now() > giveUp) {
          abandoned.push(key);
          break;
        }
        await sleep(options.retryDelayMs ?? 200);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));

  const ackTimes = attempts
    .filter((a) => a.status === 201)
    .map((a) => a.endedAt)
    .sort((x, y) => x - y);
  let writeOutageMs = 0;
  for (let i = 1; i < ackTimes.length; i++)
    writeOutageMs = Math.max(writeOutageMs, ackTimes[i]! - ackTimes[i - 1]!);
  return { attempts, acknowledged, abandoned, writeOutageMs };
}

/**
 * The drill's verdict on the data: every acknowledged transfer is in the journal exactly once (no lost
 * acknowledged write, no double application after retries), and the books balance.
 */
export async function assertLedgerIntact(
  svc: Pick<TestService, 'sql'>,
  assetId: string,
  result: LedgerWorkloadResult,
) {
  const keys = [...result.acknowledged.keys()];
  const rows = await svc.sql<{ idempotency_key: string; id: string }>(
    'SELECT idempotency_key, id FROM journal WHERE asset_id = $1 AND idempotency_key = ANY($2::text[])',
    [assetId, keys],
  );
  const found = new Map(rows.map((r) => [r.idempotency_key, r.id]));
  const lost = keys.filter((k) => found.get(k) !== result.acknowledged.get(k));
  assert.deepEqual(lost, [], `${lost.length} acknowledged writes are missing from the journal`);
  assert.equal(rows.length, keys.length, 'each acknowledged write applied exactly once');
  await assertBooksBalance(svc, assetId);
}

/** The ledger invariant, read straight from the tables: balances sum to the supply, none below zero. */
export async function assertBooksBalance(svc: Pick<TestService, 'sql'>, assetId: string) {
  const [books] = await svc.sql<{ total_supply: string; sum: string; negative: number }>(
    `SELECT a.total_supply, COALESCE(SUM(b.amount), 0)::text AS sum, COUNT(*) FILTER (WHERE b.amount < 0)::int AS negative
     FROM assets a LEFT JOIN balances b ON b.asset_id = a.id WHERE a.id = $1 GROUP BY a.id`,
    [assetId],
  );
  assert.equal(books!.sum, books!.total_supply, 'sum of balances equals total supply');
  assert.equal(books!.negative, 0, 'no balance below zero');
}

/** Polls /readyz in the background and records every state it saw. */
export function watchReadiness(baseUrl: string, intervalMs = 200) {
  const seen: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        seen.push((await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(3000) })).status);
      } catch {
        seen.push(0);
      }
      await sleep(intervalMs);
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      await loop;
      return seen;
    },
  };
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
