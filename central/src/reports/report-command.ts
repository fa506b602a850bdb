import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { z } from 'zod';
import { DomainError } from '@edgerec/proto-schemas';
import { parseFlags } from '../cli/parse-flags.js';
import { buildFederatedReport } from './federated-report.js';
import { roundsCsv } from './report-csv.js';
import { renderReportHtml } from './report-html.js';
import { readReportSource } from './report-queries.js';

export const ReportFlags = z.object({
  'data-dir': z.string().min(1),
  out: z.string().min(1).optional(),
  format: z.enum(['html', 'json', 'csv']).optional(),
  limit: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
});

const options = Object.fromEntries(Object.keys(ReportFlags.shape).map((k) => [k, { type: 'string' as const }]));

export const reportUsage = 'edgerec report --data-dir DIR [--out FILE.html|.json|.csv] [--format html|json|csv] [--limit ROUNDS]';

/** Output format: the flag, else the --out extension, else html. */
function formatOf(f: z.infer<typeof ReportFlags>): 'html' | 'json' | 'csv' {
  if (f.format) return f.format;
  const ext = f.out?.split('.').pop()?.toLowerCase();
  return ext === 'json' || ext === 'csv' ? ext : 'html';
}

/**
 * `edgerec report`: the federated training report from central's SQLite file, opened
 * read-only (safe next to a running central: WAL readers never block it). Writes to
 * `--out` (and prints one `{"event":"report",…}` line) or to stdout.
 *
 * @example
 * await reportCommand(['--data-dir', '.data/central', '--out', 'report.html'], io);
 */
export async function reportCommand(argv: string[], io: { out: NodeJS.WritableStream }, now: () => number = Date.now): Promise<number> {
  const f = parseFlags(argv, options, ReportFlags);
  const file = join(f['data-dir'], 'central.sqlite');
  if (!existsSync(file)) throw new DomainError('no_data', 400, `--data-dir: ${file} does not exist`);
  let db;
  try {
    db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new DomainError('no_data', 400, `cannot open ${file}: ${(e as Error).message}`);
  }
  let body: string;
  let rounds: number;
  const format = formatOf(f);
  try {
    const report = buildFederatedReport(readReportSource(db, f.limit), { generatedAt: now() });
    rounds = report.rounds.length;
    body = format === 'html' ? renderReportHtml(report) : format === 'csv' ? roundsCsv(report) : `${JSON.stringify(report, null, 2)}\n`;
  } catch (e) {
    if (e instanceof Error && /no such table/.test(e.message)) throw new DomainError('no_data', 400, `${file} is not a central database`);
    throw e;
  } finally {
    db.close();
  }
  if (!f.out) {
    io.out.write(body);
    return 0;
  }
  writeFileSync(f.out, body);
  io.out.write(`${JSON.stringify({ event: 'report', out: f.out, format, rounds, bytes: Buffer.byteLength(body) })}\n`);
  return 0;
}
