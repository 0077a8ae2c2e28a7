import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { Type } from 'typebox';
import { parse } from 'yaml';
import { InputError } from '../errors.ts';
import { type Category, TABLE_CATEGORIES } from '../model/categories.ts';
import type { CategoryControls, Controls, ProviderBackup, RecoveryTest } from '../model/controls.ts';

// Reads the evidence file (docs/controls.md) into the controls model. The file keys its sections by the
// document's table rows (`rows:`), spelled as in the table or in kebab case.

const rowKey = (row: string) => row.toLowerCase().replace(/[^a-z]+/g, '-');
const CATEGORY_BY_ROW_KEY = new Map<string, Category>(TABLE_CATEGORIES.map((c) => [rowKey(c), c]));

// The file's schema, written with TypeBox (the repository's one way to write a JSON Schema in TypeScript:
// docs/architecture.md, "Schemas") and checked by Ajv, which reports the first problem with its path.
const schema = Type.Object(
  {
    providerBackups: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ minLength: 1 }),
            alert: Type.String({ minLength: 1 }),
            monitoredBy: Type.Optional(Type.String({ minLength: 1 })),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    recovery: Type.Optional(
      Type.Object(
        {
          method: Type.Enum(['gitops', 'velero', 'other']),
          repository: Type.Optional(Type.String({ minLength: 1 })),
          path: Type.Optional(Type.String()),
          description: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    rows: Type.Object(
      {},
      {
        additionalProperties: Type.Object(
          {
            owner: Type.Optional(Type.String()),
            alerts: Type.Optional(Type.Array(Type.String())),
            recoveryTests: Type.Optional(
              Type.Array(
                Type.Object(
                  {
                    name: Type.String({ minLength: 1 }),
                    date: Type.Optional(Type.String()),
                    result: Type.Optional(Type.Enum(['pass', 'fail'])),
                    evidence: Type.Optional(Type.String({ minLength: 1 })),
                  },
                  { additionalProperties: false },
                ),
              ),
            ),
          },
          { additionalProperties: false },
        ),
      },
    ),
  },
  { additionalProperties: false },
);

const validate = new Ajv({ allErrors: false }).compile(schema);

function parseDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' && !(value instanceof Date)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** The evidence `dalp drill --out` writes (docs/drills.md): many drills, each naming the rows it tests. */
const DRILL_EVIDENCE_KIND = 'dalp-drill-evidence';
const DRILL_EVIDENCE_VERSIONS = [1];

interface DrillRecordView {
  scenario?: unknown;
  controls?: unknown;
  result?: unknown;
  finishedAt?: unknown;
}

/**
 * The verdict of a `dalp drill` evidence file for one row: the drills that name the row among their
 * controls; it passes when each of them passed, dated by the last of them to finish. A file with no
 * drill for the row cannot count for it (a database drill is no recovery test of the cache).
 */
function readDrillEvidence(
  path: string,
  data: Record<string, unknown>,
  category: Category,
): Pick<RecoveryTest, 'date' | 'result' | 'problem'> {
  if (!DRILL_EVIDENCE_VERSIONS.includes(data.version as number))
    return {
      problem: `evidence file ${path} is ${DRILL_EVIDENCE_KIND} version ${String(data.version)}; this dalp reads version ${DRILL_EVIDENCE_VERSIONS.join(', ')}`,
    };
  const drills = Array.isArray(data.drills) ? (data.drills as DrillRecordView[]) : [];
  const matching = drills.filter((d) => Array.isArray(d.controls) && d.controls.includes(category));
  if (matching.length === 0)
    return {
      problem: `evidence file ${path} has no drill that tests ${category} (its drills: ${
        drills.map((d) => String(d.scenario)).join(', ') || 'none'
      })`,
    };
  const dates = matching.map((d) => parseDate(d.finishedAt));
  if (dates.some((d) => d === undefined))
    return { problem: `evidence file ${path}: a drill for ${category} has no finishedAt date` };
  const failed = matching
    .filter((d) => d.result !== 'pass')
    .map((d) => `${String(d.scenario)} ${String(d.result)}`);
  const date = new Date(Math.max(...dates.map((d) => d!.getTime())));
  if (failed.length > 0)
    return { result: 'fail', date, problem: `evidence file ${path}: ${failed.join(', ')}` };
  return { result: 'pass', date };
}

/**
 * Reads a drill evidence file for a row: `dalp drill`'s evidence.json (its drills for that row), or any
 * JSON or YAML with a result (pass/fail or passed: boolean) and a date.
 */
function readEvidence(path: string, category: Category): Pick<RecoveryTest, 'date' | 'result' | 'problem'> {
  if (!existsSync(path)) return { problem: `evidence file ${path} does not exist` };
  let data: Record<string, unknown>;
  try {
    data = parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return { problem: `evidence file ${path} is not valid JSON or YAML` };
  }
  if (!data || typeof data !== 'object') return { problem: `evidence file ${path} holds no object` };
  if (data.kind === DRILL_EVIDENCE_KIND) return readDrillEvidence(path, data, category);
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
    providerBackups?: ProviderBackup[];
    recovery?: Controls['recovery'];
    rows: Record<
      string,
      { owner?: string; alerts?: string[]; recoveryTests?: Array<Record<string, string>> }
    >;
  };
  const controls: Controls = { file, categories: {} };
  if (data.recovery) controls.recovery = data.recovery;
  if (data.providerBackups) controls.providerBackups = data.providerBackups;
  for (const [key, value] of Object.entries(data.rows)) {
    const category = CATEGORY_BY_ROW_KEY.get(rowKey(key));
    if (!category) {
      throw new InputError(
        `controls file ${file}: unknown row "${key}" (rows: ${TABLE_CATEGORIES.join(', ')})`,
      );
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
        const evidence = readEvidence(resolve(dirname(file), t.evidence), category);
        if (evidence.problem) test.problem = evidence.problem;
        test.result ??= evidence.result;
        test.date ??= evidence.date;
      }
      return test;
    });
    const categoryControls: CategoryControls = { alerts: value.alerts ?? [], recoveryTests: tests };
    if (value.owner?.trim()) categoryControls.owner = value.owner.trim();
    controls.categories[category] = categoryControls;
  }
  return controls;
}
