import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadControls } from '../../src/loaders/controls.ts';
import { TABLE_CATEGORIES } from '../../src/model/categories.ts';

const work = mkdtempSync(join(tmpdir(), 'dalp-controls-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('the example in docs/controls.md is charts/examples/controls.yaml, and it loads with its evidence files read', () => {
  const doc = readFileSync(new URL('../../../../docs/controls.md', import.meta.url), 'utf8');
  const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
  const file = fileURLToPath(new URL('../../../../charts/examples/controls.yaml', import.meta.url));
  assert.equal(example, readFileSync(file, 'utf8'), 'the page shows the example file as it is');
  const controls = loadControls(file);
  assert.deepEqual(Object.keys(controls.categories).sort(), [...TABLE_CATEGORIES].sort());
  assert.equal(controls.recovery?.method, 'gitops');
  assert.deepEqual(
    controls.providerBackups?.map((b) => b.alert),
    ['dalp-rds-backup-age', 'DalpObjectStorageErrors'],
  );
  const zone = controls.categories['Scheduling posture']!.recoveryTests[0]!;
  assert.equal(zone.problem, undefined);
  assert.equal(zone.result, 'pass');
  assert.equal(zone.date?.toISOString(), '2026-11-03T10:00:00.000Z');
  assert.equal(controls.categories['Managed PostgreSQL']!.recoveryTests[0]!.result, 'pass');
});

test('a provider-managed backup needs a name and the alert that watches it', () => {
  const file = join(work, 'backups.yaml');
  writeFileSync(file, 'providerBackups:\n  - {name: RDS snapshots}\nrows: {}\n');
  assert.throws(() => loadControls(file), /providerBackups\/0 must have required property 'alert'/);
});

test('kebab-case row names are accepted; a date that is no date is reported on the test', () => {
  const file = join(work, 'kebab.yaml');
  writeFileSync(
    file,
    'rows:\n  managed-cache:\n    owner: me\n    recoveryTests: [{name: t, date: "last week", result: pass}]\n',
  );
  const controls = loadControls(file);
  assert.match(controls.categories['Managed cache']!.recoveryTests[0]!.problem!, /"last week" is not a date/);
});
