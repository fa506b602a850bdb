import { chartAssets } from '../console/chart-assets.js';
import { escapeHtml, inlineSafe, jsonForHtml } from './html-safety.js';

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #111827; background: #f9fafb; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px; margin: 16px 0; overflow-x: auto; }
table { border-collapse: collapse; font-size: 12px; } th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; }
.chart-box { display: inline-block; vertical-align: top; margin: 0 16px 16px 0; }
.muted { color: #6b7280; }
`;

/** Draws the charts from the JSON block with the shared chart helper (window.EdgerecCharts). */
const VIEW_JS = `
(function () {
  var data = JSON.parse(document.getElementById('bench-data').textContent);
  var r = data.results || {};
  var charts = document.getElementById('charts');
  function box() { var d = document.createElement('div'); d.className = 'chart-box'; charts.appendChild(d); return d; }
  if (r.prequential && r.prequential.series) {
    var s = r.prequential.series, names = Object.keys(s), n = s[names[0]].length;
    EdgerecCharts.lineChart(box(), { title: 'Prequential HR@10 over time (drift at bucket ' + r.prequential.drift_bucket + ')',
      x: Array.from({ length: n }, function (_, i) { return i; }), xLabel: 'time bucket', yLabel: 'HR@10',
      series: names.map(function (k) { return { label: k, values: s[k] }; }) });
  }
  if (r.exploration) {
    EdgerecCharts.lineChart(box(), { title: 'Click-through by quarter', x: [1, 2, 3, 4], xLabel: 'quarter', yLabel: 'CTR',
      series: [{ label: 'greedy', values: r.exploration.greedy.ctr_by_quarter }, { label: 'explore', values: r.exploration.explore.ctr_by_quarter }] });
  }
  var rows = [];
  Object.keys(r).forEach(function (area) {
    Object.keys(r[area]).forEach(function (k) {
      var v = r[area][k];
      if (typeof v === 'number') rows.push([area, k, v]);
      else if (v && typeof v === 'object' && !Array.isArray(v)) Object.keys(v).forEach(function (k2) {
        if (typeof v[k2] === 'number') rows.push([area, k + '.' + k2, v[k2]]);
      });
    });
  });
  var tbody = document.getElementById('figures');
  rows.forEach(function (row) {
    var tr = document.createElement('tr');
    row.forEach(function (c) { var td = document.createElement('td'); td.textContent = String(c); tr.appendChild(td); });
    tbody.appendChild(tr);
  });
})();
`;

/**
 * The output of `bench all` as one self-contained HTML page (uPlot and the data inline).
 *
 * @example
 * writeFileSync('bench.html', renderBenchHtml(result, 'npm run bench -- all --json --out bench.html'));
 */
export function renderBenchHtml(result: { results: Record<string, unknown>; seconds?: number; quick?: boolean }, command: string): string {
  const assets = chartAssets();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edgerec benchmarks</title>
<style>${inlineSafe(assets.uplotCss)}</style><style>${CSS}</style></head>
<body><h1>edgerec benchmarks</h1>
<p class="muted">command: <code>${escapeHtml(command)}</code> · ${result.quick ? 'quick sizes · ' : ''}${result.seconds ?? '?'} s</p>
<section><h2>Charts</h2><div id="charts"></div></section>
<section><h2>All figures</h2><table><thead><tr><th>area</th><th>figure</th><th>value</th></tr></thead><tbody id="figures"></tbody></table></section>
<script id="bench-data" type="application/json">${jsonForHtml(result)}</script>
<script>${inlineSafe(assets.uplotJs)}</script>
<script>${inlineSafe(assets.chartsJs)}</script>
<script>${inlineSafe(VIEW_JS)}</script>
</body></html>
`;
}
