import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from '@edgerec/proto-schemas';
import { loadMl100k, ml100kToDataset, parseMl100kData, parseMl100kUsers, zipRegion } from './ml100k-loader.js';

/** Arbitrary Unicode text, lone surrogates included (fc's 'binary' unit has a multi-second warm-up). */
const anyText = fc
  .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 200 })
  .map((cps) => String.fromCodePoint(...cps));

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'edgerec-ml100k-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const fixture = (name: string, files: Record<string, string>): string => {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
};

const U_DATA = ['196\t242\t3\t881250949', '186\t302\t3\t891717742', '22\t377\t1\t878887116', '196\t51\t2\t880606923'];
const U_USER = ['22|25|M|writer|40206', '186|39|F|executive|00000', '196|49|M|writer|T8H1N'];

describe('loadMl100k', () => {
  it('reads CRLF files, assigns dense ids by numeric external id and sorts interactions by time', async () => {
    const dir = fixture('crlf', { 'u.data': U_DATA.join('\r\n') + '\r\n', 'u.user': U_USER.join('\r\n') });
    const ds = await loadMl100k(dir);
    expect(ds.name).toBe('ml-100k');
    expect(ds.userIds).toEqual(['22', '186', '196']);
    expect(ds.itemIds).toEqual(['51', '242', '302', '377']);
    expect(ds.numUsers).toBe(3);
    expect(ds.numItems).toBe(4);
    expect(ds.interactions.map((x) => x.ts)).toEqual([878887116, 880606923, 881250949, 891717742]);
    expect(ds.interactions[0]).toEqual({ user: 0, item: 3, ts: 878887116, rating: 1 });
    expect(ds.userRegion).toEqual(['4', '0', 'T']);
  });

  it('gives no regions without u.user and "unknown" for users u.user lacks', async () => {
    const noUsers = await loadMl100k(fixture('nouser', { 'u.data': U_DATA.join('\n') }));
    expect(noUsers.userRegion).toBeUndefined();
    const partial = await loadMl100k(fixture('partial', { 'u.data': U_DATA.join('\n'), 'u.user': U_USER[0] }));
    expect(partial.userRegion).toEqual(['4', 'unknown', 'unknown']);
  });

  it('names file and line of a malformed row', async () => {
    const lines = [...U_DATA.slice(0, 2), '', '7\t8\t9'];
    const dir = fixture('bad', { 'u.data': lines.join('\n') });
    await expect(loadMl100k(dir)).rejects.toMatchObject({
      code: 'bad_data',
      status: 400,
      message: 'u.data line 4: expected 4 tab-separated fields, got 3',
    });
  });

  it('rejects an empty file and a missing u.data', async () => {
    await expect(loadMl100k(fixture('empty', { 'u.data': '' }))).rejects.toMatchObject({ code: 'bad_data' });
    const missing = fixture('missing', {});
    await expect(loadMl100k(missing)).rejects.toMatchObject({
      code: 'data_not_found',
      message: expect.stringContaining(join(missing, 'u.data')),
    });
  });
});

describe('ml-100k parsers', () => {
  it('reports non-numeric fields with their line', () => {
    expect(() => parseMl100kData('1\t2\t3\t4\n1\tx\t3\t4\n')).toThrow(/u\.data line 2: item id must be a non-negative integer/);
    expect(() => parseMl100kUsers('1|20|M|x|1\n1|21|F|y|2')).toThrow(/u\.user line 2: user 1 is listed twice/);
    expect(() => parseMl100kUsers('1|20|M|x')).toThrow(/u\.user line 1: expected 5 \|-separated fields/);
  });

  it('maps zips to their first character', () => {
    expect(zipRegion('55105')).toBe('5');
    expect(zipRegion('T8H1N')).toBe('T');
    expect(zipRegion(' ')).toBe('unknown');
  });

  it('builds the same data set from texts as from files', () => {
    const ds = ml100kToDataset(U_DATA.join('\n'), U_USER.join('\n'));
    expect(ds.userRegion).toEqual(['4', '0', 'T']);
    expect(ds.interactions).toHaveLength(4);
  });

  const row = fc.record({
    user: fc.nat(1_000_000),
    item: fc.nat(1_000_000),
    rating: fc.integer({ min: 1, max: 5 }),
    ts: fc.nat(2_000_000_000),
  });

  it('parses random well-formed rows back to the same numbers (LF or CRLF)', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 50 }), fc.boolean(), (rows, crlf) => {
        const text = rows.map((r) => `${r.user}\t${r.item}\t${r.rating}\t${r.ts}`).join(crlf ? '\r\n' : '\n');
        const cols = parseMl100kData(text);
        expect(cols.users).toEqual(rows.map((r) => r.user));
        expect(cols.items).toEqual(rows.map((r) => r.item));
        expect(cols.ratings).toEqual(rows.map((r) => r.rating));
        expect(cols.timestamps).toEqual(rows.map((r) => r.ts));
      }),
    );
  });

  it('never fails on garbage with anything but a DomainError', () => {
    const garbage = fc.oneof(
      anyText,
      fc.array(fc.constantFrom('1', '\t', '|', '\n', '\r\n', 'x', '-', '.', ' ', '99999999999999999999'), { maxLength: 60 })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(garbage, (text) => {
        for (const parse of [parseMl100kData, parseMl100kUsers, (t: string) => ml100kToDataset(t, t)]) {
          try {
            parse(text);
          } catch (err) {
            expect(err).toBeInstanceOf(DomainError);
          }
        }
      }),
    );
  });
});
