import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Haproxy, startHaproxy } from '@dalp/lab';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildConsole } from '../support/console-build.ts';
import {
  Client,
  idempotencyKey,
  type ServiceProcess,
  seedLedger,
  spawnService,
  TestDatabase,
  waitUntil,
} from '../support/helpers.ts';

// The console and the HA design (issue 19): two dapp replicas behind HAProxy, the session in PostgreSQL. A
// person signed in keeps working when the replica that served them is killed, and a transfer submitted
// while the database restarts is retried by the console with the same idempotency key and recorded once.

const CHROMIUM = '/usr/bin/chromium';
const ADMIN_KEY = 'console-ha-admin-key-7d2e4f9a1b3c5e60';
/** Bounds a wait on a shared machine; no speed is asserted. */
const WAIT = 60_000;

let db: TestDatabase;
let haproxy: Haproxy;
let browser: Browser;
const replicas: ServiceProcess[] = [];

before(async () => {
  buildConsole();
  db = await TestDatabase.start();
  const env = { DATABASE_URL: await db.createDatabase(), DALP_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY };
  for (let i = 0; i < 2; i++) {
    const replica = await spawnService(env);
    replicas.push(replica);
    await waitUntil(
      'replica ready',
      async () => (await fetch(`${replica.url}/readyz`)).status === 200,
      90_000,
    );
  }
  haproxy = await startHaproxy({
    frontends: [
      {
        name: 'dapp',
        kind: 'http',
        backends: replicas.map((r) => ({ name: `dapp-${r.port}`, port: r.port })),
      },
    ],
  });
  for (const r of replicas) await haproxy.waitForServer('dapp', `dapp-${r.port}`, 'UP');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
after(async () => {
  await browser?.close();
  for (const r of replicas) r.child.kill('SIGKILL');
  await haproxy?.stop();
  await db?.destroy();
});

const replicaId = async (url: string) =>
  ((await (await fetch(`${url}/readyz`)).json()) as { replica: string }).replica;

async function transfer(page: Page, amount: string): Promise<void> {
  await page.getByLabel('Action').selectOption('transfer');
  await page.getByLabel('From investor').selectOption({ index: 0 });
  await page.getByLabel('To investor').selectOption({ index: 1 });
  await page.getByLabel(/^Amount/).fill(amount);
  await page.getByRole('button', { name: 'Transfer' }).click();
}

describe('the console behind HAProxy', () => {
  test('a signed-in person keeps working when their replica is killed; a transfer during a database restart is recorded once', async () => {
    const lbUrl = `http://127.0.0.1:${haproxy.port('dapp')}`;
    const lb = new Client(lbUrl, ADMIN_KEY);
    const { assetId, symbol, investors } = await seedLedger(lb, { investors: 2 });
    const minted = await lb.post(
      `/api/v1/assets/${assetId}/mint`,
      { to: investors[0], amount: '1000' },
      { 'idempotency-key': idempotencyKey() },
    );
    assert.equal(minted.status, 201);

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    await page.goto(`${lbUrl}/`);
    await page.getByLabel('API key').fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Assets' }).waitFor();

    // Which replica is serving this person: the operations page says, and each replica's /readyz names it.
    await page.getByRole('link', { name: 'Operations' }).click();
    const shown = await page.getByTestId('replica').textContent();
    const ids = await Promise.all(replicas.map((r) => replicaId(r.url)));
    const served = ids.indexOf(shown ?? '');
    assert.ok(served >= 0, `the page names one of the replicas (${shown}; ${ids.join(', ')})`);
    const survivor = 1 - served;

    // Killed without warning (no drain): a node lost, not a rolling restart.
    replicas[served]!.child.kill('SIGKILL');
    await replicas[served]!.exited;
    // The live operations page moves to the replica left, with no new sign-in.
    await page.getByTestId('replica').getByText(ids[survivor]!, { exact: true }).waitFor();

    await page.goto(`${lbUrl}/#/assets/${assetId}`);
    await page.getByRole('heading', { level: 1, name: new RegExp(`^${symbol}`) }).waitFor();
    await transfer(page, '7');
    await page.getByText(`Transfer of 7 ${symbol} recorded.`).waitFor();

    // The database restarts while a transfer is submitted: the platform answers 503 and the console says it
    // retries with the same idempotency key; the database returns and the transfer is recorded, once.
    await db.server.stop();
    await transfer(page, '11');
    await page
      .getByText(/retrying with the same idempotency key|sending again with the same idempotency key/)
      .waitFor();
    await db.server.start();
    await page.getByText(`Transfer of 11 ${symbol} recorded.`).waitFor();

    // Reading the books back needs a serving platform. Right after a database restart the replica's
    // readiness can drop again for a health-check interval, and the balancer then has no server: seen once
    // in a clean-clone run, as a 503 on this read right after the transfer was recorded (the likely cause,
    // not confirmed: a connection attempt that met the server while it was starting reports the database
    // down). What this test proves is the transfer recorded once, so the read waits for the platform.
    let journal: { status: number; body: any } = { status: 0, body: undefined };
    await waitUntil(
      'the platform to serve reads after the database restart',
      async () => {
        journal = await lb.get(`/api/v1/assets/${assetId}/journal?limit=100`);
        return journal.status === 200;
      },
      WAIT,
    );
    assert.equal(journal.status, 200, JSON.stringify(journal.body));
    const transfers = journal.body.items
      .filter((e: { kind: string }) => e.kind === 'transfer')
      .map((e: { amount: string }) => e.amount);
    assert.deepEqual(transfers, ['11', '7'], 'each transfer once, newest first');
    const holders = await lb.get(`/api/v1/assets/${assetId}/holders`);
    const balances = Object.fromEntries(
      holders.body.holders.map((h: { investorId: string; balance: string }) => [h.investorId, h.balance]),
    );
    // The form's first choice is the first investor registered (the list is in creation order).
    assert.deepEqual(balances, { [investors[0]!]: '982', [investors[1]!]: '18' });
    assert.deepEqual(errors, []);
    await context.close();
  });
});
