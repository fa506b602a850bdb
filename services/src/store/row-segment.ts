/**
 * Item rows of a learner checkpoint packed into one BLOB ("segment"): the checkpoint writes a
 * few large segments instead of one SQLite row per item row. Writing 35k rows × 64 as rows took
 * 94–146 ms here; as 8k-row segments 51–82 ms, and — the point — a segment is a unit a
 * checkpoint can write in its own short transaction between requests (see ModelStore).
 *
 * Layout (little-endian): u32 magic, u32 format, u32 n, u32 dim, then u32 rows[n],
 * f32 bias[n], f32 accum[n], u32 counts[n], f32 emb[n·dim].
 */

/** Local state of some item rows: full rows (not differences), aligned arrays. */
export interface RowOverlay {
  rows: Uint32Array;
  emb: Float32Array;
  bias: Float32Array;
  accum: Float32Array;
  counts: Uint32Array;
}

/** Where a segment's row values come from: the live model, or a snapshot taken earlier. */
export interface RowSource {
  dim: number;
  /** values of row `rows[j]` live at position `at(j)` of the arrays below */
  emb: Float32Array;
  bias: Float32Array;
  accum: Float32Array;
  counts: Uint32Array;
}

const MAGIC = 0x45525347; // "GSRE"
const FORMAT = 1;
const HEADER_WORDS = 4;

/** Rows per segment: ~2 MB at dim 64, a few ms to write. */
export const SEGMENT_ROWS = 8192;

/**
 * Packs rows `rows[from..to)`; their values are read at index `pos(j)` of `src` (the row
 * itself for the live model, `j` for a compact snapshot). With `scratch` large enough the
 * result is a view of it, valid until the next call (SQLite copies a bound blob): no
 * allocation per segment, which kept triggering garbage collections mid-checkpoint.
 *
 * @example
 * const blob = encodeRowSegment([3, 9], { dim: 64, emb, bias, accum, counts }, (j, row) => row);
 */
export function encodeRowSegment(
  rows: ArrayLike<number>, src: RowSource, pos: (j: number, row: number) => number, from = 0, to = rows.length,
  scratch?: ArrayBuffer,
): Buffer {
  const n = to - from;
  const d = src.dim;
  const words = HEADER_WORDS + 4 * n + n * d;
  const buf = scratch && scratch.byteLength >= 4 * words ? scratch : new ArrayBuffer(4 * words);
  const u32 = new Uint32Array(buf, 0, words);
  const f32 = new Float32Array(buf, 0, words);
  u32[0] = MAGIC;
  u32[1] = FORMAT;
  u32[2] = n;
  u32[3] = d;
  const oRows = HEADER_WORDS;
  const oBias = oRows + n;
  const oAccum = oBias + n;
  const oCounts = oAccum + n;
  const oEmb = oCounts + n;
  for (let j = 0; j < n; j++) {
    const row = rows[from + j];
    const p = pos(from + j, row);
    u32[oRows + j] = row;
    f32[oBias + j] = src.bias[p];
    f32[oAccum + j] = src.accum[p];
    u32[oCounts + j] = src.counts[p];
    const emb = src.emb;
    for (let k = 0, a = p * d, b = oEmb + j * d; k < d; k++) f32[b + k] = emb[a + k];
  }
  return Buffer.from(buf, 0, 4 * words);
}

/** Unpacks a segment; throws on a blob that is not one (wrong magic, format, dim or length). */
export function decodeRowSegment(blob: Uint8Array, dim: number): RowOverlay {
  if (blob.byteLength < 4 * HEADER_WORDS || blob.byteLength % 4 !== 0) throw new Error(`row segment of ${blob.byteLength} bytes is malformed`);
  const words = new Uint32Array(blob.byteLength / 4);
  new Uint8Array(words.buffer).set(blob);
  const [magic, format, n, d] = words;
  if (magic !== MAGIC || format !== FORMAT) throw new Error('row segment has an unknown header');
  if (d !== dim) throw new Error(`row segment has dim ${d}, the model ${dim}`);
  if (words.length !== HEADER_WORDS + 4 * n + n * d) throw new Error(`row segment length does not match its ${n} rows`);
  const f32 = new Float32Array(words.buffer);
  const o = HEADER_WORDS;
  return {
    rows: words.slice(o, o + n),
    bias: f32.slice(o + n, o + 2 * n),
    accum: f32.slice(o + 2 * n, o + 3 * n),
    counts: words.slice(o + 3 * n, o + 4 * n),
    emb: f32.slice(o + 4 * n, o + 4 * n + n * d),
  };
}

/**
 * Folds overlays applied in order (a later one wins for a row it holds) into one, rows
 * ascending; rows must be < `numItems`.
 *
 * @example
 * mergeOverlays([older, newer], 1682, 64).rows; // every row of either, once
 */
export function mergeOverlays(parts: readonly RowOverlay[], numItems: number, dim: number): RowOverlay {
  const where = new Int32Array(numItems).fill(-1);
  const partOf = new Int32Array(numItems);
  parts.forEach((p, k) => {
    for (let j = 0; j < p.rows.length; j++) {
      const r = p.rows[j];
      if (r >= numItems) throw new Error(`stored row ${r} is beyond the model's ${numItems} items`);
      where[r] = j;
      partOf[r] = k;
    }
  });
  let n = 0;
  for (let r = 0; r < numItems; r++) if (where[r] >= 0) n++;
  const out: RowOverlay = {
    rows: new Uint32Array(n), emb: new Float32Array(n * dim), bias: new Float32Array(n),
    accum: new Float32Array(n), counts: new Uint32Array(n),
  };
  let i = 0;
  for (let r = 0; r < numItems; r++) {
    const j = where[r];
    if (j < 0) continue;
    const p = parts[partOf[r]];
    out.rows[i] = r;
    out.bias[i] = p.bias[j];
    out.accum[i] = p.accum[j];
    out.counts[i] = p.counts[j];
    out.emb.set(p.emb.subarray(j * dim, (j + 1) * dim), i * dim);
    i++;
  }
  return out;
}
