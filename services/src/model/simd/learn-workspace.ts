import { learnKernelModule } from './simd-support.js';

/** Most items one learning step scores (the positive + up to 256 sampled negatives). */
export const LEARN_MAX_SCORED = 257;
/** Longest history the kernel takes (ModelConfig.historyLen's bound). */
export const LEARN_MAX_HISTORY = 512;

/** cache-line alignment, so every view is 16-byte aligned for v128 access */
const align64 = (bytes: number): number => Math.ceil(bytes / 64) * 64;

/** Byte offsets of the adapter and the learning workspace in a scorer's memory. */
export interface LearnLayout {
  /** the adapter [A | B | α] (2·dim·rank + 1 f32) */
  w: number;
  /** user vector, query, history mean, ∂q, row gradient, ∂m (dim f32 each) */
  p: number;
  q: number;
  m: number;
  dq: number;
  g: number;
  dm: number;
  /** Bᵀm and Aᵀ∂q (rank f32 each) */
  u: number;
  v: number;
  /** scored items (i32), their coefficients and scores (f32), LEARN_MAX_SCORED each */
  items: number;
  coefs: number;
  scores: number;
  /** history items (i32) and their step sizes (f32), LEARN_MAX_HISTORY each */
  hist: number;
  lrs: number;
  /** first byte after the workspace */
  end: number;
}

/**
 * Where the adapter and the learning workspace live, from byte `base` on.
 *
 * @example
 * learnLayout(1024, 64, 8).end - 1024; // ≈ 13 KB
 */
export function learnLayout(base: number, dim: number, rank: number): LearnLayout {
  let at = align64(base);
  const take = (bytes: number): number => {
    const start = at;
    at = align64(at + bytes);
    return start;
  };
  const w = take((2 * dim * rank + 1) * 4);
  const [p, q, m, dq, g, dm] = [0, 1, 2, 3, 4, 5].map(() => take(dim * 4));
  const u = take(Math.max(1, rank) * 4);
  const v = take(Math.max(1, rank) * 4);
  const items = take(LEARN_MAX_SCORED * 4);
  const coefs = take(LEARN_MAX_SCORED * 4);
  const scores = take(LEARN_MAX_SCORED * 4);
  const hist = take(LEARN_MAX_HISTORY * 4);
  const lrs = take(LEARN_MAX_HISTORY * 4);
  return { w, p, q, m, dq, g, dm, u, v, items, coefs, scores, hist, lrs, end: at };
}

interface LearnKernelExports {
  dot(x: number, y: number, n: number): number;
  axpy(y: number, a: number, x: number, n: number): void;
  zero(x: number, n: number): void;
  divide(x: number, s: number, n: number): void;
  matTVec(mat: number, x: number, out: number, rows: number, cols: number): void;
  matVecAdd(mat: number, x: number, out: number, rows: number, cols: number): void;
  forward(e: number, b: number, hist: number, hl: number, d: number, r: number, w: number, p: number, m: number,
    u: number, q: number, items: number, n: number, scores: number): void;
  combine(e: number, items: number, coefs: number, n: number, d: number, out: number): void;
  rowGrad(row: number, x: number, c: number, reg: number, n: number, g: number): number;
  rank1Step(mat: number, x: number, y: number, lr: number, reg: number, rows: number, cols: number): void;
  gatherAxpy(e: number, rows: number, lrs: number, count: number, d: number, x: number): void;
}

/**
 * learn-kernel.wat bound to a scorer's memory: views on the adapter and the workspace, and
 * the kernel's ops with their offsets filled in. RecommenderModel.learnOne drives it (see
 * its SIMD path); the adapter view *is* the model's `weights.adapter`, so nothing is copied.
 *
 * @example
 * const k = simdScorerOf(weights)!.learner;   // weights from allocateWeights(n, d, r)
 * k.p.set(user.vec); k.hist.set(history); k.items[0] = pos;
 * k.forward(history.length, 1); k.scores[0];  // = model.scoreWithQuery(q, pos)
 */
export class LearnWorkspace {
  readonly adapter: Float32Array;
  readonly p: Float32Array;
  readonly q: Float32Array;
  readonly m: Float32Array;
  readonly dq: Float32Array;
  readonly g: Float32Array;
  readonly dm: Float32Array;
  readonly u: Float32Array;
  readonly v: Float32Array;
  readonly items: Int32Array;
  readonly coefs: Float32Array;
  readonly scores: Float32Array;
  readonly hist: Int32Array;
  readonly lrs: Float32Array;
  private readonly k: LearnKernelExports;
  /** byte offsets of A and B */
  private readonly a: number;
  private readonly b: number;

