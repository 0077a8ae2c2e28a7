import type { CheckReport } from '../report.ts';
import { byCategory, objectLabel, summaryLine } from './common.ts';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const ICON = { error: '❌ error', warning: '⚠️ warning', info: 'ℹ️ note' } as const;

/** For pull-request comments and job summaries. */
export function renderMarkdown(report: CheckReport): string {
  const out = ['# dalp check', '', `**${summaryLine(report)}**`, ''];
  for (const [category, findings] of byCategory(report.findings)) {
    out.push(
      `## ${category}`,
      '',
      '| severity | rule | object | finding | fix |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const f of findings) {
      out.push(
        `| ${ICON[f.severity]} | \`${f.rule}\` | \`${cell(objectLabel(f.object))}\` | ${cell(f.message)} | ${cell(f.fix)} |`,
      );
    }
    out.push('');
  }
  if (report.findings.length === 0) out.push('No findings.', '');
  return out.join('\n');
}
