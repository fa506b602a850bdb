/*
 * Renders the edgerec federated training report from the JSON in
 * <script id="report-data" type="application/json">. Runs offline: uPlot and the chart
 * helper are inlined into the same HTML file before this script.
 */
(function () {
  'use strict';
  var report = JSON.parse(document.getElementById('report-data').textContent);
  var charts = window.EdgerecCharts;
  var root = document.getElementById('report');

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined) return '–';
    if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(digits === undefined ? 4 : digits);
    return String(v);
  }
  function time(ms) { return ms === null || ms === undefined ? '–' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19); }
  function section(title) {
    var s = el('section');
    s.appendChild(el('h2', {}, title));
    root.appendChild(s);
    return s;
  }
  function table(parent, headers, rows) {
    var t = el('table');
    var tr = el('tr');
    headers.forEach(function (h) { tr.appendChild(el('th', {}, h)); });
    t.appendChild(el('thead')).appendChild(tr);
    var body = el('tbody');
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (c) { row.appendChild(el('td', {}, c)); });
      body.appendChild(row);
    });
    t.appendChild(body);
    parent.appendChild(t);
    return t;
  }
  function chart(parent, opts) {
    var box = el('div', { class: 'chart-box' });
    parent.appendChild(box);
    charts.lineChart(box, opts);
  }

  var t = report.totals;
  var head = section('Summary');
  table(head, ['generated', 'active version', 'rounds', 'promoted', 'rejected', 'abandoned', 'samples', 'bytes up', 'dense bytes up'], [[
    time(report.generatedAt), fmt(report.activeVersion), t.rounds, t.promoted, t.rejected, t.abandoned, t.samples, t.bytesUp, t.denseBytesUp,
  ]]);
  if (report.drift.length) {
    var ul = el('ul', { class: 'alerts' });
    report.drift.forEach(function (d) {
      var text = d.kind === 'region_hr_drop' ? 'region ' + d.region + ': federated HR@10 fell by ' + fmt(-d.hr10Drift) + ' at v' + d.version
        : d.kind === 'update_norm_jump' ? 'round ' + d.roundId + ': median update norm ×' + fmt(d.ratio, 2) + ' of the previous round'
          : 'round ' + d.roundId + ': outlier deltas from ' + d.nodeIds.join(', ');
      ul.appendChild(el('li', {}, text));
    });
    head.appendChild(ul);
  }

  var versions = report.versions;
  var vx = versions.map(function (v) { return v.version; });
  var pick = function (list, key) { return list.map(function (v) { return v[key]; }); };
  var quality = section('Model quality per version');
  chart(quality, { title: 'HR@10 / NDCG@10 per version', x: vx, xLabel: 'version', yLabel: 'metric', series: [
    { label: 'holdout HR@10', values: pick(versions, 'hr10') }, { label: 'holdout NDCG@10', values: pick(versions, 'ndcg10') },
    { label: 'federated HR@10', values: pick(versions, 'fedHr10') }, { label: 'federated NDCG@10', values: pick(versions, 'fedNdcg10') },
  ] });
  var regionNames = Array.from(new Set(report.regions.map(function (r) { return r.region; }))).sort();
  var regionVersions = Array.from(new Set(report.regions.map(function (r) { return r.version; }))).sort(function (a, b) { return a - b; });
  chart(quality, { title: 'Federated HR@10 per region', x: regionVersions, xLabel: 'version', yLabel: 'HR@10', series: regionNames.map(function (name) {
    return { label: 'region ' + name, values: regionVersions.map(function (v) {
      var hit = report.regions.find(function (r) { return r.version === v && r.region === name; });
      return hit ? hit.hr10 : null;
    }) };
  }) });
  table(quality, ['version', 'parent', 'status', 'round', 'HR@10', 'NDCG@10', 'fed HR@10', 'fed NDCG@10', 'fed users', 'snapshot B', 'patch B', 'reason'],
    versions.slice().reverse().map(function (v) {
      return [v.version, fmt(v.parent), v.status, fmt(v.roundId), fmt(v.hr10), fmt(v.ndcg10), fmt(v.fedHr10), fmt(v.fedNdcg10), fmt(v.fedUsers), v.size, fmt(v.patchSize), v.reason || ''];
    }));

  // Charts show the rounds that aggregated; the table below lists every round.
  var rounds = report.rounds.filter(function (r) { return r.outcome === 'promoted' || r.outcome === 'rejected'; });
  var rx = rounds.map(function (r) { return r.roundId; });
  var traffic = section('Rounds: traffic, participation, aggregation');
  chart(traffic, { title: 'Bytes up per round', x: rx, xLabel: 'round', yLabel: 'bytes', bars: true, series: [
    { label: 'encoded', values: pick(rounds, 'bytesUp') }, { label: 'dense float32', values: pick(rounds, 'denseBytesUp') },
  ] });
  chart(traffic, { title: 'Compression ratio and participants', x: rx, xLabel: 'round', series: [
    { label: 'dense / encoded', values: pick(rounds, 'compressionRatio') }, { label: 'participants', values: pick(rounds, 'participants') },
  ] });
  chart(traffic, { title: 'Aggregation time', x: rx, xLabel: 'round', yLabel: 'ms', series: [{ label: 'aggregation ms', values: pick(rounds, 'aggregationMs') }] });
  chart(traffic, { title: 'Update norms', x: rx, xLabel: 'round', yLabel: 'L2', series: [
    { label: 'median', values: rounds.map(function (r) { return r.updateNorm ? r.updateNorm.median : null; }) },
    { label: 'max', values: rounds.map(function (r) { return r.updateNorm ? r.updateNorm.max : null; }) },
  ] });
  table(traffic, ['round', 'outcome', 'base→cand', 'strategy', 'nodes', 'samples', 'bytes up', 'ratio', 'agg ms', 'cand HR@10', 'cur HR@10', 'clipped', 'outliers', 'refused', 'regions', 'reason'],
    report.rounds.slice().reverse().map(function (r) {
      var regions = Object.keys(r.regions).map(function (k) {
        var g = r.regions[k];
        return k + ': ' + g.nodes + 'n' + (g.hr10Drift === null ? '' : ' Δ' + fmt(g.hr10Drift, 3));
      }).join('; ');
      return [r.roundId, r.outcome, r.baseVersion + '→' + fmt(r.candidateVersion), r.strategy, r.participants, r.samples, r.bytesUp,
        fmt(r.compressionRatio, 1), fmt(r.aggregationMs, 1), fmt(r.candidate.hr10), fmt(r.current.hr10), r.clipped.join(', '),
        r.outliers.join(', '), r.refused, regions, r.reason || ''];
    }));
})();
