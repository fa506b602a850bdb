export { chartAssets, consoleAsset, type ChartAssets } from './chart-assets.js';
export { registerConsoleRoutes } from './console-routes.js';
