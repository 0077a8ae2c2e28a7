// Bad use of `dalp drill`: one line on stderr and exit 2, before any lab is started or cluster called.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dalp } from '../../../cli/test/support/run-cli.ts';

const cases: [string[], RegExp][] = [
  [['drill', 'meteor-strike'], /unknown scenario "meteor-strike"; scenarios: pod-crash, .*, or all/],
  [['drill', 'pod-crash', '--threshold', 'speed=3'], /threshold/],
  [['drill', 'pod-crash', '--rate', '0'], /--rate must be a number above 0 and at most 200, got "0"/],
  [['drill', 'pod-crash', '--target', 'kubernetes'], /--target kubernetes needs --url and --namespace/],
  [
    [
      'drill',
      'database-failover',
      '--target',
      'kubernetes',
      '--url',
      'https://dalp.example',
      '--namespace',
      'dalp',
    ],
    /database-failover on kubernetes needs --fault-command/,
  ],
  [['drill', 'all', '--fault-command', 'true'], /--fault-command goes with one scenario, not with "all"/],
  [['drill', 'pod-crash', '--fault-command', 'true'], /pod-crash on lab injects its own fault/],
];

test('bad usage of dalp drill is one line and exit 2', async () => {
  for (const [args, message] of cases) {
    const run = await dalp(args);
    assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')}: ${run.stderr}`);
    assert.match(lines[0]!, message);
  }
});
