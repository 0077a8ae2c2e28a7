import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildConsole } from '../support/console-build.ts';
import { banner, embeddedDatabase, embeddedDataDir } from '../support/embedded-support.ts';
import { Client, type ServiceProcess, spawnService } from '../support/helpers.ts';

// The web console in a real headless Chromium (Debian's, driven by playwright-core) against a real dapp on
// embedded defaults, as `npm start` runs it: no DATABASE_URL (its own PostgreSQL), the in-process cache and
// the filesystem object store, its admin key generated at first start (issue 19): a person signs in, creates and activates an asset, registers and verifies
// investors, mints and transfers, sees holders and journal change, is refused with the API's reason,
// uploads and downloads a document, and loses the session when its key is revoked. axe-core checks every
// page; a screenshot of each is written (DALP_CONSOLE_SCREENSHOTS=docs/images refreshes docs/console.md's).

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = process.env.DALP_CONSOLE_SCREENSHOTS ?? join(tmpdir(), 'dalp-console-screenshots');
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
/** Generous: the machine is shared; these bound a wait, they assert no speed. */
const WAIT = 30_000;
const DOCUMENT_MAX_BYTES = 3 * 1024 * 1024;

let data: ReturnType<typeof embeddedDataDir>;
let dapp: ServiceProcess;
/** The running dapp: its URL, its generated admin key (and a client with it), SQL on its own database. */
let svc: {
  url: string;
  adminKey: string;
  admin: Client;
  sql: ReturnType<typeof embeddedDatabase>['sql'];
};
let browser: Browser;
let admin: BrowserContext;
let page: Page;
const problems: string[] = [];
const symbol = `C${Date.now().toString(36).toUpperCase()}`;

