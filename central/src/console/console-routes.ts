import type { Env, Hono } from 'hono';
import { chartAssets, consoleAsset } from './chart-assets.js';

/**
 * The console loads only from central itself: scripts and styles from /console/assets,
 * API calls to the same origin; no inline script, no CDN, no framing.
 */
const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
  + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface Asset {
  type: string;
  body: () => string;
}

const ASSETS: Record<string, Asset> = {
  'uplot.js': { type: 'text/javascript; charset=utf-8', body: () => chartAssets().uplotJs },
  'uplot.css': { type: 'text/css; charset=utf-8', body: () => chartAssets().uplotCss },
  'charts.js': { type: 'text/javascript; charset=utf-8', body: () => chartAssets().chartsJs },
  'console.js': { type: 'text/javascript; charset=utf-8', body: () => consoleAsset('console.js') },
  'console.css': { type: 'text/css; charset=utf-8', body: () => consoleAsset('console.css') },
};

/**
 * Serves the web console: GET /console (the page; it asks for an admin token itself) and
 * GET /console/assets/:name (its JS/CSS and uPlot from node_modules). Public on purpose:
 * the page holds no data, every API call it makes carries the operator's bearer token.
 *
 * @example
 * registerConsoleRoutes(app); // then open http://127.0.0.1:9464/console
 */
export function registerConsoleRoutes<E extends Env>(app: Hono<E>): void {
  const cache = new Map<string, string>();
  const read = (key: string, load: () => string) => {
    let v = cache.get(key);
    if (v === undefined) cache.set(key, (v = load()));
    return v;
  };
  const headers = { 'content-security-policy': CONSOLE_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
  app.get('/console', (c) => c.html(read('console.html', () => consoleAsset('console.html')), 200, { ...headers, 'cache-control': 'no-store' }));
  app.get('/console/', (c) => c.redirect('/console'));
  app.get('/console/assets/:name', (c) => {
    const name = c.req.param('name');
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) return c.json({ error: { code: 'not_found', message: `no console asset ${name.slice(0, 64)}` } }, 404);
    return c.body(read(name, asset.body), 200, { ...headers, 'content-type': asset.type, 'cache-control': 'no-cache' });
  });
}
