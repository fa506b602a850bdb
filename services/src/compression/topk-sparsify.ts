/**
 * Per-row top-k sparsification by magnitude. Each row keeps exactly k entries (all of them
 * when k ≥ cols); ties at the threshold are broken by lower column index so results are
 * deterministic. Kept indices are ascending within a row, which lets the wire format store
 * them as small gaps.
 */
export interface TopKRows {
  rows: number;
  cols: number;
  k: number;
  /** rows × k column indices, ascending within each row */
  indices: Uint32Array;
  /** rows × k kept values, aligned with `indices` */
  values: Float32Array;
  /** rows × cols: the input with kept entries zeroed (what was dropped) */
  residual: Float32Array;
}

export type TopKSpec = { k: number } | { fraction: number };

/** k for a fraction of `cols`, at least 1 and at most cols. */
export function kFor(cols: number, spec: TopKSpec): number {
  const raw = 'k' in spec ? spec.k : Math.round(spec.fraction * cols);
  if (!Number.isFinite(raw)) throw new RangeError(`top-k: bad spec ${JSON.stringify(spec)}`);
  return Math.min(cols, Math.max(1, Math.floor(raw)));
}

/**
 * Keeps the k largest-magnitude entries of every row.
 *
 * @example
 * const t = topKRows(new Float32Array([0.1, -3, 2, 0]), 1, 4, { k: 2 });
 * t.indices; // [1, 2]
 * t.values;  // [-3, 2]
 * t.residual; // [0.1, 0, 0, 0]
 */
export function topKRows(data: Float32Array, rows: number, cols: number, spec: TopKSpec): TopKRows {
  if (data.length < rows * cols) throw new RangeError(`top-k: need ${rows * cols} values, got ${data.length}`);
  const k = cols === 0 ? 0 : kFor(cols, spec);
  const indices = new Uint32Array(rows * k);
  const values = new Float32Array(rows * k);
  const residual = data.slice(0, rows * cols);
  const scratch = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    for (let c = 0; c < cols; c++) scratch[c] = Math.abs(data[off + c]);
    const threshold = k < cols ? kthLargest(scratch, k) : 0;
    let above = 0;
    for (let c = 0; c < cols; c++) if (Math.abs(data[off + c]) > threshold) above++;
    let ties = k - above;
    let w = r * k;
    for (let c = 0; c < cols && w < (r + 1) * k; c++) {
      const a = Math.abs(data[off + c]);
      if (a > threshold || (a === threshold && ties-- > 0)) {
        indices[w] = c;
        values[w++] = data[off + c];
        residual[off + c] = 0;
      }
    }
  }
  return { rows, cols, k, indices, values, residual };
}

/** Scatters kept entries back into a dense rows × cols matrix. */
export function densifyTopK(t: Pick<TopKRows, 'rows' | 'cols' | 'k' | 'indices' | 'values'>): Float32Array {
  const out = new Float32Array(t.rows * t.cols);
  for (let r = 0; r < t.rows; r++) {
    for (let j = r * t.k; j < (r + 1) * t.k; j++) out[r * t.cols + t.indices[j]] = t.values[j];
  }
  return out;
}

/** k-th largest value (1-based) by quickselect; reorders `a`. */
function kthLargest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1; // position in descending order
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target];
}
