import { DomainError } from '@edgerec/proto-schemas';
import type { SparseDelta } from '../model/weights.js';
import { decodeDelta, encodeDelta, type DeltaCodec, type DeltaCodecOptions } from './delta-codec.js';
import { validateDelta } from './delta-validation.js';

/**
 * What lossy compression has dropped so far and still owes the server. Kept per edge (the
 * edge persists it in SQLite between rounds).
 */
export interface ResidualState {
  dim: number;
  /** item row → residual of length dim + 1: embedding coordinates, then the bias */
  rows: Map<number, Float32Array>;
  /** same length as the model's adapter, or null when nothing is owed */
  adapter: Float32Array | null;
}

export const emptyResidual = (dim: number): ResidualState => ({ dim, rows: new Map(), adapter: null });

export interface ErrorFeedbackResult {
  /** encoded (delta + residual), ready to send */
  bytes: Uint8Array;
  /** what the receiver will decode from `bytes` */
  sent: SparseDelta;
  /** (delta + residual) − sent; pass it to the next call */
  residual: ResidualState;
}

/**
 * Error feedback (Seide et al. 2014; Karimireddy et al. 2019): compress `delta + residual`
 * and keep what compression lost for the next round, so that over rounds
 * Σ sent = Σ delta − residual_final, i.e. nothing is lost, only delayed.
 *
 * Rows that only the residual holds are sent with rowCount 1, so count-weighted FedAvg
 * still moves them (with a small weight) instead of ignoring a count of 0.
 * Pure: neither `delta` nor `residual` is modified.
 *
 * @example
 * let residual = emptyResidual(64);
 * const out = applyErrorFeedback(delta, residual, { codec: 'topk-int8' });
 * publish(out.bytes);
 * residual = out.residual;
 */
export function applyErrorFeedback(
  delta: SparseDelta,
  residual: ResidualState,
  opts: { codec: DeltaCodec } & DeltaCodecOptions,
): ErrorFeedbackResult {
  validateDelta(delta);
  const { dim } = delta;
  if (residual.dim !== dim) throw new DomainError('bad_delta', 400, `residual dim ${residual.dim} ≠ delta dim ${dim}`);
  for (const [r, res] of residual.rows) {
    if (res.length !== dim + 1) throw new DomainError('bad_delta', 400, `residual row ${r} must hold dim + 1 values`);
  }
  if (residual.adapter && delta.adapter && residual.adapter.length !== delta.adapter.length) {
    throw new DomainError('bad_delta', 400, 'residual adapter and delta adapter differ in length');
  }
  const corrected = addResidual(delta, residual);
  const bytes = encodeDelta(corrected, opts.codec, opts);
  const sent = decodeDelta(bytes, { maxValues: Infinity });
  return { bytes, sent, residual: difference(corrected, sent) };
}

function addResidual(delta: SparseDelta, residual: ResidualState): SparseDelta {
  const { dim } = delta;
  const rowSet = new Set<number>(delta.rows);
  for (const r of residual.rows.keys()) rowSet.add(r);
  const rows = Uint32Array.from(rowSet).sort();
  const n = rows.length;
  const emb = new Float32Array(n * dim);
  const bias = new Float32Array(n);
  const rowCounts = new Uint32Array(n).fill(1);
  const slot = new Map<number, number>();
  rows.forEach((r, j) => slot.set(r, j));
  for (let j = 0; j < delta.rows.length; j++) {
    const s = slot.get(delta.rows[j])!;
    emb.set(delta.emb.subarray(j * dim, (j + 1) * dim), s * dim);
    bias[s] = delta.bias[j];
    rowCounts[s] = delta.rowCounts[j];
  }
  for (const [r, res] of residual.rows) {
    const s = slot.get(r)!;
    for (let c = 0; c < dim; c++) emb[s * dim + c] += res[c];
    bias[s] += res[dim];
  }
  let adapter: Float32Array | null = delta.adapter ? delta.adapter.slice() : null;
  let adapterCount = delta.adapterCount;
  if (residual.adapter) {
    if (!adapter) {
      adapter = new Float32Array(residual.adapter.length);
      adapterCount = Math.max(adapterCount, 1);
    }
    for (let i = 0; i < adapter.length; i++) adapter[i] += residual.adapter[i];
  }
  return { dim, rows, emb, bias, rowCounts, adapter, adapterCount, samples: delta.samples };
}

/** corrected − sent, both with the same (ascending) rows; all-zero rows are dropped. */
function difference(corrected: SparseDelta, sent: SparseDelta): ResidualState {
  const { dim } = corrected;
  const rows = new Map<number, Float32Array>();
  for (let j = 0; j < corrected.rows.length; j++) {
    const res = new Float32Array(dim + 1);
    let any = false;
    for (let c = 0; c < dim; c++) {
      res[c] = corrected.emb[j * dim + c] - sent.emb[j * dim + c];
      any ||= res[c] !== 0;
    }
    res[dim] = corrected.bias[j] - sent.bias[j];
    any ||= res[dim] !== 0;
    if (any) rows.set(corrected.rows[j], res);
  }
  let adapter: Float32Array | null = null;
  if (corrected.adapter && sent.adapter) {
    adapter = new Float32Array(corrected.adapter.length);
    let any = false;
    for (let i = 0; i < adapter.length; i++) {
      adapter[i] = corrected.adapter[i] - sent.adapter[i];
      any ||= adapter[i] !== 0;
    }
    if (!any) adapter = null;
  }
  return { dim, rows, adapter };
}