  constructor(
    memory: WebAssembly.Memory,
    private readonly at: LearnLayout,
    /** byte offsets of the item table and bias */
    private readonly e: number,
    private readonly bias: number,
    readonly dim: number,
    readonly rank: number,
  ) {
    this.k = new WebAssembly.Instance(learnKernelModule(), { env: { memory } }).exports as unknown as LearnKernelExports;
    const buf = memory.buffer;
    const f32 = (off: number, n: number) => new Float32Array(buf, off, n);
    this.adapter = f32(at.w, 2 * dim * rank + 1);
    [this.p, this.q, this.m, this.dq, this.g, this.dm] = [at.p, at.q, at.m, at.dq, at.g, at.dm].map((o) => f32(o, dim));
    this.u = f32(at.u, rank);
    this.v = f32(at.v, rank);
    this.items = new Int32Array(buf, at.items, LEARN_MAX_SCORED);
    this.coefs = f32(at.coefs, LEARN_MAX_SCORED);
    this.scores = f32(at.scores, LEARN_MAX_SCORED);
    this.hist = new Int32Array(buf, at.hist, LEARN_MAX_HISTORY);
    this.lrs = f32(at.lrs, LEARN_MAX_HISTORY);
    this.a = at.w;
    this.b = at.w + dim * rank * 4;
  }

  /** m = mean(E[hist[0..hl)]), u = Bᵀm, q = p + α·m + A·u; scores[j] = q·E[items[j]] + b[items[j]], j < n. */
  forward(hl: number, n: number): void {
    const at = this.at;
    this.k.forward(this.e, this.bias, at.hist, hl, this.dim, this.rank, at.w, at.p, at.m, at.u, at.q, at.items, n, at.scores);
  }

  /** dq = Σ_{j<n} coefs[j]·E[items[j]] */
  combine(n: number): void {
    this.k.combine(this.e, this.at.items, this.at.coefs, n, this.dim, this.at.dq);
  }

  /** g = c·q − reg·E[row]; returns ‖g‖² */
  rowGrad(row: number, c: number, reg: number): number {
    return this.k.rowGrad(this.e + row * this.dim * 4, this.at.q, c, reg, this.dim, this.at.g);
  }

  /** E[row] += lr·g */
  stepRow(row: number, lr: number): void {
    this.k.axpy(this.e + row * this.dim * 4, lr, this.at.g, this.dim);
  }

  /** dm = α·dq + B·(Aᵀdq), leaving v = Aᵀdq (A, B as they are now) */
  backpropAdapter(alpha: number): void {
    const { at, dim, rank } = this;
    this.k.zero(at.dm, dim);
    this.k.axpy(at.dm, alpha, at.dq, dim);
    if (rank === 0) return;
    this.k.matTVec(this.a, at.dq, at.v, dim, rank);
    this.k.matVecAdd(this.b, at.v, at.dm, dim, rank);
  }

  /** Σ x·y over two workspace vectors of the same length */
  dot(x: 'dq' | 'm' | 'u' | 'v' | 'dm', y: 'dq' | 'm' | 'u' | 'v' | 'dm'): number {
    return this.k.dot(this.at[x], this.at[y], x === 'u' || x === 'v' ? this.rank : this.dim);
  }

  /** A += lrA·(dq ⊗ u − reg·A); B += lrB·(m ⊗ v − reg·B) */
  stepAdapterFactors(lrA: number, lrB: number, reg: number): void {
    const { at, dim, rank } = this;
    this.k.rank1Step(this.a, at.dq, at.u, lrA, reg, dim, rank);
    this.k.rank1Step(this.b, at.m, at.v, lrB, reg, dim, rank);
  }

  /** dm /= s */
  divideDm(s: number): void {
    this.k.divide(this.at.dm, s, this.dim);
  }

  /** E[hist[h]] += lrs[h]·dm for h < count */
  stepHistoryRows(count: number): void {
    this.k.gatherAxpy(this.e, this.at.hist, this.at.lrs, count, this.dim, this.at.dm);
  }
}
