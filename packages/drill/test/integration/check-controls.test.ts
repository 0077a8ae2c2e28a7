// `dalp check --controls` with `dalp drill` evidence as the rows' recovery tests, through the CLI: the
// recorded `dalp drill all` (fixtures/evidence-lab-all.json: zone-partition failed, the rest passed).
// The lab drill test does the same with evidence it has just written.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dalp } from '../../../cli/test/support/run-cli.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/evidence-lab-all.json', import.meta.url));
/** restore-pitr and restore-latest on a lab, both passed (docs/backup-restore.md). */
const RESTORE = fileURLToPath(new URL('../fixtures/evidence-lab-restore.json', import.meta.url));
const CHART = fileURLToPath(
  new URL('../../../check/test/fixtures/rules/controls-recovery-test/pass.yaml', import.meta.url),
);
const FINISHED = JSON.parse(readFileSync(FIXTURE, 'utf8')).finishedAt as string;

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'dalp-drill-controls-'));
  copyFileSync(FIXTURE, join(work, 'evidence.json'));
  const evidence = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  writeFileSync(join(work, 'v2.json'), JSON.stringify({ ...evidence, version: 2 }));
  copyFileSync(RESTORE, join(work, 'restore.json'));
  const restore = JSON.parse(readFileSync(RESTORE, 'utf8'));
  restore.drills[1].result = 'fail';
  writeFileSync(join(work, 'restore-failed.json'), JSON.stringify({ ...restore, result: 'fail' }));
});
after(() => rmSync(work, { recursive: true, force: true }));

async function recoveryFindings(rows: Record<string, string>, now = FINISHED) {
  const controls = join(work, 'controls.yaml');
  writeFileSync(
    controls,
    `rows:\n${Object.entries(rows)
      .map(([row, file]) => `  ${row}:\n    recoveryTests: [{name: drills, evidence: ${file}}]\n`)
      .join('')}`,
  );
  const run = await dalp(['check', CHART, '--controls', controls, '--now', now, '--format', 'json']);
  assert.ok(run.code === 0 || run.code === 1, run.stderr);
  const findings = (JSON.parse(run.stdout) as { findings: { rule: string; row: string; message: string }[] })
    .findings;
  return new Map(findings.filter((f) => f.rule === 'controls-recovery-test').map((f) => [f.row, f.message]));
}

test('each row counts the drills that name it: passed ones pass, a failed one fails the row', async () => {
  const messages = await recoveryFindings({
    'Managed PostgreSQL': 'evidence.json',
    'Managed cache': 'evidence.json',
    'Object storage': 'evidence.json',
    'Replica posture': 'evidence.json',
    'Kubernetes resources': 'evidence.json',
    'Scheduling posture': 'evidence.json',
  });
  // Rows left out of the file are findings of their own ("row missing"); of the six given, only the
  // one whose drills include the failed zone-partition fails.
  const given = [...messages].filter(([, m]) => m !== 'row missing from the controls file');
  assert.deepEqual(given, [
    [
      'Scheduling posture',
      `no passing recovery test within 90 days (drills: evidence file ${join(work, 'evidence.json')}: zone-partition fail)`,
    ],
  ]);
});

test('a file with no drill for the row, or of another version, does not count; the finding says why', async () => {
  const messages = await recoveryFindings({ Observability: 'evidence.json', 'Managed cache': 'v2.json' });
  assert.match(
    messages.get('Observability')!,
    /has no drill that tests Observability \(its drills: pod-crash, pod-hang, .*, app-tier-rebuild\)/,
  );
  assert.match(messages.get('Managed cache')!, /is dalp-drill-evidence version 2; this dalp reads version 1/);
});

test('drill evidence ages like any recovery test: half a year later it no longer counts', async () => {
  const later = new Date(Date.parse(FINISHED) + 180 * 24 * 3600 * 1000).toISOString();
  const messages = await recoveryFindings({ 'Managed PostgreSQL': 'evidence.json' }, later);
  assert.match(messages.get('Managed PostgreSQL')!, /drills: 180 days old \(bound 90\)/);
});

test('the restore drills are the restore test of Managed PostgreSQL, and of nothing else', async () => {
  const restoreFinished = JSON.parse(readFileSync(RESTORE, 'utf8')).finishedAt as string;
  const passed = await recoveryFindings(
    { 'Managed PostgreSQL': 'restore.json', 'Object storage': 'restore.json' },
    restoreFinished,
  );
  assert.equal(passed.get('Managed PostgreSQL'), undefined, 'a passed restore drill is a passing test');
  assert.match(
    passed.get('Object storage')!,
    /has no drill that tests Object storage \(its drills: restore-pitr, restore-latest\)/,
  );
  const failed = await recoveryFindings({ 'Managed PostgreSQL': 'restore-failed.json' }, restoreFinished);
  assert.match(failed.get('Managed PostgreSQL')!, /restore-latest fail/);
});
