import { readFileSync } from 'node:fs';
import { chartAssets } from '../console/chart-assets.js';
import type { FederatedReport } from './federated-report.js';
import { escapeHtml, inlineSafe, jsonForHtml } from './html-safety.js';

const REPORT_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px; color: #111827; background: #f9fafb; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 0 0 12px; }
section { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 16px; margin: 16px 0; overflow-x: auto; }
table { border-collapse: collapse; font-size: 12px; margin-top: 12px; }
th, td { border-bottom: 1px solid #e5e7eb; padding: 4px 8px; text-align: left; white-space: nowrap; }
th { background: #f3f4f6; }
.chart-box { display: inline-block; vertical-align: top; margin: 0 16px 16px 0; }
.chart-empty { color: #6b7280; padding: 12px; border: 1px dashed #d1d5db; }
.alerts li { color: #b91c1c; }
.muted { color: #6b7280; }
`;

let viewJs: string | null = null;

/**
 * The federated training report as ONE self-contained HTML file: the data as JSON, uPlot,
 * the chart helper and the view script all inline, so it opens offline and can be mailed
 * or archived as is.
 *
 * @example
 * writeFileSync('report.html', renderReportHtml(buildFederatedReport(source, { generatedAt: Date.now() })));
 */
export function renderReportHtml(report: FederatedReport, opts: { title?: string } = {}): string {
  const assets = chartAssets();
  viewJs ??= readFileSync(new URL('./assets/report-view.js', import.meta.url), 'utf8');
  const title = escapeHtml(opts.title ?? 'edgerec federated training report');
  const generated = new Date(report.generatedAt).toISOString();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${inlineSafe(assets.uplotCss)}</style>
<style>${REPORT_CSS}</style>
</head>
<body>
<h1>${title}</h1>
<p class="muted">generated ${generated} · ${report.totals.rounds} rounds · active model v${report.activeVersion ?? '–'}</p>
<noscript>This report draws its charts and tables with JavaScript; the raw data is in the JSON block of this file.</noscript>
<main id="report"></main>
<script id="report-data" type="application/json">${jsonForHtml(report)}</script>
<script>${inlineSafe(assets.uplotJs)}</script>
<script>${inlineSafe(assets.chartsJs)}</script>
<script>${inlineSafe(viewJs)}</script>
</body>
</html>
`;
}
