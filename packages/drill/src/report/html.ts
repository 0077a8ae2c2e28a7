// report.html: one self-contained page (no network needed to open it) with, per drill, the verdict, the
// plots of throughput, errors and latency over time with the fault and recovery marked, what happened,
// and the topology at the time of the fault. The plots are drawn by uPlot, bundled into the page: a small
// (about 50 kB), well-kept time-series library made for exactly these plots, which gives axes, legends
// and a cursor readout that hand-written SVG would have to reimplement. The evidence is embedded as JSON
// and the page is drawn from it alone.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Evidence } from '../evidence/evidence.ts';
import { headline } from '../evidence/summary.ts';
import type { DrillRecord } from '../run.ts';

const require = createRequire(import.meta.url);
const UPLOT_DIST = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
const VIEW_SCRIPT = fileURLToPath(new URL('./view.js', import.meta.url));

const html = (text: unknown) =>
  String(text ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** JSON inside a <script> element: nothing in it may close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function table(rows: Record<string, unknown>[], classOf?: (row: Record<string, unknown>) => string): string {
  const columns = Object.keys(rows[0] ?? {});
  if (columns.length === 0) return '<p>none</p>';
  return `<table><thead><tr>${columns.map((c) => `<th>${html(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr class="${classOf?.(r) ?? ''}">${columns.map((c) => `<td>${html(r[c])}</td>`).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

function drillSection(d: DrillRecord): string {
  const checks =
    d.verdict?.checks.map((c) => ({
      check: c.name,
      limit: c.limit,
      measured: c.actual,
      result: c.pass ? 'pass' : 'FAIL',
    })) ?? [];
  const events = d.events
    .filter((e) => e.kind !== 'phase')
    .map((e) => `<li><span class="at">${e.at.toFixed(2)} s</span> ${html(e.detail)}</li>`)
    .join('');
  return `<section class="drill ${d.result}" id="drill-${html(d.scenario)}">
<h2>${html(d.scenario)} <span class="badge ${d.result}">${html(d.result.toUpperCase())}</span></h2>
<p>${html(d.title)}. Document row: <b>${html(d.documentRow)}</b>; recovery test of: ${html(d.controls.join(', '))}.
Fault at ${d.faultAt ?? '-'} s${d.restoredAt === null ? '' : `, undone at ${d.restoredAt} s`}.</p>
${d.error ? `<p class="error">Error: ${html(d.error)}</p>` : ''}
<h3>Verdict</h3>
${table(checks, (r) => (r.result === 'pass' ? 'ok' : 'bad'))}
<div class="plots" id="plots-${html(d.scenario)}"></div>
<h3>What happened</h3>
<ul class="events">${events || '<li>nothing noted</li>'}</ul>
<details><summary>Topology at the time of the fault</summary>
${table(d.topology.map((t) => ({ component: t.name, zone: t.zone ?? '-', node: t.node, role: t.role ?? '-', health: t.health, detail: t.detail })))}
</details>
</section>`;
}

export function renderReport(evidence: Evidence): string {
  const uplotJs = readFileSync(join(UPLOT_DIST, 'uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(join(UPLOT_DIST, 'uPlot.min.css'), 'utf8');
  const view = readFileSync(VIEW_SCRIPT, 'utf8');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dalp drill: ${html(evidence.result)}</title>
<style>${uplotCss}
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1140px; padding: 0 16px; color: #212121; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
th { background: #f5f5f5; }
tr.bad td, tr.fail td, tr.error td { background: #ffebee; }
.badge { font-size: 12px; padding: 2px 8px; border-radius: 10px; color: #fff; vertical-align: middle; }
.badge.pass { background: #2e7d32; } .badge.fail, .badge.error { background: #c62828; }
section.drill { border-top: 2px solid #eee; margin-top: 28px; }
.plot { margin: 10px 0; }
.events .at { display: inline-block; min-width: 70px; color: #757575; font-variant-numeric: tabular-nums; }
.error { color: #c62828; }
</style></head>
<body>
<h1>dalp drill <span class="badge ${evidence.result}">${html(evidence.result.toUpperCase())}</span></h1>
<p>${evidence.drills.length} drill(s) against ${html(evidence.target.description)}, ${html(evidence.startedAt)} to ${html(evidence.finishedAt)}. Tool ${html(evidence.tool.name)} ${html(evidence.tool.version)}; evidence format ${html(evidence.kind)} version ${evidence.version}.</p>
${table(evidence.drills.map(headline), (r) => String(r.result))}
${evidence.drills.map(drillSection).join('\n')}
<script type="application/json" id="evidence">${scriptJson(evidence)}</script>
<script>${uplotJs}</script>
<script>${view}</script>
</body></html>
`;
}
