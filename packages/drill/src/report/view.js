// Draws the plots of a drill report in the browser from the evidence embedded in the page, with uPlot
// (bundled into the page). Each drill gets three time series over its seconds: requests answered per
// second (ok, failed), failed requests per second by operation, and p50/p99 latency; the fault, its
// undoing and the recovery are marked on each. window.dalpReport counts the plots drawn (for tests).
(() => {
  const evidence = JSON.parse(document.getElementById('evidence').textContent);
  const report = { plots: 0, drawn: 0, errors: [] };
  window.dalpReport = report;
  const colors = {
    ok: '#2e7d32',
    failed: '#c62828',
    transfer: '#6a1b9a',
    read: '#1565c0',
    upload: '#ef6c00',
    p50: '#546e7a',
    p99: '#c62828',
  };

  /** Vertical markers (fault, undone, recovered) and the fault window, drawn over the plot. */
  function markers(drill) {
    const recovered = drill.events.find((e) => e.kind === 'recovered');
    const lines = [
      drill.faultAt === null ? null : { at: drill.faultAt, label: 'fault', color: '#c62828' },
      drill.restoredAt === null ? null : { at: drill.restoredAt, label: 'undone', color: '#ef6c00' },
      recovered ? { at: recovered.at, label: 'healthy', color: '#2e7d32' } : null,
    ].filter(Boolean);
    return {
      hooks: {
        draw: [
          (u) => {
            const ctx = u.ctx;
            const top = u.bbox.top;
            const height = u.bbox.height;
            ctx.save();
            if (drill.faultAt !== null) {
              const end = drill.restoredAt ?? (recovered ? recovered.at : drill.faultAt);
              const x0 = u.valToPos(drill.faultAt, 'x', true);
              const x1 = u.valToPos(end, 'x', true);
              ctx.fillStyle = 'rgba(198, 40, 40, 0.08)';
              ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
            }
            ctx.font = `${12 * devicePixelRatio}px sans-serif`;
            for (const m of lines) {
              const x = u.valToPos(m.at, 'x', true);
              ctx.strokeStyle = m.color;
              ctx.fillStyle = m.color;
              ctx.lineWidth = 2 * devicePixelRatio;
              ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
              ctx.beginPath();
              ctx.moveTo(x, top);
              ctx.lineTo(x, top + height);
              ctx.stroke();
              ctx.fillText(m.label, x + 4 * devicePixelRatio, top + 14 * devicePixelRatio);
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  function plot(container, drill, title, series, data, yLabel, logScale) {
    report.plots += 1;
    const width = Math.max(480, Math.min(1100, container.clientWidth || 900));
    const options = {
      title,
      width,
      height: 220,
      scales: { x: { time: false }, y: logScale ? { distr: 3 } : {} },
      axes: [{ label: 'seconds since the drill began' }, { label: yLabel }],
      series: [{ label: 's' }, ...series],
      plugins: [markers(drill)],
    };
    const chart = new uPlot(options, data, container);
    if (chart.ctx) report.drawn += 1;
  }

  for (const drill of evidence.drills) {
    const host = document.getElementById(`plots-${drill.scenario}`);
    const timeline = drill.measures ? drill.measures.timeline : [];
    if (!host || timeline.length === 0) continue;
    const t = timeline.map((s) => s.t + 0.5);
    const box = (name) => {
      const div = document.createElement('div');
      div.className = `plot plot-${name}`;
      host.appendChild(div);
      return div;
    };
    const line = (label, color, fill) => ({
      label,
      stroke: color,
      width: 2,
      fill,
      paths: uPlot.paths.stepped({ align: 0 }),
    });
    plot(
      box('throughput'),
      drill,
      'Requests answered per second',
      [line('ok', colors.ok, 'rgba(46,125,50,0.12)'), line('failed', colors.failed, 'rgba(198,40,40,0.15)')],
      [t, timeline.map((s) => s.ok), timeline.map((s) => s.failed)],
      'requests / s',
      false,
    );
    plot(
      box('errors'),
      drill,
      'Failed requests per second, by operation',
      ['transfer', 'read', 'upload'].map((op) => line(op, colors[op])),
      [t, ...['transfer', 'read', 'upload'].map((op) => timeline.map((s) => s.failedByOp[op]))],
      'failed / s',
      false,
    );
    plot(
      box('latency'),
      drill,
      'Latency of the requests answered in each second',
      [
        { label: 'p50', stroke: colors.p50, width: 2, spanGaps: false },
        { label: 'p99', stroke: colors.p99, width: 2, spanGaps: false },
      ],
      [
        t,
        timeline.map((s) => (s.p50Ms === null ? null : Math.max(1, s.p50Ms))),
        timeline.map((s) => (s.p99Ms === null ? null : Math.max(1, s.p99Ms))),
      ],
      'ms (log scale)',
      true,
    );
  }
})();
