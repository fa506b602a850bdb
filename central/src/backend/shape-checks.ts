/** Argument checks shared by the ComputeBackend implementations. */

/** Throws a RangeError unless the scoreMatrix shapes agree. */
export function checkScoreShapes(a: Float32Array, m: number, b: Float32Array, n: number, d: number, bias?: Float32Array): void {
  if (a.length < m * d) throw new RangeError(`queries hold ${a.length} values, need ${m}×${d}`);
  if (b.length < n * d) throw new RangeError(`rows hold ${b.length} values, need ${n}×${d}`);
  if (bias && bias.length < n) throw new RangeError(`bias holds ${bias.length} values, need ${n}`);
}

/** Throws a RangeError unless there is one weight per vector and all vectors are equally long; returns that length. */
export function checkWeightedSum(vectors: readonly Float32Array[], weights: readonly number[]): number {
  if (vectors.length !== weights.length) throw new RangeError(`${vectors.length} vectors but ${weights.length} weights`);
  const len = vectors[0]?.length ?? 0;
  for (const v of vectors) if (v.length !== len) throw new RangeError('vectors differ in length');
  return len;
}
