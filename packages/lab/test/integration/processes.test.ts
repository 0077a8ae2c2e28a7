import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, test } from 'node:test';
import { freePorts, waitFor } from '../../src/index.ts';
import { pidAlive } from '../../src/processes.ts';

const fixture = new URL('../fixtures/abandon-servers.ts', import.meta.url).pathname;

interface Abandoned {
  ports: number[];
  pids: number[];
  dirs: string[];
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/** Runs the fixture, which starts PostgreSQL and Redis and then ends without stopping them. */
async function abandon(mode: 'exit' | 'throw' | 'signal'): Promise<{ info: Abandoned; code: number | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let ended = false;
  child.once('exit', () => {
    ended = true;
  });
  const info = await waitFor(
    () => {
      if (stdout.includes('\n')) return JSON.parse(stdout.split('\n')[0]!) as Abandoned;
      if (ended) throw new Error(`the fixture ended early: ${stderr}`);
      return undefined;
    },
    30_000,
    `the fixture to start its servers (stderr: ${stderr})`,
  );
  if (mode === 'signal') child.kill('SIGTERM');
  return { info, code: await exited };
}

async function assertNothingLeft(info: Abandoned): Promise<void> {
  assert.equal(info.pids.length, 2);
  for (const pid of info.pids) {
    assert.ok(Number.isInteger(pid) && pid > 1, `bad pid ${pid}`);
    // SIGKILL was sent before the fixture exited; the kernel may take a moment to finish the process.
    await waitFor(() => !pidAlive(pid), 5_000, `process ${pid} to be gone`);
  }
  for (const port of info.ports) assert.equal(await refused(port), true, `port ${port} still answers`);
  for (const dir of info.dirs) assert.equal(existsSync(dir), false, `${dir} was not removed`);
}

describe('cleanup registry', () => {
  test('process.exit kills every server and removes its directory', async () => {
    const { info, code } = await abandon('exit');
    assert.equal(code, 3);
    await assertNothingLeft(info);
  });

  test('an uncaught exception does too', async () => {
    const { info, code } = await abandon('throw');
    assert.equal(code, 1);
    await assertNothingLeft(info);
  });

  test('SIGTERM does too, and the process still ends with 143', async () => {
    const { info, code } = await abandon('signal');
    assert.equal(code, 143);
    await assertNothingLeft(info);
  });
});

describe('freePorts', () => {
  test('never hands out the same port twice in a process', async () => {
    const ports = await freePorts(200);
    assert.equal(new Set(ports).size, 200);
    for (const port of ports.slice(0, 5)) assert.equal(await refused(port), true);
  });
});
