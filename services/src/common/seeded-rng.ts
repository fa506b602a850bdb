/**
 * Seeded randomness for tests, benchmarks and simulations. Production code takes an
 * injected `() => number`; these are the deterministic sources to inject.
 */

/**
 * mulberry32: a fast 32-bit PRNG with good statistical quality for simulation (not crypto).
 *
 * @example
 * const rng = mulberry32(7);
 * rng(); // uniform in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal sampler from a uniform source (Box–Muller, both outputs used).
 *
 * @example
 * const normal = gaussian(mulberry32(1));
 * normal(); // ~ N(0, 1)
 */
export function gaussian(rng: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    // 1 − u keeps the log argument in (0, 1] for u ∈ [0, 1).
    const radius = Math.sqrt(-2 * Math.log(1 - rng()));
    const angle = 2 * Math.PI * rng();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
}