function watch(p: Page): void {
  // A CSP violation, a script error or a failed load is an error on the console.
  // Refusals the test provokes (a 401 sign-in, a 422 transfer) are logged by Chromium as failed loads.
  p.on('console', (m) => {
    if (m.type() === 'error' && !/the server responded with a status of 4\d\d/.test(m.text()))
      problems.push(`console: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Lifecycle actions and deletions ask first; the person says yes.
  p.on('dialog', (d) => void d.accept());
}

async function newSession(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const p = await context.newPage();
  p.setDefaultTimeout(WAIT);
  watch(p);
  return { context, page: p };
}

/** axe-core on the page as it is: no serious or critical violation (WCAG 2 A/AA and best practices). */
async function axe(p: Page, name: string): Promise<void> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (a <script> would be).
  await p.evaluate(AXE);
  const result = (await p.evaluate(() =>
    (globalThis as unknown as { axe: { run(o: unknown): Promise<unknown> } }).axe.run({
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    }),
  )) as { violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> };
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(serious, [], `axe on the ${name} page`);
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true });
}

const heading = (p: Page, name: string | RegExp) => p.getByRole('heading', { level: 1, name }).waitFor();
const see = (p: Page, text: string | RegExp) => p.getByText(text).first().waitFor();

interface Focus {
  tag: string;
  id: string;
  name: string;
  visible: boolean;
  outline: string;
}

/** What has the focus: its tag, id, accessible name (aria-label or text) and whether it shows it. */
// A string, evaluated in the page: these tests are compiled without the DOM's types.
const focused = (p: Page): Promise<Focus> =>
  p.evaluate(`(() => {
    const el = document.activeElement;
    return {
      tag: el ? el.tagName.toLowerCase() : '',
      id: el ? el.id : '',
      name: el ? (el.getAttribute('aria-label') ?? el.textContent ?? '').trim() : '',
      visible: el ? el.matches(':focus-visible') : false,
      outline: el ? getComputedStyle(el).outlineStyle : 'none',
    };
  })()`) as Promise<Focus>;

/**
 * Presses Tab until the focus reaches what `target` accepts. Each press must move the focus to another
 * element, and each element must show that it has the focus (:focus-visible, with an outline).
 */
async function tabTo(p: Page, what: string, target: (f: Focus) => boolean): Promise<void> {
  let previous = await focused(p);
  for (let press = 0; press < 80; press++) {
    await p.keyboard.press('Tab');
    const now = await focused(p);
    const where = `${now.tag}#${now.id} "${now.name.slice(0, 40)}"`;
    assert.ok(now.tag !== 'body', `Tab towards ${what} left the page's controls`);
    assert.ok(
      now.id !== previous.id || now.name !== previous.name || now.tag !== previous.tag,
      `Tab moved the focus (${where})`,
    );
    assert.ok(now.visible && now.outline !== 'none', `the focus on ${where} is visible`);
    if (target(now)) return;
    previous = now;
  }
  assert.fail(`Tab never reached ${what}`);
}

async function signIn(p: Page, key: string): Promise<void> {
  await p.goto(`${svc.url}/`);
  await heading(p, 'Sign in to DALP');
  // Keyboard only: the heading has focus, Tab reaches the key field, Enter submits.
  await p.keyboard.press('Tab');
  assert.equal(await p.evaluate('document.activeElement?.id'), 'api-key');
  await p.keyboard.type(key);
  await p.keyboard.press('Enter');
  await heading(p, 'Assets');
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  buildConsole();
  // A process of its own on a fresh data directory (as root, the service places PostgreSQL's files where
  // the postgres OS user can reach them; `remove()` clears them). No DATABASE_URL, CACHE_URL or
  // OBJECT_STORE_DRIVER: the embedded defaults (their absence is asserted below, through /readyz).
  for (const name of ['DATABASE_URL', 'CACHE_URL', 'CACHE_SENTINELS', 'OBJECT_STORE_DRIVER'])
    assert.equal(process.env[name], undefined, `${name} is not set for a test of the embedded defaults`);
  data = embeddedDataDir('console');
  const env: Record<string, string> = {
    DALP_DATA_DIR: data.path,
    // Not the default 25 MiB, so the upload hint is seen to come from this service's configuration.
    DOCUMENT_MAX_BYTES: String(DOCUMENT_MAX_BYTES),
  };
  dapp = await spawnService(env);
  await banner(dapp);
  const adminKey = readFileSync(join(data.path, 'admin-api-key'), 'utf8').trim();
  svc = {
    url: dapp.url,
    adminKey,
    admin: new Client(dapp.url, adminKey),
    sql: embeddedDatabase(data.path).sql,
  };
  assert.match(dapp.output(), /DALP is running on embedded defaults/);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  ({ context: admin, page } = await newSession());
});
after(async () => {
  await browser?.close();
  if (dapp && dapp.child.exitCode === null) {
    dapp.child.kill('SIGTERM');
    await dapp.exited;
  }
  data?.remove();
});

describe('the web console in Chromium', () => {
  test('sign-in refuses a wrong key with the API’s message, then admits the right one', async () => {
    await page.goto(`${svc.url}/`);
    await heading(page, 'Sign in to DALP');
    await axe(page, 'sign-in');
    await shot(page, 'sign-in');
    await page.getByLabel('API key').fill('dalp_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await see(page, 'the API key is not valid');
    await signIn(page, svc.adminKey);
    // The key is not kept by the browser: only an HttpOnly session cookie.
    const cookies = await admin.cookies();
    assert.deepEqual(
      cookies.map((c) => [c.name, c.httpOnly, c.sameSite]),
      [['dalp_session', true, 'Strict']],
    );
    assert.equal(await page.evaluate('document.cookie'), '', 'no script can read the session');
  });

  test('assets: a refused field shows the API’s reason next to it; create, then activate after confirming', async () => {
    // More assets than one page of the list (50), all older than the console's: the console's asset is not
    // on the first unfiltered page, so finding it below takes the server's search, not the loaded rows.
    for (let i = 0; i < 51; i++) {
      const bulk = await svc.admin.post('/api/v1/assets', {
        symbol: `BULK${i}`,
        name: `Bulk stable ${i}`,
        type: 'stablecoin',
        decimals: 0,
      });
      assert.equal(bulk.status, 201);
    }
    await page.getByLabel('Symbol', { exact: true }).fill('lower case');
    await page.getByLabel('Name', { exact: true }).fill('Console Fund');
    await page.getByRole('button', { name: 'Create asset' }).click();
    const fieldError = page.locator('#asset-symbol-error');
    await fieldError.waitFor();
    assert.match((await fieldError.textContent()) ?? '', /symbol/);
    await page.getByLabel('Symbol', { exact: true }).fill(symbol);
    await page.getByLabel('Type', { exact: true }).selectOption('fund');
    await page.getByLabel('Decimals', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Create asset' }).click();
    await see(page, `Created ${symbol} as a draft.`);
    await page.getByRole('button', { name: `Activate ${symbol}` }).click();
    await see(page, `${symbol} is now active.`);
    // Search and filters are the API's (GET /assets?q&type&status), with its paging.
    const caption = (text: string) => page.locator('caption', { hasText: new RegExp(`^${text}$`) }).waitFor();
    const search = page.getByLabel('Search symbol or name');
    const statusFilter = page.getByLabel('Filter by status');
    const typeFilter = page.getByLabel('Filter by type');
    await page.reload();
    await heading(page, 'Assets');
    await caption('50 assets, more to load');
    assert.equal(await page.getByRole('link', { name: symbol }).count(), 0, 'not on the first page');
    await search.fill(symbol.toLowerCase());
    await caption('1 asset matching the filters');
    await statusFilter.selectOption('draft');
    await caption('0 assets matching the filters');
    await statusFilter.selectOption('active');
    await caption('1 asset matching the filters');
    await page.getByRole('link', { name: symbol }).waitFor();
    await axe(page, 'assets');
    await shot(page, 'assets');
    await search.fill('');
    await statusFilter.selectOption('');
    await typeFilter.selectOption('stablecoin');
    await caption('50 assets matching the filters, more to load');
    await page.getByRole('button', { name: 'Load more assets' }).click();
    await caption('51 assets matching the filters');
    assert.equal(await page.getByRole('button', { name: 'Load more assets' }).count(), 0);
    assert.equal(await page.getByRole('link', { name: symbol }).count(), 0, 'a fund is not a stablecoin');
  });

  test('investors: register three, verify two', async () => {
    await page.getByRole('link', { name: 'Investors' }).click();
    await heading(page, 'Investors');
    for (const [name, country] of [
      ['Alice Console', 'BE'],
      ['Bob Console', 'NL'],
      ['Carol Pending', 'BE'],
    ] as const) {
      await page.getByLabel('Name').fill(name);
      await page.getByLabel('Country', { exact: true }).fill(country);
      await page.getByRole('button', { name: 'Register investor' }).click();
      await see(page, `Registered ${name}.`);
    }
    for (const name of ['Alice Console', 'Bob Console']) {
      await page.getByLabel(`KYC status of ${name}`).selectOption('verified');
      await see(page, `${name}: KYC verified, country`);
    }
    await axe(page, 'investors');
    await shot(page, 'investors');
  });

  test('asset page: mint and transfer in display units; holders and journal follow; a refusal shows its reason', async () => {
    await page.getByRole('link', { name: 'Assets' }).click();
    await page.getByLabel('Search symbol or name').fill(symbol);
    await page.getByRole('link', { name: symbol }).click();
    await heading(page, new RegExp(`^${symbol}`));
    await page.getByLabel('Action').selectOption('mint');
    await page.getByLabel('To investor').selectOption({ label: 'Alice Console (BE, verified)' });
    await page.getByLabel(`Amount (${symbol})`).fill('100.5');
    await page.getByRole('button', { name: 'Mint' }).click();
    await see(page, `Mint of 100.5 ${symbol} recorded.`);
    await page.getByTestId('total-supply').getByText('100.5', { exact: true }).waitFor();

    await page.getByLabel('Action').selectOption('transfer');
    await page.getByLabel('From investor').selectOption({ label: 'Alice Console (BE, verified)' });
    await page.getByLabel('To investor').selectOption({ label: 'Bob Console (NL, verified)' });
    await page.getByLabel(`Amount (${symbol})`).fill('20.25');
    await page.getByRole('button', { name: 'Transfer' }).click();
    await see(page, `Transfer of 20.25 ${symbol} recorded.`);
    const holders = page.getByTestId('holders');
    await holders.getByRole('row', { name: 'Bob Console 20.25' }).waitFor();
    await holders.getByRole('row', { name: 'Alice Console 80.25' }).waitFor();
    // The API received base units: 100.5 with two decimals is 10050.
    const entries = await svc.sql('SELECT kind, amount::text FROM journal ORDER BY created_at');
    assert.deepEqual(
      entries.map((e) => [e.kind, e.amount]),
      [
        ['mint', '10050'],
        ['transfer', '2025'],
      ],
    );
    const journalRows = page.getByTestId('journal').locator('tbody tr');
    assert.equal(await journalRows.count(), 2);
    assert.match((await journalRows.nth(0).textContent()) ?? '', /transfer/, 'newest first');

    // Refused: Carol is not KYC verified; and Bob holds less than he would send.
    await page.getByLabel('To investor').selectOption({ label: 'Carol Pending (BE, pending)' });
    await page.getByLabel(`Amount (${symbol})`).fill('1');
    await page.getByRole('button', { name: 'Transfer' }).click();
    await see(page, /Transfer refused: .*has KYC status pending/);
    await page.getByLabel('From investor').selectOption({ label: 'Bob Console (NL, verified)' });
    await page.getByLabel('To investor').selectOption({ label: 'Alice Console (BE, verified)' });
    await page.getByLabel(`Amount (${symbol})`).fill('30');
    await page.getByRole('button', { name: 'Transfer' }).click();
    // The API's message in base units, and next to it the same in the units the page shows.
    await see(page, `holds 2025, less than 3000 (in ${symbol}: holds 20.25, less than 30)`);
    await see(page, /Transfer refused: investor .* holds 2025, less than 3000/);
    // Too many decimals never reaches the API.
    await page.getByLabel(`Amount (${symbol})`).fill('1.234');
    await page.getByRole('button', { name: 'Transfer' }).click();
    await see(page, 'This asset has 2 decimals: at most 2 digits after the point.');
    assert.equal((await svc.sql('SELECT 1 FROM journal')).length, 2);
    await axe(page, 'asset');
    await shot(page, 'asset');

    // A narrow window: nothing is wider than the screen (tables scroll inside their own box).
    await page.setViewportSize({ width: 360, height: 780 });
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number;
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a 360px window`);
    await axe(page, 'asset (narrow)');
    await shot(page, 'asset-narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test('documents: the configured size limit is explained; upload with progress, download the same bytes, delete', async () => {
    await see(page, 'Any file type, up to 3 MiB (this platform’s limit).');
    await page.getByLabel('Document file').setInputFiles({
      name: 'too-big.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(DOCUMENT_MAX_BYTES + 1),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await see(page, 'too-big.bin is larger than 3 MiB, this platform’s limit for a document.');
    assert.equal((await svc.sql('SELECT 1 FROM documents')).length, 0, 'nothing was sent');
    const bytes = Buffer.from(`prospectus of ${symbol}\n`.repeat(2000));
    await page
      .getByLabel('Document file')
      .setInputFiles({ name: 'prospectus.txt', mimeType: 'text/plain', buffer: bytes });
    await page.getByRole('button', { name: 'Upload' }).click();
    await see(page, 'Uploaded prospectus.txt.');
    // The filesystem object store of the embedded defaults: the bytes are in the data directory.
    const stored = readdirSync(join(data.path, 'objects'), { recursive: true, withFileTypes: true }).filter(
      (e) => e.isFile() && !e.name.endsWith('.type'),
    );
    assert.equal(stored.length, 1, 'one object in the data directory');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'prospectus.txt' }).click(),
    ]);
    assert.deepEqual(readFileSync((await download.path())!), bytes);
    await page.getByRole('button', { name: 'Delete prospectus.txt' }).click();
    await see(page, 'Deleted prospectus.txt.');
    assert.equal(await page.getByRole('link', { name: 'prospectus.txt' }).count(), 0);
  });

  test('the journal pages newest first, 20 at a time', async () => {
    const assets = await svc.admin.get('/api/v1/assets?limit=200');
    const asset = assets.body.items.find((a: { symbol: string }) => a.symbol === symbol);
    const investors = await svc.admin.get('/api/v1/investors?limit=200');
    const alice = investors.body.items.find((i: { name: string }) => i.name === 'Alice Console');
    // 20 more mints of 1..20 hundredths: with the mint and the transfer, 22 entries.
    for (let i = 1; i <= 20; i++) {
      const minted = await svc.admin.post(
        `/api/v1/assets/${asset.id}/mint`,
        { to: alice.id, amount: String(i) },
        { 'idempotency-key': `journal-page-${i}` },
      );
      assert.equal(minted.status, 201);
    }
    await page.reload();
    await heading(page, new RegExp(`^${symbol}`));
    const rows = page.getByTestId('journal').locator('tbody tr');
    await rows.nth(19).waitFor();
    assert.equal(await rows.count(), 20);
    // Cells: when, kind, from, to, amount, supply after.
    const cells = async (i: number) => (await rows.nth(i).locator('td').allTextContents()).slice(1);
    // The page shows an investor's id until the names have loaded (seen once in a clean-clone run): wait
    // for the name, then read the row.
    await rows.nth(0).getByText('Alice Console').waitFor();
    assert.deepEqual(await cells(0), ['mint', '—', 'Alice Console', '0.2', '102.6'], 'the newest mint first');
    await page.getByRole('button', { name: 'Older entries' }).click();
    await rows.nth(21).waitFor();
    assert.equal(await rows.count(), 22);
    assert.deepEqual(await cells(20), ['transfer', 'Alice Console', 'Bob Console', '20.25', '—']);
    assert.deepEqual(
      await cells(21),
      ['mint', '—', 'Alice Console', '100.5', '100.5'],
      'the first mint last',
    );
    assert.equal(await page.getByRole('button', { name: 'Older entries' }).count(), 0);
  });

  test('keyboard only: activate an asset after its confirmation, then mint (Tab, Enter, Space)', async () => {
    const k = `K${symbol}`;
    const created = await svc.admin.post('/api/v1/assets', {
      symbol: k,
      name: 'Keyboard',
      type: 'fund',
      decimals: 2,
    });
    assert.equal(created.status, 201);
    await page.goto(`${svc.url}/#/assets`);
    await heading(page, 'Assets');
    // The page's heading has the focus; from there, the keyboard only.
    assert.equal(await page.evaluate('document.activeElement?.tagName'), 'H1');
    await tabTo(page, 'the search field', (f) => f.id === 'asset-search');
    await page.keyboard.type(k);
    await page.locator('caption', { hasText: /^1 asset matching the filters$/ }).waitFor();
    await tabTo(page, `Activate ${k}`, (f) => f.name === `Activate ${k}`);
    const dialog = page.waitForEvent('dialog');
    await page.keyboard.press('Enter');
    assert.match((await dialog).message(), new RegExp(`^Activate ${k} \\(Keyboard\\)\\?`));
    await see(page, `${k} is now active.`);

    // The focus stays in the row, on the button that took the place of Activate; Shift+Tab reaches the
    // asset's link before it, and Enter opens the asset.
    const after = await focused(page);
    assert.equal(after.name, `Pause ${k}`, 'the focus stays on the row’s first action');
    assert.ok(after.visible);
    await page.keyboard.press('Shift+Tab');
    const link = await focused(page);
    assert.deepEqual([link.tag, link.name, link.visible], ['a', k, true]);
    await page.keyboard.press('Enter');
    await heading(page, new RegExp(`^${k}`));
    assert.equal(await page.evaluate('document.activeElement?.tagName'), 'H1', 'the new page’s heading');
    // The investors come in their own request; the form is used once they are there.
    await page.locator('#ledger-to option').first().waitFor({ state: 'attached' });
    await tabTo(page, 'the amount', (f) => f.id === 'ledger-amount');
    assert.equal(await page.getByLabel('Action').inputValue(), 'mint');
    assert.equal(
      await page.evaluate("document.getElementById('ledger-to').selectedOptions[0]?.textContent"),
      'Alice Console (BE, verified)',
    );
    await page.keyboard.type('1.5');
    await tabTo(page, 'the Mint button', (f) => f.tag === 'button' && f.name === 'Mint');
    await page.keyboard.press('Space');
    await see(page, `Mint of 1.5 ${k} recorded.`);
    await page.getByTestId('total-supply').getByText('1.5', { exact: true }).waitFor();
    await page.getByTestId('holders').getByRole('row', { name: 'Alice Console 1.5' }).waitFor();
    const minted = await svc.sql(
      'SELECT j.kind, j.amount::text AS amount FROM journal j JOIN assets a ON a.id = j.asset_id WHERE a.symbol = $1',
      [k],
    );
    assert.deepEqual(
      minted.map((e) => [e.kind, e.amount]),
      [['mint', '150']],
    );
  });

  test('operations: the replica, its version and each dependency from /readyz', async () => {
    await page.getByRole('link', { name: 'Operations' }).click();
    await heading(page, 'Operations');
    await page.getByTestId('replica').waitFor();
    const readyz = (await (await fetch(`${svc.url}/readyz`)).json()) as { replica: string; version: string };
    assert.equal(await page.getByTestId('replica').textContent(), readyz.replica);
    await see(page, readyz.version);
    await see(page, 'database');
    await axe(page, 'operations');
    await shot(page, 'operations');
  });

  test('API keys: a new key is shown once; revoking it ends the session signed in with it', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await heading(page, 'API keys');
    await page.getByLabel('Name').fill('console issuer');
    await page.getByLabel('Role').selectOption('issuer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('created-key').textContent()) ?? '';
    assert.match(key, /^dalp_/);
    await axe(page, 'API keys');
    await shot(page, 'api-keys');

    const issuer = await newSession();
    try {
      await signIn(issuer.page, key);
      // What the issuer role may not do is not offered.
      assert.equal(await issuer.page.getByRole('link', { name: 'API keys' }).count(), 0);
      await issuer.page.getByRole('link', { name: 'Investors' }).click();
      await heading(issuer.page, 'Investors');
      assert.equal(await issuer.page.getByRole('button', { name: 'Register investor' }).count(), 0);

      await page.getByRole('button', { name: 'Revoke console issuer' }).click();
      await see(page, 'Revoked console issuer.');
      await issuer.page.getByRole('link', { name: 'Assets' }).click();
      await heading(issuer.page, 'Sign in to DALP');
      await see(issuer.page, /Your session has ended/);
    } finally {
      await issuer.context.close();
    }
  });

  test('sign-out ends the session: a reload asks to sign in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in to DALP');
    await page.reload();
    await heading(page, 'Sign in to DALP');
    assert.equal(
      (
        await svc.sql('SELECT 1 FROM sessions s JOIN api_keys k ON k.id = s.api_key_id WHERE k.name = $1', [
          'bootstrap-admin',
        ])
      ).length,
      0,
    );
    assert.deepEqual(problems, []);
  });
});
