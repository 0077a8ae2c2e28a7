// `dalp lab logs`: one component's log, or every log merged by time. Each server writes its own
// timestamp format; one small parser reads the four the lab's servers use (ISO 8601 with either
// separator, Redis's "30 Nov 2026 17:02:01.123", JSON epoch milliseconds from pino), and a line without
// one (a continuation, a stack frame) keeps the time of the line before it.
import { existsSync, readFileSync } from 'node:fs';
import type { ComponentState } from './state.ts';

export interface LogLine {
  /** ms since epoch; NaN when neither the line nor any line before it in its file had a time. */
  time: number;
  component: string;
  text: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const ISO = /(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d{1,9}))?(Z|[+-]\d{2}:?\d{2}| UTC)?/;
const REDIS =
  /\b(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?/;
const EPOCH_MS = /"time":(\d{13})\b/;

/** The time a log line was written, or undefined when it carries none. */
export function lineTime(line: string): number | undefined {
  const epoch = EPOCH_MS.exec(line);
  if (epoch) return Number(epoch[1]);
  const head = line.slice(0, 120);
  const iso = ISO.exec(head);
  if (iso) {
    const fraction = (iso[3] ?? '0').slice(0, 3).padEnd(3, '0');
    const zone = iso[4] === undefined ? '' : iso[4] === ' UTC' ? 'Z' : iso[4];
    return Date.parse(`${iso[1]}T${iso[2]}.${fraction}${zone}`);
  }
  const redis = REDIS.exec(head);
  if (redis) {
    const month = String(MONTHS.indexOf(redis[2]!) + 1).padStart(2, '0');
    const fraction = (redis[5] ?? '0').slice(0, 3).padEnd(3, '0');
    return Date.parse(`${redis[3]}-${month}-${redis[1]!.padStart(2, '0')}T${redis[4]}.${fraction}`);
  }
  return undefined;
}

/** The lines of one component's log with their times. */
export function readLog(component: Pick<ComponentState, 'name' | 'logPath'>): LogLine[] {
  if (!existsSync(component.logPath)) return [];
  let last = Number.NaN;
  const lines: LogLine[] = [];
  for (const text of readFileSync(component.logPath, 'utf8').split('\n')) {
    if (text === '') continue;
    last = lineTime(text) ?? last;
    lines.push({ time: last, component: component.name, text });
  }
  return lines;
}

/** Every component's lines in time order (a stable sort: lines of equal time keep their file order). */
export function mergeLogs(components: Pick<ComponentState, 'name' | 'logPath'>[]): LogLine[] {
  const all = components.flatMap(readLog);
  return all.sort((a, b) => (Number.isNaN(a.time) ? 0 : a.time) - (Number.isNaN(b.time) ? 0 : b.time));
}

export function formatLogLine(line: LogLine, width: number): string {
  const when = Number.isNaN(line.time) ? '-'.padEnd(24) : new Date(line.time).toISOString();
  return `${when} ${line.component.padEnd(width)} ${line.text}`;
}
