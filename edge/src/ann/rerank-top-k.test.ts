import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rerankTopK } from './rerank-top-k.js';

describe('rerankTopK', () => {
  it('is the exact top-k (score desc, item asc) over index candidates ∪ changed rows ∪ rows past the index, minus exclusions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            indexed: fc.integer({ min: 0, max: n }),
            scores: fc.array(fc.integer({ min: -5, max: 5 }), { minLength: n, maxLength: n }), // small range: many ties
            fromIndex: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 })),
            changed: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 })),
            excluded: fc.uniqueArray(fc.integer({ min: 0, max: n - 1 })),
            k: fc.integer({ min: 0, max: 12 }),
          }),
        ),
        ({ n, indexed, scores, fromIndex, changed, excluded, k }) => {
          const fromIdx = fromIndex.filter((i) => i < indexed); // the index only knows rows below indexedRows
          const exclude = new Set(excluded);
          const pool = new Set([...fromIdx, ...changed, ...Array.from({ length: n - indexed }, (_, j) => indexed + j)]);
          const want = [...pool].filter((i) => !exclude.has(i)).map((item) => ({ item, score: scores[item] }))
            .sort((a, b) => b.score - a.score || a.item - b.item).slice(0, k);
          const got = rerankTopK({ fromIndex: fromIdx, changed, indexedRows: indexed, numItems: n }, k, (i) => scores[i], exclude);
          expect(got).toEqual(want);
        },
      ),
    );
  });

  it('scores each row once, even when it is both a candidate and changed', () => {
    const calls: number[] = [];
    rerankTopK({ fromIndex: [1, 2], changed: [2, 3, 5], indexedRows: 5, numItems: 6 }, 3, (i) => (calls.push(i), i));
    expect(calls.sort()).toEqual([1, 2, 3, 5]);
  });
});
