export {
  buildFederatedReport, type DriftAlert, type FederatedReport, type ModelScores, type ReportOptions, type RoundRegionStats,
  type RoundReport, type VersionSummary,
} from './federated-report.js';
export { normSummary, regionMetrics, UNKNOWN_REGION, type RegionVersionMetrics } from './region-metrics.js';
export { csvCell, ROUND_CSV_COLUMNS, roundsCsv } from './report-csv.js';
export { renderReportHtml } from './report-html.js';
export {
  queryEvals, queryIntake, queryRefused, queryRegions, queryRounds, queryVersions, readReportSource,
  type EvalRow, type RefusedDelta, type ReportSource, type RoundNodeIntake, type RoundRow, type VersionRow,
} from './report-queries.js';
export { reportCommand, ReportFlags, reportUsage } from './report-command.js';
