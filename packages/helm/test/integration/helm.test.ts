import assert from 'node:assert/strict';
import { test } from 'node:test';
import { helmPath, runHelm } from '../../src/index.ts';

test('the bundled helm binary runs and is Helm v3 or newer', () => {
  assert.match(helmPath(), /helm$/);
  const result = runHelm(['version', '--short']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^v[34]\.\d+\.\d+/);
});

test('a failing helm command reports its exit status instead of throwing', () => {
  const result = runHelm(['template', '/nonexistent-chart-dir']);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /nonexistent-chart-dir|not found|no such file/i);
});
