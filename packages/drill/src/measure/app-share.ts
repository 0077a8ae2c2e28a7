// The application's own share of a data-service failover: from the moment the new primary accepts
// writes (Patroni or Sentinel says so) to the first acknowledged client write after it. The rest of the
// outage belongs to the data service and its settings (failure detection, election, endpoint switch).
import { type DrillEvent, type RequestSample, succeeded } from '../model.ts';

export interface AppShare {
  service: 'postgres' | 'redis';
  newPrimary: string;
  /** When the new primary was first seen accepting writes (ms since the epoch). */
  primaryAt: number;
  /** When the first client write was acknowledged after that. */
  firstAckAt: number;
  ms: number;
}

export function appShare(
  samples: readonly RequestSample[],
  events: readonly DrillEvent[],
  faultAt: number,
  service: AppShare['service'],
): AppShare | null {
  const kind = service === 'postgres' ? 'postgres-primary' : 'redis-primary';
  const promoted = events.find((e) => e.kind === kind && e.at >= faultAt);
  if (!promoted?.subject) return null;
  const firstAck = samples
    .filter((s) => s.op === 'transfer' && succeeded(s) && s.end >= promoted.at)
    .reduce<number | undefined>(
      (first, s) => (first === undefined || s.end < first ? s.end : first),
      undefined,
    );
  if (firstAck === undefined) return null;
  return {
    service,
    newPrimary: promoted.subject,
    primaryAt: promoted.at,
    firstAckAt: firstAck,
    ms: firstAck - promoted.at,
  };
}
