// evidence.json against its schema, and report.html opened in a real headless Chromium (Debian's
// package, driven by playwright-core): the page loads offline with no console error, every plot has
// its lines and the fault marker on it, and a screenshot is written. The evidence is a recorded
// `dalp drill all` on the lab (fixtures/evidence-lab-all.json), so the page shows every scenario.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import type { Evidence } from '../../src/evidence/evidence.ts';
import { evidenceProblems } from '../../src/evidence/schema.ts';
import { renderSummary } from '../../src/evidence/summary.ts';
import { renderReport } from '../../src/report/html.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/evidence-lab-all.json', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
/** Set to a directory (docs/images) to refresh the screenshots docs/drills.md shows. */
const DOCS_SCREENSHOT = process.env.DALP_DRILL_SCREENSHOT;

const evidence = () => JSON.parse(readFileSync(FIXTURE, 'utf8')) as Evidence;

let work: string;
let browser: Browser | undefined;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'dalp-drill-report-'));
});
after(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the evidence format', () => {
  test('a recorded run matches the schema; broken documents are refused with the place that is wrong', () => {
    assert.deepEqual(evidenceProblems(evidence()), []);
    const wrongResult = evidence();
    (wrongResult.drills[0] as { result: string }).result = 'maybe';
    assert.ok(evidenceProblems(wrongResult).some((p) => p.startsWith('/drills/0/result')));
    const noLost = evidence();
    delete (noLost.drills[1]!.measures as { lostWrites?: unknown }).lostWrites;
    assert.ok(evidenceProblems(noLost).some((p) => /\/drills\/1\/measures.*lostWrites/.test(p)));
    const otherVersion = { ...evidence(), version: 2 };
    assert.ok(evidenceProblems(otherVersion).some((p) => p.startsWith('/version')));
  });

  test('summary.md has a row per drill and a section per drill', () => {
    const data = evidence();
    const summary = renderSummary(data);
    for (const d of data.drills) {
      assert.match(summary, new RegExp(`^\\| ${d.scenario} \\| ${d.documentRow} \\| ${d.result} \\|`, 'm'));
      assert.match(summary, new RegExp(`^## ${d.scenario}: ${d.result.toUpperCase()}$`, 'm'));
    }
  });
});

describe('report.html in Chromium', () => {
  test('loads offline with no console error; every plot is drawn with its fault marker; a screenshot is written', async () => {
    const data = evidence();
    const page = join(work, 'report.html');
    writeFileSync(page, renderReport(data));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    tab.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    tab.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const fetched: string[] = [];
    await tab.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      fetched.push(url);
      return route.abort();
    });
    await tab.goto(`file://${page}`, { waitUntil: 'load' });
    assert.deepEqual(problems, []);
    assert.deepEqual(fetched, [], 'the page needs nothing from the network');

    const plotted = data.drills.filter((d) => (d.measures?.timeline.length ?? 0) > 0);
    // Runs in the page (a string: this package's TypeScript knows no DOM).
    const canvases = (await tab.evaluate(`[...document.querySelectorAll('.plot canvas')].map((canvas) => {
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      let faultRed = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (pixels[i + 3] > 0) inked += 1;
        // The fault marker's colour, #c62828, drawn opaque.
        if (pixels[i] === 0xc6 && pixels[i + 1] === 0x28 && pixels[i + 2] === 0x28 && pixels[i + 3] === 255) faultRed += 1;
      }
      return { section: canvas.closest('section').id, inked: inked / (canvas.width * canvas.height), faultRed };
    })`)) as { section: string; inked: number; faultRed: number }[];
    assert.equal(canvases.length, 3 * plotted.length, 'three plots per drill');
    for (const c of canvases) {
      assert.ok(c.inked > 0.01, `${c.section}: a plot with lines on it (${c.inked})`);
      assert.ok(c.faultRed > 20, `${c.section}: the fault marked`);
    }
    const counts = await tab.evaluate('window.dalpReport');
    assert.deepEqual(counts, { plots: canvases.length, drawn: canvases.length, errors: [] });

    // The verdict table of a failed check is shown as failed.
    const badges = await tab.locator('section.drill .badge').allTextContents();
    assert.deepEqual(
      badges,
      data.drills.map((d) => d.result.toUpperCase()),
    );

    const shot = join(work, 'report.png');
    await tab.screenshot({ path: shot, clip: { x: 0, y: 0, width: 1200, height: 1500 }, fullPage: true });
    const png = readFileSync(shot);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.ok(statSync(shot).size > 20_000, 'a screenshot with the page on it');
    if (DOCS_SCREENSHOT) {
      copyFileSync(shot, join(DOCS_SCREENSHOT, 'drill-report.png'));
      await tab
        .locator('#drill-database-failover')
        .screenshot({ path: join(DOCS_SCREENSHOT, 'drill-report-database-failover.png') });
    }
  });
});
