// When clients were not served: the outage windows, the time from the fault to steady state (RTO) and
// the longest stretch without an acknowledged write, all from the client's own request records.
import { type OperationKind, type RequestSample, succeeded } from '../model.ts';

/** A stretch of time, in ms since the epoch. */
export interface Window {
  start: number;
  end: number;
}

/** A request the client was not served by: it failed, or it took longer than `slowMs`. */
export function degraded(sample: RequestSample, slowMs: number): boolean {
  return !succeeded(sample) || sample.end - sample.start > slowMs;
}

/** From the start of the first degraded request of `op` to the end of the last; null when none. */
export function outageWindow(
  samples: readonly RequestSample[],
  op: OperationKind,
  slowMs: number,
  extra: readonly number[] = [],
): Window | null {
  const bad = samples.filter((s) => s.op === op && degraded(s, slowMs));
  const starts = [...bad.map((s) => s.start), ...extra];
  const ends = [...bad.map((s) => s.end), ...extra];
  if (starts.length === 0) return null;
  return { start: Math.min(...starts), end: Math.max(...ends) };
}

/**
 * Recovery time: from the fault to the end of the last degraded request (of `op`, or of any kind) that
 * ended after the fault; after it every request was served promptly until the drill ended. 0 when no
 * request was degraded after the fault.
 */
export function recoveryMs(
  samples: readonly RequestSample[],
  faultAt: number,
  slowMs: number,
  op?: OperationKind,
): number {
  let last = faultAt;
  for (const s of samples) {
    if ((op === undefined || s.op === op) && s.end >= faultAt && degraded(s, slowMs))
      last = Math.max(last, s.end);
  }
  return last - faultAt;
}

/** The longest time between two consecutive acknowledged writes (transfers), by when each answer came. */
export function writeGap(samples: readonly RequestSample[]): number {
  const acks = samples
    .filter((s) => s.op === 'transfer' && succeeded(s))
    .map((s) => s.end)
    .sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < acks.length; i++) gap = Math.max(gap, acks[i]! - acks[i - 1]!);
  return gap;
}
