import { CATEGORIES, type Category } from '../model/categories.ts';
import type { ObjectRef } from '../model/objects.ts';
import type { CheckReport, Finding } from '../report.ts';

export function objectLabel(o: ObjectRef): string {
  return `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

export function summaryLine(report: CheckReport): string {
  const { errors, warnings, passed } = report.summary;
  const notes = report.findings.filter((f) => f.severity === 'info').length;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}, ${passed} passed${notes ? ` (${notes} note${notes === 1 ? '' : 's'})` : ''}`;
}

/** Findings grouped by category in the document's order; empty categories left out. */
export function byCategory(findings: Finding[]): Array<[Category, Finding[]]> {
  return CATEGORIES.map(
    (category) => [category, findings.filter((f) => f.category === category)] as [Category, Finding[]],
  ).filter(([, list]) => list.length > 0);
}
