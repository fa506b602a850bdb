/*
 * edgerec chart helper over uPlot (loaded before this file as the global `uPlot`), shared
 * by the admin console and the self-contained HTML report. No framework, no network.
 * Exposes window.EdgerecCharts.lineChart(el, opts).
 */
(function () {
  'use strict';
  var INTEGER_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];
  var palette = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

  function clean(values) {
    return values.map(function (v) {
      return typeof v === 'number' && isFinite(v) ? v : null;
    });
  }

  /**
   * Draws one chart into `el` (replacing what was there).
   * opts: { title, x: number[] (ascending), xLabel, yLabel, series: [{ label, values }], bars?, height? }
   * Returns the uPlot instance, or null when there is nothing to draw.
   */
  function lineChart(el, opts) {
    el.textContent = '';
    el.classList.add('chart');
    if (!opts.x.length || !opts.series.length) {
      var empty = document.createElement('div');
      empty.className = 'chart-empty';
      empty.textContent = opts.title + ': no data yet';
      el.appendChild(empty);
      return null;
    }
    var width = Math.max(320, Math.min(opts.width || el.clientWidth || 560, 900));
    var series = [{ label: opts.xLabel }];
    opts.series.forEach(function (s, i) {
      var color = s.color || palette[i % palette.length];
      var spec = { label: s.label, stroke: color, width: 2, spanGaps: true, points: { show: true, size: 5 } };
      if (opts.bars) {
        spec.fill = color + '55';
        spec.paths = uPlot.paths.bars({ size: [0.6, 40] });
        spec.points = { show: false };
      }
      series.push(spec);
    });
    var data = [opts.x.slice()].concat(opts.series.map(function (s) { return clean(s.values); }));
    return new uPlot(
      {
        title: opts.title,
        width: width,
        height: opts.height || 220,
        // bars grow from zero; lines use the data's own range
        scales: { x: { time: false }, y: opts.bars ? { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } } : {} },
        // x is a round or version number: integer ticks only; y labels keep 4 significant digits
        axes: [{ label: opts.xLabel, incrs: INTEGER_STEPS }, { label: opts.yLabel || '', values: function (u, splits) {
          return splits.map(function (v) { return v === null ? '' : String(+v.toPrecision(4)); });
        } }],
        series: series,
      },
      data,
      el,
    );
  }

  window.EdgerecCharts = { lineChart: lineChart, palette: palette };
})();
