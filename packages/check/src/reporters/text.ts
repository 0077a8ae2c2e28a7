import type { CheckReport } from '../report.ts';
import { byCategory, objectLabel, summaryLine } from './common.ts';

const MARK = { error: 'ERROR', warning: 'WARN ', info: 'NOTE ' } as const;

/** Human report: findings grouped by category (the document's table rows first), then one summary line. */
export function renderText(report: CheckReport): string {
  const out: string[] = [];
  for (const [category, findings] of byCategory(report.findings)) {
    out.push(category);
    // One fix line per rule and category: seven uncovered alert items need the advice once, not seven times.
    const advised = new Set<string>();
    for (const f of findings) {
      const where = f.source ? ` (${f.source.file}${f.source.line ? `:${f.source.line}` : ''})` : '';
      out.push(`  ${MARK[f.severity]} [${f.rule}] ${objectLabel(f.object)}: ${f.message}${where}`);
      if (f.severity !== 'info' && !advised.has(`${f.rule}\0${f.fix}`)) {
        advised.add(`${f.rule}\0${f.fix}`);
        out.push(`        fix: ${f.fix}`);
      }
    }
    out.push('');
  }
  out.push(
    `${summaryLine(report)} across ${report.objectCount} object${report.objectCount === 1 ? '' : 's'}`,
  );
  return `${out.join('\n')}\n`;
}
