// What the drill test files that run on a real lab share: the lab, started before the file's tests and
// removed after them, and `dalp drill` run on it as a user runs it, its evidence checked against the
// schema.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { downLab, Lab, type StartOptions } from '@dalp/lab';
import { dalp } from '../../../cli/test/support/run-cli.ts';
import type { Evidence } from '../../src/evidence/evidence.ts';
import { evidenceProblems } from '../../src/evidence/schema.ts';
import type { DrillRecord } from '../../src/run.ts';

export interface DrillLab {
  readonly lab: Lab;
  /** The lab's directory (`--dir`). */
  readonly dir: string;
  /** A scratch directory of the file's, removed with the lab. */
  readonly work: string;
  /** `dalp drill <scenario> --warmup 2 <flags>` with its own --out; the one drill's record. */
  drill(
    scenario: string,
    ...flags: string[]
  ): Promise<{
    run: { code: number; stdout: string; stderr: string };
    out: string;
    evidence: Evidence;
    record: DrillRecord;
  }>;
}

/** Registers the file's before/after hooks: one lab for the file, `options` as `Lab.start` takes them. */
export function drillLab(name: string, options: Omit<StartOptions, 'dir'> = {}): DrillLab {
  let work: string | undefined;
  let dir: string | undefined;
  let lab: Lab | undefined;
  before(async () => {
    work = mkdtempSync(join(tmpdir(), `dalp-drill-${name}-`));
    dir = join(work, 'lab');
    lab = await Lab.start({ ...options, dir });
  });
  after(async () => {
    if (dir && existsSync(join(dir, 'lab.json'))) await downLab(dir);
    if (work) rmSync(work, { recursive: true, force: true });
  });
  return {
    get lab() {
      return lab!;
    },
    get dir() {
      return dir!;
    },
    get work() {
      return work!;
    },
    async drill(scenario, ...flags) {
      const out = join(work!, `${scenario}-${Date.now()}`);
      const run = await dalp(['drill', scenario, '--dir', dir!, '--out', out, '--warmup', '2', ...flags]);
      const evidence = JSON.parse(readFileSync(join(out, 'evidence.json'), 'utf8')) as Evidence;
      assert.deepEqual(evidenceProblems(evidence), [], 'evidence.json matches its schema');
      assert.equal(evidence.drills.length, 1);
      return { run, out, evidence, record: evidence.drills[0]! };
    },
  };
}

/** A check of the drill's verdict by name. */
export const verdictCheck = (r: DrillRecord, name: string) => r.verdict?.checks.find((c) => c.name === name);
