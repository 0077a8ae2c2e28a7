import assert from 'node:assert/strict';
import { test } from 'node:test';
import { terminalProgress } from '../../src/progress.ts';

const counts = { requests: 12, failed: 1, acknowledgedWrites: 7, inFlight: 2 };

test('in a terminal: one line rewritten in place, ended by the verdict line', () => {
  let out = '';
  const p = terminalProgress((t) => {
    out += t;
  }, true);
  p.phase('pod-crash', 'fault');
  p.counts('pod-crash', 'fault', 4.2, counts);
  p.counts('pod-crash', 'recovery', 5.2, counts);
  p.done('pod-crash', 'PASS');
  assert.equal(
    out,
    '\r\x1b[2Kpod-crash [fault]   4 s  12 requests, 1 failed, 7 writes acknowledged, 2 in flight' +
      '\r\x1b[2Kpod-crash [recovery]   5 s  12 requests, 1 failed, 7 writes acknowledged, 2 in flight' +
      '\r\x1b[2Kpod-crash: PASS\n',
  );
});

test('in a file or pipe: plain lines, a phase per line and counts every few seconds', () => {
  const lines: string[] = [];
  const p = terminalProgress((t) => lines.push(t), false, 5);
  p.phase('pod-crash', 'warm-up');
  for (const s of [0.5, 1, 2, 4.9, 5.1, 6, 10.2]) p.counts('pod-crash', 'warm-up', s, counts);
  p.done('pod-crash', 'PASS');
  assert.deepEqual(lines, [
    'pod-crash: warm-up\n',
    'pod-crash: warm-up 1 s, 12 requests, 1 failed, 7 writes acknowledged, 2 in flight\n',
    'pod-crash: warm-up 5 s, 12 requests, 1 failed, 7 writes acknowledged, 2 in flight\n',
    'pod-crash: warm-up 10 s, 12 requests, 1 failed, 7 writes acknowledged, 2 in flight\n',
    'pod-crash: PASS\n',
  ]);
});
