import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminHarness } from '../admin/admin-harness.js';
import { main } from '../cli/main.js';
import { buildFederatedReport, type FederatedReport } from './federated-report.js';
import { normSummary, regionMetrics } from './region-metrics.js';
import { csvCell, ROUND_CSV_COLUMNS, roundsCsv } from './report-csv.js';
import { renderReportHtml } from './report-html.js';
import { readReportSource } from './report-queries.js';

let a: AdminHarness;
let report: FederatedReport;
const out = mkdtempSync(join(tmpdir(), 'report-out-'));

/** A history with a promoted round, a quarantined node's refused delta and an abandoned round. */
beforeAll(async () => {
  a = await AdminHarness.start({
    policy: { minNodes: 2, strategy: { name: 'fedavg', clipNorm: 0.05 } },
    edges: [{ id: 'edge-a', region: '1' }, { id: 'edge-b', region: '1' }, { id: 'edge-c', region: '2' }],
  });
  await a.delta('edge-a', 1);
  await a.delta('edge-b', 2);
  await a.delta('edge-c', 3);
  await a.central.idle();
  await a.evalReport('edge-a', 1, 0.5, 0.3, 10);
  await a.evalReport('edge-c', 1, 0.4, 0.2, 10);
  await a.evalReport('edge-a', 2, 0.6, 0.35, 10);
  await a.evalReport('edge-b', 2, 0.4, 0.25, 30);
  await a.evalReport('edge-c', 2, 0.3, 0.15, 10);
  a.h.scheduler.advance(1_000); // distinct timestamps: refused deltas are attributed to rounds by time
  await a.request('POST', '/admin/nodes/edge-c/quarantine', { body: {} });
  await a.delta('edge-c', 4);
  await a.delta('edge-a', 5);
  await a.delta('edge-b', 6);
  await a.central.idle();
  a.h.scheduler.advance(1_000);
  await a.request('POST', '/admin/rounds/current/close', { body: {} });
  report = buildFederatedReport(readReportSource(a.central.store.db), { generatedAt: 1_700_000_000_000 });
});
afterAll(async () => {
  await a.cleanup();
  rmSync(out, { recursive: true, force: true });
});

