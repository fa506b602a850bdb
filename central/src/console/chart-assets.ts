import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The browser files the console serves and the HTML report inlines. */
export interface ChartAssets {
  /** uPlot (MIT), the IIFE build that defines the global `uPlot` */
  uplotJs: string;
  uplotCss: string;
  /** window.EdgerecCharts over uPlot (console/assets/charts.js) */
  chartsJs: string;
}

let cached: ChartAssets | null = null;

/**
 * Reads uPlot from node_modules and the chart helper next to this file, once. Nothing is
 * fetched from a CDN: the console and the reports must work where only central is reachable.
 *
 * @example
 * const { uplotJs } = chartAssets();
 */
export function chartAssets(): ChartAssets {
  if (!cached) {
    const require = createRequire(import.meta.url);
    cached = {
      uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
      chartsJs: consoleAsset('charts.js'),
    };
  }
  return cached;
}

/** A file from console/assets (the console's own JS and CSS). */
export function consoleAsset(name: 'charts.js' | 'console.js' | 'console.css' | 'console.html'): string {
  return readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
}
