// One client operation each, with the retry policy a well-behaved client follows, every request recorded:
// - a transfer carries an idempotency key and is retried with the SAME key after an error or no answer,
//   until it is acknowledged (201) or refused for good (a 4xx other than 409/429), or its time is up;
// - a read (the asset's holders) is retried the same way, as any idempotent GET may be;
// - a document upload carries an idempotency key too (the service stores a resent upload once), and is
//   retried the same way; a load balancer may then also resend it to another replica.
import { type OperationKind, type RequestSample, succeeded } from '../model.ts';
import { type ApiEndpoint, call, uniqueKey } from './api.ts';
import type { Ledger } from './seed.ts';

export interface RetryPolicy {
  /** Pause between two requests of one operation. */
  delayMs: number;
  /** An operation still not done this long after its first request is given up. */
  giveUpAfterMs: number;
  /** Client-side bound of one request; a request hanging past it counts as unanswered (status 0). */
  requestTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { delayMs: 200, giveUpAfterMs: 60_000, requestTimeoutMs: 30_000 };

/** How one operation ended for the client. */
export interface OperationOutcome {
  op: OperationKind;
  key: string;
  ok: boolean;
  /** The journal entry id of an acknowledged transfer. */
  entryId?: string;
}

/** Statuses after which sending the same request again may succeed. */
const RETRYABLE = (status: number) => status === 0 || status >= 500 || status === 409 || status === 429;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs one operation until it succeeds or fails for good; each of its requests goes to `record`. */
export async function runOperation(
  api: ApiEndpoint,
  ledger: Ledger,
  op: OperationKind,
  index: number,
  record: (sample: RequestSample) => void,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<OperationOutcome> {
  const key = uniqueKey(op);
  const { assetId, investors } = ledger;
  const from = investors[index % investors.length]!;
  const to = investors[(index + 1) % investors.length]!;
  const firstAt = Date.now();
  for (let attempt = 1; ; attempt++) {
    const start = Date.now();
    const answer =
      op === 'transfer'
        ? await call(api, 'POST', `/api/v1/assets/${assetId}/transfers`, {
            json: { from, to, amount: '1' },
            headers: { 'idempotency-key': key },
            timeoutMs: policy.requestTimeoutMs,
          })
        : op === 'read'
          ? await call(api, 'GET', `/api/v1/assets/${assetId}/holders`, {
              timeoutMs: policy.requestTimeoutMs,
            })
          : await call(api, 'POST', `/api/v1/assets/${assetId}/documents?name=${key}.txt`, {
              bytes: new TextEncoder().encode(`drill document ${key}\n`),
              headers: { 'content-type': 'text/plain', 'idempotency-key': key },
              timeoutMs: policy.requestTimeoutMs,
            });
    const sample: RequestSample = { op, key, attempt, start, end: Date.now(), status: answer.status };
    const ok = succeeded(sample);
    if (ok && op === 'transfer') sample.entryId = String(answer.body?.id);
    record(sample);
    if (ok) return { op, key, ok, entryId: sample.entryId };
    const again = RETRYABLE(answer.status) && Date.now() - firstAt < policy.giveUpAfterMs;
    if (!again) return { op, key, ok: false };
    await sleep(policy.delayMs);
  }
}
