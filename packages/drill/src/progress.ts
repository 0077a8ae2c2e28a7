// Progress while drills run: the phase and live counts on one line that rewrites itself in a terminal,
// plain lines (phase changes, and counts every few seconds) when the output is a file or a pipe.
import type { Phase } from './model.ts';
import type { WorkloadCounts } from './workload/drill-workload.ts';

export interface Progress {
  phase(scenario: string, phase: Phase): void;
  counts(scenario: string, phase: Phase, seconds: number, counts: WorkloadCounts): void;
  done(scenario: string, line: string): void;
}

export const SILENT: Progress = { phase() {}, counts() {}, done() {} };

const describe = (c: WorkloadCounts) =>
  `${c.requests} requests, ${c.failed} failed, ${c.acknowledgedWrites} writes acknowledged, ${c.inFlight} in flight`;

export function terminalProgress(write: (text: string) => void, isTTY: boolean, plainEveryS = 5): Progress {
  let lastPlain = -1;
  return {
    phase(scenario, phase) {
      if (!isTTY) write(`${scenario}: ${phase}\n`);
    },
    counts(scenario, phase, seconds, counts) {
      if (isTTY) {
        write(`\r\x1b[2K${scenario} [${phase}] ${seconds.toFixed(0).padStart(3)} s  ${describe(counts)}`);
        return;
      }
      const step = Math.floor(seconds / plainEveryS);
      if (step === lastPlain) return;
      lastPlain = step;
      write(`${scenario}: ${phase} ${seconds.toFixed(0)} s, ${describe(counts)}\n`);
    },
    done(scenario, line) {
      lastPlain = -1;
      write(`${isTTY ? '\r\x1b[2K' : ''}${scenario}: ${line}\n`);
    },
  };
}
