import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { apiDocuments, documentText, openapiCommand, routeIndex } from './openapi-command.js';

const docsApi = resolve(dirname(fileURLToPath(import.meta.url)), '../../../docs/api');
const sink = () => {
  let text = '';
  return { stream: { write: (s: string) => ((text += s), true) } as unknown as NodeJS.WritableStream, text: () => text };
};

describe('edgerec openapi', () => {
  it('the committed docs/api files are what the zod schemas generate (run `node bin/edgerec.js openapi` after changing a route)', async () => {
    const docs = await apiDocuments();
    for (const [file, doc] of Object.entries(docs)) expect(readFileSync(join(docsApi, file), 'utf8'), file).toBe(documentText(doc));
    expect(readFileSync(join(docsApi, 'README.md'), 'utf8')).toBe(routeIndex(docs));
  });

  it('documents every edge route and every admin route, and writes them where asked', async () => {
    const docs = await apiDocuments();
    expect(Object.keys(docs['edge.openapi.json'].paths)).toEqual(expect.arrayContaining(['/v1/recommendations', '/v1/events', '/healthz', '/metrics']));
    expect(Object.keys(docs['central-admin.openapi.json'].paths)).toEqual(expect.arrayContaining(['/admin/nodes', '/admin/policy', '/admin/events']));
    const dir = mkdtempSync(join(tmpdir(), 'edgerec-openapi-'));
    try {
      const out = sink();
      expect(await openapiCommand(['--out', dir], { out: out.stream, err: out.stream })).toBe(0);
      expect(JSON.parse(out.text())).toMatchObject({ out: dir, files: ['edge.openapi.json', 'central-admin.openapi.json', 'README.md'] });
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toContain('| POST | `/v1/events` |');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown flags', async () => {
    const out = sink();
    await expect(openapiCommand(['--nope'], { out: out.stream, err: out.stream })).rejects.toMatchObject({ code: 'bad_flag' });
  });
});