describe('federated training report', () => {
  it('has one entry per round with participation, bytes, compression, strategy and verdict', () => {
    expect(report.rounds.map((r) => [r.roundId, r.outcome])).toEqual([[1, 'promoted'], [2, 'promoted'], [3, 'abandoned'], [4, 'in-progress']]);
    const [r1, r2] = report.rounds;
    expect(r1).toMatchObject({ participants: 3, nodeIds: ['edge-a', 'edge-b', 'edge-c'], deltas: 3, strategy: 'clip(fedavg)', accepted: true, candidateVersion: 2 });
    expect(r1.bytesUp).toBeGreaterThan(0);
    expect(r1.compressionRatio).toBeCloseTo(r1.denseBytesUp! / r1.bytesUp, 10);
    expect(r1.aggregationMs).toBeGreaterThanOrEqual(0);
    expect(r1.snapshotBytes).toBeGreaterThan(0);
    expect(r1.patchBytes).toBeGreaterThan(0);
    expect(r1.clipped.length).toBeGreaterThan(0); // clipNorm 0.05 is below the harness deltas' norms
    expect(r1.updateNorm!.max).toBeGreaterThanOrEqual(r1.updateNorm!.median);
    expect(r2).toMatchObject({ participants: 2, nodeIds: ['edge-a', 'edge-b'], refused: 1, refusedReasons: { quarantined: 1 } });
    expect(r2.updateNormTrend).toBeGreaterThan(0);
    expect(report.totals).toMatchObject({ rounds: 4, promoted: 2, rejected: 0, abandoned: 1 });
  });

  it('compares candidate and current federated metrics and tracks per-region drift', () => {
    const [r1] = report.rounds;
    expect(r1.candidate.fedHr10).toBeCloseTo((0.6 * 10 + 0.4 * 30 + 0.3 * 10) / 50, 10);
    expect(r1.current.fedHr10).toBeCloseTo(0.45, 10);
    expect(r1.regions['1']).toMatchObject({ nodes: 2, baseFedHr10: 0.5 });
    expect(r1.regions['1'].candidateFedHr10).toBeCloseTo(0.45, 10);
    expect(r1.regions['2'].hr10Drift).toBeCloseTo(-0.1, 10);
    expect(report.regions.find((r) => r.version === 2 && r.region === '2')).toMatchObject({ users: 10, nodes: 1 });
    expect(report.drift).toContainEqual(expect.objectContaining({ kind: 'region_hr_drop', region: '2', version: 2 }));
    expect(report.versions.map((v) => [v.version, v.status])).toEqual([[1, 'promoted'], [2, 'promoted'], [3, 'promoted']]);
  });

  it('exports CSV with a fixed header and one escaped row per round', () => {
    const csv = roundsCsv(report);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(ROUND_CSV_COLUMNS.map(([n]) => n).join(','));
    expect(lines).toHaveLength(1 + report.rounds.length);
    const header = lines[0].split(',');
    const first = lines[1].split(',');
    expect(first[header.indexOf('round_id')]).toBe('1');
    expect(first[header.indexOf('node_ids')]).toBe('edge-a;edge-b;edge-c');
    expect(first[header.indexOf('outcome')]).toBe('promoted');
    expect(Number(first[header.indexOf('bytes_up')])).toBe(report.rounds[0].bytesUp);
  });

  it('the HTML report is self-contained: uPlot, chart helper and data inline, nothing fetched', () => {
    const html = renderReportHtml(report);
    expect(html).toContain('https://github.com/leeoniya/uPlot');
    expect(html).toContain('window.EdgerecCharts');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!github\.com\/leeoniya)/);
    const data = /<script id="report-data" type="application\/json">([^<]*)<\/script>/.exec(html);
    expect(JSON.parse(data![1])).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('keeps hostile text out of the HTML and CSV structure', () => {
    const evil = { ...report, rounds: report.rounds.map((r) => ({ ...r, reason: '</script><script>alert(1)</script>, "=cmd"' })) };
    const html = renderReportHtml(evil);
    expect(html).not.toContain('<script>alert(1)');
    expect(csvCell('=SUM(A1)')).toBe("'=SUM(A1)");
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell(null)).toBe('');
  });

  it('edgerec report writes HTML, JSON or CSV from the data dir, read-only', async () => {
    const db = join(a.h.dataDir, 'central.sqlite');
    const mtime = statSync(db).mtimeMs;
    const io = () => {
      let text = '';
      return { stream: new Writable({ write(c, _e, cb) { text += String(c); cb(); } }), text: () => text };
    };
    for (const [file, check] of [
      ['r.html', (s: string) => expect(s).toContain('<script id="report-data"')],
      ['r.csv', (s: string) => expect(s.split('\r\n')[0]).toMatch(/^round_id,state,outcome/)],
      ['r.json', (s: string) => expect(JSON.parse(s).rounds).toHaveLength(4)],
    ] as const) {
      const o = io();
      expect(await main(['report', '--data-dir', a.h.dataDir, '--out', join(out, file)], { out: o.stream, err: io().stream })).toBe(0);
      expect(JSON.parse(o.text())).toMatchObject({ event: 'report', rounds: 4, format: file.split('.')[1] });
      check(readFileSync(join(out, file), 'utf8'));
    }
    const stdout = io();
    expect(await main(['report', '--data-dir', a.h.dataDir, '--format', 'csv'], { out: stdout.stream, err: io().stream })).toBe(0);
    expect(stdout.text()).toMatch(/^round_id,/);
    expect(statSync(db).mtimeMs).toBe(mtime);
    const err = io();
    expect(await main(['report', '--data-dir', join(out, 'nope')], { out: io().stream, err: err.stream })).toBe(2);
    expect(err.text()).toMatch(/no_data/);
    expect(existsSync(join(out, 'nope'))).toBe(false);
  });

  it('region metrics weight nodes by users; norm summaries are robust to odd input', () => {
    const rows = regionMetrics([
      { nodeId: 'x', version: 1, hr10: 1, ndcg10: 1, users: 1, ts: 0 },
      { nodeId: 'y', version: 1, hr10: 0, ndcg10: 0, users: 3, ts: 0 },
      { nodeId: 'x', version: 2, hr10: 0.5, ndcg10: 0.5, users: 4, ts: 0 },
      { nodeId: 'z', version: 2, hr10: 0.9, ndcg10: 0.9, users: 0, ts: 0 },
    ], { x: 'r', y: 'r' });
    expect(rows).toEqual([
      { version: 1, region: 'r', hr10: 0.25, ndcg10: 0.25, users: 4, nodes: 2, hr10Drift: null },
      { version: 2, region: 'r', hr10: 0.5, ndcg10: 0.5, users: 4, nodes: 1, hr10Drift: 0.25 },
    ]);
    expect(normSummary({ a: 1, b: 3, c: 2, d: 10 })).toEqual({ mean: 4, median: 2.5, max: 10 });
    expect(normSummary(undefined)).toBeNull();
  });
});
