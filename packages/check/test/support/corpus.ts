import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse, stringify } from 'yaml';
import { runCheck } from '../../src/engine.ts';
import { renderChart } from '../../src/loaders/chart.ts';
import { loadManifestPaths } from '../../src/loaders/manifests.ts';
import { validateObjects } from '../../src/loaders/validate.ts';
import type { CheckReport } from '../../src/report.ts';
import { DEFAULT_OPTIONS } from '../../src/score/context.ts';
import { FIXTURES } from './check.ts';

// The real-world corpus (test/fixtures/corpus/, see its README.md): third-party charts and manifests,
// checked as a user would, against a reviewed snapshot of the findings each one should raise.

export const CORPUS = join(FIXTURES, 'corpus');

export interface CorpusInput {
  name: string;
  /** What `dalp check` is given, relative to the input's folder: a chart directory or manifest files. */
  chart?: string;
  manifests?: string[];
  allowMissingDependencies?: boolean;
}

export const CORPUS_INPUTS: CorpusInput[] = [
  { name: 'atk', chart: 'chart', allowMissingDependencies: true },
  { name: 'bitnami-redis', chart: 'chart' },
  { name: 'microservices-demo', manifests: ['kubernetes-manifests.yaml'] },
];

export type Verdict = 'true-positive' | 'accepted' | 'unreviewed';

export interface ReviewedFinding {
  rule: string;
  object: string;
  severity: string;
  message: string;
  verdict: Verdict;
  /** Why an accepted finding stays (required), or what a true positive means here (optional). */
  reason?: string;
}

export interface Snapshot {
  command: string;
  summary: CheckReport['summary'];
  findings: ReviewedFinding[];
}

export function commandOf(input: CorpusInput): string {
  const dir = `packages/check/test/fixtures/corpus/${input.name}`;
  const target = input.chart
    ? `${dir}/${input.chart}`
    : (input.manifests ?? []).map((m) => `${dir}/${m}`).join(' ');
  return `dalp check ${target}${input.allowMissingDependencies ? ' --allow-missing-dependencies' : ''}`;
}

/** The input checked as `dalp check` checks it (production profile, defaults), findings in report order. */
export function checkCorpus(input: CorpusInput): {
  summary: CheckReport['summary'];
  findings: ReviewedFinding[];
} {
  const dir = join(CORPUS, input.name);
  const loaded = input.chart
    ? renderChart({
        dir: join(dir, input.chart),
        values: [],
        set: [],
        allowMissingDependencies: !!input.allowMissingDependencies,
      })
    : loadManifestPaths(
        (input.manifests ?? []).map((m) => join(dir, m)),
        () => '',
      );
  validateObjects(loaded);
  const report = runCheck(
    loaded.objects,
    {
      ...DEFAULT_OPTIONS,
      now: new Date('2026-11-25T12:00:00Z'),
      ...(loaded.render ? { render: loaded.render } : {}),
    },
    loaded.sources,
  );
  // Messages name paths relative to the working directory; the snapshot names them from the corpus.
  const here = relative(process.cwd(), CORPUS) || '.';
  return {
    summary: report.summary,
    findings: report.findings.map((f) => ({
      rule: f.rule,
      object: `${f.object.kind}/${f.object.namespace ? `${f.object.namespace}/` : ''}${f.object.name}`,
      severity: f.severity,
      message: f.message.split(here).join('$CORPUS'),
      verdict: 'unreviewed',
    })),
  };
}

export const keyOf = (f: Pick<ReviewedFinding, 'rule' | 'object' | 'severity' | 'message'>) =>
  `${f.severity} ${f.rule} ${f.object}: ${f.message}`;

export function snapshotFile(input: CorpusInput): string {
  return join(CORPUS, input.name, 'expected.yaml');
}

export function readSnapshot(input: CorpusInput): Snapshot | undefined {
  const file = snapshotFile(input);
  return existsSync(file) ? (parse(readFileSync(file, 'utf8')) as Snapshot) : undefined;
}

const HEADER = `# Reviewed findings of \`dalp check\` on this input (test/integration/corpus.test.ts compares them).
# Every finding carries a verdict: true-positive, or accepted with the reason it stays. A finding that
# appears or vanishes fails the test until someone reviews it: rewrite this file with
#   UPDATE_CORPUS=1 node scripts/run-tests.mjs packages/check/test/integration/corpus
# (verdicts of unchanged findings are kept; new ones come as verdict: unreviewed and still fail).
`;

/** Writes the current findings, keeping the verdicts of findings that did not change. */
export function writeSnapshot(input: CorpusInput, current: ReturnType<typeof checkCorpus>): void {
  const previous = new Map((readSnapshot(input)?.findings ?? []).map((f) => [keyOf(f), f]));
  const findings = current.findings.map((f) => {
    const old = previous.get(keyOf(f));
    return old ? { ...f, verdict: old.verdict, ...(old.reason ? { reason: old.reason } : {}) } : f;
  });
  const snapshot: Snapshot = { command: commandOf(input), summary: current.summary, findings };
  writeFileSync(snapshotFile(input), HEADER + stringify(snapshot, { lineWidth: 0 }));
}
