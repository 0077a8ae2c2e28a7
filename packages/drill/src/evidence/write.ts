// `--out DIR`: evidence.json (checked against its schema first), summary.md and report.html.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReport } from '../report/html.ts';
import type { Evidence } from './evidence.ts';
import { evidenceProblems } from './schema.ts';
import { renderSummary } from './summary.ts';

export const OUTPUT_FILES = {
  evidence: 'evidence.json',
  summary: 'summary.md',
  report: 'report.html',
} as const;

export function writeOutputs(dir: string, evidence: Evidence): Record<keyof typeof OUTPUT_FILES, string> {
  const problems = evidenceProblems(evidence);
  if (problems.length > 0)
    throw new Error(`the evidence does not match its schema: ${problems.slice(0, 3).join('; ')}`);
  mkdirSync(dir, { recursive: true });
  const paths = {
    evidence: join(dir, OUTPUT_FILES.evidence),
    summary: join(dir, OUTPUT_FILES.summary),
    report: join(dir, OUTPUT_FILES.report),
  };
  writeFileSync(paths.evidence, `${JSON.stringify(evidence, null, 2)}\n`);
  writeFileSync(paths.summary, renderSummary(evidence));
  writeFileSync(paths.report, renderReport(evidence));
  return paths;
}
