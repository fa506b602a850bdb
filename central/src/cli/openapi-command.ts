import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenApiDocument } from '@edgerec/proto-schemas';
import { z } from 'zod';
import { adminOpenApi } from '../admin/admin-app.js';
import type { CliIo } from './main.js';
import { parseFlags } from './parse-flags.js';

/** The API documents as committed under docs/api: file name → document. */
export async function apiDocuments(): Promise<Record<string, OpenApiDocument>> {
  const { edgeOpenApi } = await import('@edgerec/edge/edge-openapi');
  return { 'edge.openapi.json': edgeOpenApi(), 'central-admin.openapi.json': adminOpenApi() };
}

/** A markdown index of every route of `docs` (what docs/api/README.md holds). */
export function routeIndex(docs: Record<string, OpenApiDocument>): string {
  const out = [
    '# HTTP APIs',
    '',
    'Generated from the zod schemas by `node bin/edgerec.js openapi` (a test fails when these files',
    'are stale). The same documents are served live: an edge at `/openapi.json` (readable at',
    "`/docs`), central's admin API at `/admin/openapi.json`. Errors are always",
    '`{"error":{"code","message"}}`.',
  ];
  for (const [file, doc] of Object.entries(docs)) {
    out.push('', `## ${doc.info.title} — [${file}](${file})`, '', doc.info.description ?? '', '', '| method | path | summary |', '|---|---|---|');
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const summary = (op as { summary?: string }).summary ?? '';
        out.push(`| ${method.toUpperCase()} | \`${path}\` | ${summary.replace(/\|/g, '\\|')} |`);
      }
    }
  }
  return `${out.join('\n')}\n`;
}

/** Serialized the way the files are committed (stable key order from the builders, 2-space indent). */
export const documentText = (doc: OpenApiDocument): string => `${JSON.stringify(doc, null, 2)}\n`;

export const openapiUsage = 'openapi [--out DIR (default docs/api)]  write the OpenAPI documents and a route index';

/** `edgerec openapi`: writes docs/api/{edge,central-admin}.openapi.json and README.md. */
export async function openapiCommand(argv: string[], io: CliIo): Promise<number> {
  const f = parseFlags(argv, { out: { type: 'string' } }, z.object({ out: z.string().min(1).default('docs/api') }));
  const docs = await apiDocuments();
  mkdirSync(f.out, { recursive: true });
  for (const [file, doc] of Object.entries(docs)) writeFileSync(join(f.out, file), documentText(doc));
  writeFileSync(join(f.out, 'README.md'), routeIndex(docs));
  io.out.write(`${JSON.stringify({ out: f.out, files: [...Object.keys(docs), 'README.md'] })}\n`);
  return 0;
}
