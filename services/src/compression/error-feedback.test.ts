import { describe, expect, it } from 'vitest';
import { DomainError } from '@edgerec/proto-schemas';
import type { SparseDelta } from '../model/weights.js';
import { applyErrorFeedback, emptyResidual, type ResidualState } from './error-feedback.js';
import { mulberry32 } from '../common/seeded-rng.js';
import { syntheticDelta } from '../federation/synthetic-delta.js';

const NUM_ITEMS = 300;
const DIM = 16;
const ADAPTER = 2 * DIM * 2 + 1;

/** Dense (numItems × (dim+1)) sum of sparse deltas, plus the adapter sum. */
function accumulate(acc: { rows: Float64Array; adapter: Float64Array }, d: SparseDelta, sign = 1): void {
  for (let j = 0; j < d.rows.length; j++) {
    const base = d.rows[j] * (DIM + 1);
    for (let c = 0; c < DIM; c++) acc.rows[base + c] += sign * d.emb[j * DIM + c];
    acc.rows[base + DIM] += sign * d.bias[j];
  }
  if (d.adapter) for (let i = 0; i < d.adapter.length; i++) acc.adapter[i] += sign * d.adapter[i];
}

function addResidual(acc: { rows: Float64Array; adapter: Float64Array }, res: ResidualState): void {
  for (const [r, v] of res.rows) for (let c = 0; c <= DIM; c++) acc.rows[r * (DIM + 1) + c] += v[c];
  if (res.adapter) for (let i = 0; i < res.adapter.length; i++) acc.adapter[i] += res.adapter[i];
}

const zeros = () => ({ rows: new Float64Array(NUM_ITEMS * (DIM + 1)), adapter: new Float64Array(ADAPTER) });
const maxAbs = (a: Float64Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

describe('error feedback', () => {
  it('over many rounds, sent + final residual equals the sum of true deltas', () => {
    const rng = mulberry32(11);
    let residual = emptyResidual(DIM);
    const truth = zeros();
    const sent = zeros();
    for (let round = 0; round < 20; round++) {
      const d = syntheticDelta(rng, { numItems: NUM_ITEMS, dim: DIM, rows: 40, adapterLength: ADAPTER });
      accumulate(truth, d);
      const out = applyErrorFeedback(d, residual, { codec: 'topk-int8', topK: { k: 2 } });
      accumulate(sent, out.sent);
      residual = out.residual;
    }
    const gap = zeros();
    for (let i = 0; i < gap.rows.length; i++) gap.rows[i] = truth.rows[i] - sent.rows[i];
    for (let i = 0; i < gap.adapter.length; i++) gap.adapter[i] = truth.adapter[i] - sent.adapter[i];
    // Without feedback the gap is what top-2-of-16 dropped: most of the signal.
    expect(maxAbs(gap.rows)).toBeGreaterThan(0.01);
    const withResidual = zeros();
    addResidual(withResidual, residual);
    for (let i = 0; i < gap.rows.length; i++) gap.rows[i] -= withResidual.rows[i];
    for (let i = 0; i < gap.adapter.length; i++) gap.adapter[i] -= withResidual.adapter[i];
    expect(maxAbs(gap.rows)).toBeLessThan(1e-5);
    expect(maxAbs(gap.adapter)).toBeLessThan(1e-5);
  });

  it('keeps the residual bounded: it does not grow with the number of rounds', () => {
    const rng = mulberry32(5);
    let residual = emptyResidual(DIM);
    const norms: number[] = [];
    for (let round = 0; round < 60; round++) {
      const d = syntheticDelta(rng, { numItems: 20, dim: DIM, rows: 20 });
      residual = applyErrorFeedback(d, residual, { codec: 'topk-int8', topK: { k: 4 } }).residual;
      let s = 0;
      for (const v of residual.rows.values()) for (const x of v) s += x * x;
      norms.push(Math.sqrt(s));
    }
    const early = Math.max(...norms.slice(10, 30));
    const late = Math.max(...norms.slice(40));
    expect(late).toBeLessThan(early * 2);
  });

  it('carries a row that was touched once into later rounds until it is sent', () => {
    const d1: SparseDelta = {
      ...emptyDelta(),
      rows: Uint32Array.from([7]),
      emb: Float32Array.from({ length: DIM }, (_, c) => (c === 0 ? 1 : 0.5)),
      bias: Float32Array.from([0]),
      rowCounts: Uint32Array.from([3]),
    };
    const r1 = applyErrorFeedback(d1, emptyResidual(DIM), { codec: 'topk-int8', topK: { k: 1 } });
    // int8 on the log scale grid: within half a step (≤ 1.09/127/2) of 1
    expect(Math.abs(r1.sent.emb[0] - 1)).toBeLessThan(0.0043);
    expect(r1.residual.rows.get(7)?.[1]).toBeCloseTo(0.5, 6);
    const r2 = applyErrorFeedback(emptyDelta(), r1.residual, { codec: 'topk-int8', topK: { k: 1 } });
    expect(Array.from(r2.sent.rows)).toEqual([7]);
    expect(r2.sent.rowCounts[0]).toBe(1);
    expect(Math.abs(Math.max(...r2.sent.emb) - 0.5)).toBeLessThan(0.0022);
  });

  it("leaves no residual with the lossless 'none' codec, and does not mutate its inputs", () => {
    const d = syntheticDelta(mulberry32(1), { numItems: NUM_ITEMS, dim: DIM, rows: 10 });
    const before = d.emb.slice();
    const residual = emptyResidual(DIM);
    const out = applyErrorFeedback(d, residual, { codec: 'none' });
    expect(out.residual.rows.size).toBe(0);
    expect(out.residual.adapter).toBeNull();
    expect(d.emb).toEqual(before);
    expect(residual.rows.size).toBe(0);
  });

  it('rejects a residual of another dimension', () => {
    const d = syntheticDelta(mulberry32(1), { numItems: NUM_ITEMS, dim: DIM, rows: 10 });
    expect(() => applyErrorFeedback(d, emptyResidual(DIM + 1), { codec: 'int8' })).toThrow(DomainError);
  });
});

function emptyDelta(): SparseDelta {
  return {
    dim: DIM, rows: new Uint32Array(0), emb: new Float32Array(0), bias: new Float32Array(0),
    rowCounts: new Uint32Array(0), adapter: null, adapterCount: 0, samples: 0,
  };
}
