import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadControls } from '../src/controls.ts';
import { TABLE_ROWS } from '../src/types.ts';

const work = mkdtempSync(join(tmpdir(), 'dalp-controls-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('the example in docs/controls.md loads, with its evidence files read', () => {
  const doc = readFileSync(new URL('../../../docs/controls.md', import.meta.url), 'utf8');
  const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(example, 'no yaml block in docs/controls.md');
  const file = join(work, 'controls.yaml');
  writeFileSync(file, example);
  mkdirSync(join(work, 'drills'));
  writeFileSync(
    join(work, 'drills', 'zone-2026-11-03.json'),
    JSON.stringify({ result: 'pass', finishedAt: '2026-11-03T10:00:00Z' }),
  );
  writeFileSync(
    join(work, 'drills', 'database-2026-11-04.json'),
    JSON.stringify({ passed: false, date: '2026-11-04' }),
  );
  const controls = loadControls(file);
  assert.deepEqual(Object.keys(controls.rows).sort(), [...TABLE_ROWS].sort());
  assert.equal(controls.recovery?.method, 'gitops');
  const zone = controls.rows['Scheduling posture']!.recoveryTests[0]!;
  assert.equal(zone.result, 'pass');
  assert.equal(zone.date?.toISOString(), '2026-11-03T10:00:00.000Z');
  const db = controls.rows['Managed PostgreSQL']!.recoveryTests[0]!;
  assert.equal(db.result, 'fail');
});

test('kebab-case row names are accepted; a date that is no date is reported on the test', () => {
  const file = join(work, 'kebab.yaml');
  writeFileSync(
    file,
    'rows:\n  managed-cache:\n    owner: me\n    recoveryTests: [{name: t, date: "last week", result: pass}]\n',
  );
  const controls = loadControls(file);
  assert.match(controls.rows['Managed cache']!.recoveryTests[0]!.problem!, /"last week" is not a date/);
});
