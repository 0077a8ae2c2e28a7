import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { InputError } from './errors.ts';
import { type Row, TABLE_ROWS } from './types.ts';

// The evidence file behind the document's "every control needs an owner, an alert and a recovery test".
// Format documented in docs/controls.md.

export interface RecoveryTest {
  name: string;
  date?: Date;
  result?: 'pass' | 'fail';
  evidence?: string;
  /** Why this test cannot count (unreadable evidence file, missing date...). */
  problem?: string;
}

export interface RowControls {
  owner?: string;
  alerts: string[];
  recoveryTests: RecoveryTest[];
}

export interface Controls {
  file: string;
  recovery?: {
    method: 'gitops' | 'velero' | 'other';
    repository?: string;
    path?: string;
    description?: string;
  };
  rows: Partial<Record<Row, RowControls>>;
}

const rowKey = (row: string) => row.toLowerCase().replace(/[^a-z]+/g, '-');
const ROW_BY_KEY = new Map(TABLE_ROWS.map((row) => [rowKey(row), row]));

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    recovery: {
      type: 'object',
      additionalProperties: false,
      required: ['method'],
      properties: {
        method: { enum: ['gitops', 'velero', 'other'] },
        repository: { type: 'string', minLength: 1 },
        path: { type: 'string' },
        description: { type: 'string' },
      },
    },
    rows: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          owner: { type: 'string' },
          alerts: { type: 'array', items: { type: 'string' } },
          recoveryTests: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: {
                name: { type: 'string', minLength: 1 },
                date: { type: 'string' },
                result: { enum: ['pass', 'fail'] },
                evidence: { type: 'string', minLength: 1 },
              },
            },
          },
        },
      },
    },
  },
  required: ['rows'],
} as const;

const validate = new Ajv({ allErrors: false }).compile(schema);

function parseDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' && !(value instanceof Date)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Reads a drill evidence file: JSON or YAML with a result (pass/fail or passed: boolean) and a date. */
function readEvidence(path: string): Pick<RecoveryTest, 'date' | 'result' | 'problem'> {
  if (!existsSync(path)) return { problem: `evidence file ${path} does not exist` };
  let data: Record<string, unknown>;
  try {
    data = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return { problem: `evidence file ${path} is not valid JSON or YAML` };
  }
  if (!data || typeof data !== 'object') return { problem: `evidence file ${path} holds no object` };
  const verdict = data.result ?? data.outcome ?? data.passed ?? data.ok;
  const result =
    verdict === true || verdict === 'pass' || verdict === 'passed'
      ? 'pass'
      : verdict === false || verdict === 'fail' || verdict === 'failed'
        ? 'fail'
        : undefined;
  const date = parseDate(data.finishedAt ?? data.date ?? data.endedAt ?? data.startedAt);
  if (!result) return { problem: `evidence file ${path} has no result (pass/fail)` };
  if (!date) return { problem: `evidence file ${path} has no date (finishedAt or date)`, result };
  return { result, date };
}

export function loadControls(file: string): Controls {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'), { prettyErrors: false });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'invalid YAML';
    throw new InputError(`controls file ${file}: ${reason}`);
  }
  if (!validate(raw)) {
    const first = validate.errors?.[0];
    throw new InputError(
      `controls file ${file}: ${first?.instancePath || '(root)'} ${first?.message ?? 'is invalid'}`,
    );
  }
  const data = raw as {
    recovery?: Controls['recovery'];
    rows: Record<
      string,
      { owner?: string; alerts?: string[]; recoveryTests?: Array<Record<string, string>> }
    >;
  };
  const controls: Controls = { file, rows: {} };
  if (data.recovery) controls.recovery = data.recovery;
  for (const [key, value] of Object.entries(data.rows)) {
    const row = ROW_BY_KEY.get(rowKey(key));
    if (!row) {
      throw new InputError(`controls file ${file}: unknown row "${key}" (rows: ${TABLE_ROWS.join(', ')})`);
    }
    const tests: RecoveryTest[] = (value.recoveryTests ?? []).map((t) => {
      const test: RecoveryTest = { name: t.name as string };
      if (t.result) test.result = t.result as 'pass' | 'fail';
      if (t.date !== undefined) {
        const date = parseDate(t.date);
        if (date) test.date = date;
        else test.problem = `date "${t.date}" is not a date`;
      }
      if (t.evidence) {
        test.evidence = t.evidence;
        const evidence = readEvidence(resolve(dirname(file), t.evidence));
        if (evidence.problem) test.problem = evidence.problem;
        test.result ??= evidence.result;
        test.date ??= evidence.date;
      }
      return test;
    });
    const rowControls: RowControls = { alerts: value.alerts ?? [], recoveryTests: tests };
    if (value.owner?.trim()) rowControls.owner = value.owner.trim();
    controls.rows[row] = rowControls;
  }
  return controls;
}
