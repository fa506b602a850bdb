type Resizable = Uint8Array | Uint32Array | Float32Array | Float64Array;

/**
 * A copy of `a` with length `n`: the first min(n, a.length) entries kept, new ones `fill`
 * (default 0). For per-item arrays that follow a catalog that grows.
 *
 * @example
 * resized(Uint32Array.of(3, 4), 3); // Uint32Array [3, 4, 0]
 */
export function resized<T extends Resizable>(a: T, n: number, fill = 0): T {
  const out = new (a.constructor as new (length: number) => T)(n);
  if (fill !== 0 && n > a.length) out.fill(fill, a.length);
  out.set(a.subarray(0, Math.min(n, a.length)));
  return out;
}
