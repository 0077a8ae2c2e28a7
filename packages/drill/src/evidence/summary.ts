// summary.md: the drill run as a page of Markdown (the table of every drill, then each drill's verdict
// and what happened), made from the evidence alone.
import type { DrillRecord } from '../run.ts';
import type { Evidence } from './evidence.ts';

const cell = (value: unknown) => String(value ?? '-').replace(/\|/g, '\\|');
const secs = (n: number | null | undefined) => (n === null || n === undefined ? '-' : `${n} s`);

/** The headline figures of one drill, shared by summary.md and report.html. */
export function headline(d: DrillRecord): Record<string, string> {
  const m = d.measures;
  return {
    scenario: d.scenario,
    row: d.documentRow,
    result: d.result,
    'failed requests': m ? `${m.requests.failed}/${m.requests.total}` : '-',
    'write outage': secs(m?.outage.transfer?.seconds ?? (m ? 0 : null)),
    RTO: secs(m?.rtoSeconds),
    'writes back': secs(m?.writesBackSeconds),
    'lost writes': m ? `${m.lostWrites.count} (${m.lostWrites.seconds} s)` : '-',
    duplicates: m ? String(m.duplicates) : '-',
    invariant: m ? (m.invariant.holds ? 'holds' : 'BROKEN') : '-',
    'app share': m?.appShare ? `${m.appShare.seconds} s` : '-',
    'p99 latency': m?.latency.p99Ms === null || !m ? '-' : `${m.latency.p99Ms} ms`,
  };
}

function table(rows: Record<string, string>[]): string[] {
  const columns = Object.keys(rows[0] ?? {});
  return [
    `| ${columns.join(' | ')} |`,
    `| ${columns.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r[c])).join(' | ')} |`),
  ];
}

export function renderSummary(evidence: Evidence): string {
  const lines = [
    `# dalp drill: ${evidence.result.toUpperCase()}`,
    '',
    `${evidence.drills.length} drill(s) against ${evidence.target.description}, ${evidence.startedAt} to ${evidence.finishedAt}.`,
    '',
    ...table(evidence.drills.map(headline)),
  ];
  for (const d of evidence.drills) {
    lines.push(
      '',
      `## ${d.scenario}: ${d.result.toUpperCase()}`,
      '',
      `${d.title}. Document row: ${d.documentRow}; recovery test of: ${d.controls.join(', ')}.`,
    );
    if (d.error) lines.push('', `Error: ${d.error}`);
    lines.push('', `Fault at ${secs(d.faultAt)}, undone at ${secs(d.restoredAt)}.`);
    if (d.verdict) {
      lines.push(
        '',
        ...table(
          d.verdict.checks.map((c) => ({
            check: c.name,
            limit: c.limit,
            measured: String(c.actual),
            result: c.pass ? 'pass' : 'FAIL',
          })),
        ),
      );
    }
    const events = d.events.filter((e) => e.kind !== 'phase');
    if (events.length) lines.push('', ...events.map((e) => `- ${e.at.toFixed(2)} s: ${e.detail}`));
    const lost = d.measures?.lostWrites.examples ?? [];
    if (lost.length)
      lines.push(
        '',
        'Lost acknowledged writes (first ones):',
        '',
        ...lost.map((l) => `- ${l.at} s: key ${l.key}, entry ${l.entryId}`),
      );
  }
  return `${lines.join('\n')}\n`;
}
