import { type CheckReport, type Finding, type ObjectRef, ROWS, type Row } from '../types.ts';

export function objectLabel(o: ObjectRef): string {
  return `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

export function summaryLine(report: CheckReport): string {
  const { errors, warnings, passed } = report.summary;
  const notes = report.findings.filter((f) => f.severity === 'info').length;
  return `${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}, ${passed} passed${notes ? ` (${notes} note${notes === 1 ? '' : 's'})` : ''}`;
}

export function byRow(findings: Finding[]): Array<[Row, Finding[]]> {
  return ROWS.map((row) => [row, findings.filter((f) => f.row === row)] as [Row, Finding[]]).filter(
    ([, list]) => list.length > 0,
  );
}
