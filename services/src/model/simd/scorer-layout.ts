import { int8Stride } from './int8-quantizer.js';
import { learnLayout, type LearnLayout } from './learn-workspace.js';

/** Largest k (and int8 candidate count) the wasm selection serves; larger falls back to JS. */
export const SIMD_MAX_K = 1024;
export const PAGE_BYTES = 65_536;
/** wasm32 addresses at most 4 GiB; past that the table stays in JS memory. */
export const MAX_PAGES = 65_536;
/** Distinct stale rows remembered one by one; beyond that the whole mirror is rebuilt. */
export const STALE_LIST_MAX = 65_536;

/** cache-line alignment of each region, so views are 16-byte aligned for v128 access */
const align64 = (bytes: number): number => Math.ceil(bytes / 64) * 64;

/** Byte offsets of a scorer's regions in its wasm memory (see SimdScorer). */
export interface ScorerLayout {
  /** f32 query (dim) */
  q: number;
  /** f32 item table (numItems × dim) and bias (numItems) */
  e: number;
  b: number;
  /** f32 scores (numItems) */
  out: number;
  /** selection heap: f32 scores and i32 items (SIMD_MAX_K each) */
  hs: number;
  hi: number;
  /** exclusion bitmap (numItems bits) */
  ex: number;
  /** int16 query (stride) */
  q16: number;
  /** int8 mirror rows (numItems × stride) and row scales (numItems f32) */
  qe: number;
  rs: number;
  /** candidate items (i32) and their exact scores (f32), SIMD_MAX_K each */
  ids: number;
  cs: number;
  /** stale-row list (staleCap i32) */
  stale: number;
  staleCap: number;
  /** the adapter and the online learner's workspace (learn-workspace.ts) */
  learn: LearnLayout;
  /** bytes per int8 row */
  stride: number;
  /** pages the memory needs */
  pages: number;
}

/**
 * Where each region of a `numItems × dim` scorer (adapter rank `rank`) lives. The int8 mirror adds a quarter of
 * the f32 table's bytes (plus a scale per row).
 *
 * @example
 * scorerLayout(50_000, 64).pages; // 257 (16.8 MB: 12.8 f32 + 3.2 int8 + buffers)
 */
export function scorerLayout(numItems: number, dim: number, rank = 0): ScorerLayout {
  const stride = int8Stride(dim);
  const staleCap = Math.min(numItems, STALE_LIST_MAX);
  const q = 0;
  const e = align64(dim * 4);
  const b = align64(e + numItems * dim * 4);
  const out = align64(b + numItems * 4);
  const hs = align64(out + numItems * 4);
  const hi = hs + SIMD_MAX_K * 4;
  const ex = hi + SIMD_MAX_K * 4;
  const q16 = align64(ex + Math.ceil(numItems / 8));
  const qe = align64(q16 + stride * 2);
  const rs = align64(qe + numItems * stride);
  const ids = align64(rs + numItems * 4);
  const cs = ids + SIMD_MAX_K * 4;
  const stale = cs + SIMD_MAX_K * 4;
  const learn = learnLayout(stale + staleCap * 4, dim, rank);
  const end = learn.end;
  return { q, e, b, out, hs, hi, ex, q16, qe, rs, ids, cs, stale, staleCap, learn, stride, pages: Math.max(1, Math.ceil(end / PAGE_BYTES)) };
}
