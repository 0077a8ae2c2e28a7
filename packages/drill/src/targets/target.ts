// What a drill needs from the platform it runs against, whatever that is: the API for the workload, a
// way to read the books back, a health wait, a picture of the topology for the report, and a watch on
// the data services' roles. Each target (the lab, a Kubernetes release) adds the fault primitives its
// scenarios use.
import type { LedgerReader } from '../measure/ledger.ts';
import type { DrillEvent } from '../model.ts';
import type { ApiEndpoint } from '../workload/api.ts';

/** One component or pod as the report shows the topology at the time of the fault. */
export interface TopologyRow {
  name: string;
  kind: string;
  zone: string | null;
  node: string;
  role: string | null;
  health: string;
  detail: string;
}

export interface Watch {
  stop(): Promise<void>;
}

export interface Target {
  readonly kind: 'lab' | 'kubernetes';
  /** One line: which lab or release. */
  describe(): string;
  api(): ApiEndpoint;
  ledgerReader(): LedgerReader;
  /** Resolves once every part the drill depends on is healthy again; throws after `timeoutMs`. */
  waitUntilHealthy(timeoutMs: number): Promise<void>;
  topology(): Promise<TopologyRow[]>;
  /** Reports role changes of the data services (new primaries, the database endpoint) until stopped. */
  watch(record: (event: Omit<DrillEvent, 'at'>) => void): Watch;
  close(): Promise<void>;
}
