import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DomainError } from '@edgerec/proto-schemas';
import { loadMlLatest, mlLatestToDataset, parseMlLatestRatings } from './ml-latest-loader.js';

/** Arbitrary Unicode text, lone surrogates included (fc's 'binary' unit has a multi-second warm-up). */
const anyText = fc
  .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 200 })
  .map((cps) => String.fromCodePoint(...cps));

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'edgerec-mllatest-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const writeCsv = (name: string, text: string): string => {
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'ratings.csv'), text);
  return dir;
};

const CSV = ['userId,movieId,rating,timestamp', '1,31,2.5,1260759144', '1,1029,3.0,1260759179', '10,31,4.5,1260759100', ''].join(
  '\r\n',
);

describe('loadMlLatest', () => {
  it('reads ratings.csv with decimal ratings into a time-ordered data set', async () => {
    const ds = await loadMlLatest(writeCsv('ok', CSV));
    expect(ds.name).toBe('ml-latest');
    expect(ds.userIds).toEqual(['1', '10']);
    expect(ds.itemIds).toEqual(['31', '1029']);
    expect(ds.interactions).toEqual([
      { user: 1, item: 0, ts: 1260759100, rating: 4.5 },
      { user: 0, item: 0, ts: 1260759144, rating: 2.5 },
      { user: 0, item: 1, ts: 1260759179, rating: 3 },
    ]);
    expect(ds.userRegion).toBeUndefined();
  });

  it('rejects a wrong header on line 1', async () => {
    const dir = writeCsv('badheader', 'user,item,rating,ts\n1,2,3,4\n');
    await expect(loadMlLatest(dir)).rejects.toMatchObject({
      code: 'bad_data',
      message: expect.stringMatching(/^ratings\.csv line 1: expected header "userId,movieId,rating,timestamp"/),
    });
  });

  it('names the line of a malformed row', async () => {
    const dir = writeCsv('badrow', 'userId,movieId,rating,timestamp\n1,2,3,4\n1,2,three,4\n');
    await expect(loadMlLatest(dir)).rejects.toThrow('ratings.csv line 3: rating must be a number, got "three"');
  });

  it('rejects an empty file, a header-only file and a missing file', async () => {
    await expect(loadMlLatest(writeCsv('empty', ''))).rejects.toMatchObject({ code: 'bad_data' });
    await expect(loadMlLatest(writeCsv('headeronly', 'userId,movieId,rating,timestamp\n'))).rejects.toThrow(/no ratings/);
    await expect(loadMlLatest(join(root, 'nope'))).rejects.toMatchObject({ code: 'data_not_found' });
  });
});

describe('parseMlLatestRatings', () => {
  it('accepts a BOM before the header', () => {
    expect(parseMlLatestRatings('\uFEFFuserId,movieId,rating,timestamp\n5,6,0.5,7').ratings).toEqual([0.5]);
  });

  it('parses random well-formed rows back to the same numbers', () => {
    const row = fc.record({
      user: fc.nat(10_000_000),
      item: fc.nat(10_000_000),
      halfStars: fc.integer({ min: 1, max: 10 }),
      ts: fc.nat(2_000_000_000),
    });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 50 }), fc.constantFrom('\n', '\r\n'), (rows, eol) => {
        const body = rows.map((r) => `${r.user},${r.item},${(r.halfStars / 2).toFixed(1)},${r.ts}`);
        const cols = parseMlLatestRatings(['userId,movieId,rating,timestamp', ...body].join(eol) + eol);
        expect(cols.users).toEqual(rows.map((r) => r.user));
        expect(cols.items).toEqual(rows.map((r) => r.item));
        expect(cols.ratings).toEqual(rows.map((r) => r.halfStars / 2));
        expect(cols.timestamps).toEqual(rows.map((r) => r.ts));
      }),
    );
  });

  it('never fails on garbage with anything but a DomainError', () => {
    const garbage = fc.oneof(
      anyText,
      fc.array(fc.constantFrom('userId,movieId,rating,timestamp\n', '1', ',', '.5', '\n', 'e9', '-', '\r\n', 'NaN'), {
        maxLength: 40,
      }).map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(garbage, (text) => {
        try {
          mlLatestToDataset(text);
        } catch (err) {
          expect(err).toBeInstanceOf(DomainError);
        }
      }),
    );
  });
});
