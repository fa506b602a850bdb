/**
 * Small, fast, seedable PRNG (sfc32, seeded through splitmix32) so that data generation,
 * splits and sampling are reproducible from one integer. `Math.random` is never used in
 * the core: callers inject a `SeededRandom` (or its `nextFloat`, which fits the model's
 * `Rng = () => number`).
 *
 * @example
 * const rng = new SeededRandom(7);
 * rng.nextInt(10); // 0..9, the same sequence for every run with seed 7
 * trainCentralized(input, config, { epochs: 5, rng: rng.nextFloat });
 */
export class SeededRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** second Box–Muller variate, NaN when none is cached */
  private spare = NaN;

  constructor(seed: number) {
    this.a = this.b = this.c = this.d = 0;
    this.reseed(seed);
  }

  /**
   * Restarts the stream exactly as `new SeededRandom(seed)` would, without allocating: for
   * hot loops that need a fresh seeded stream per item (the edge learner draws one per event).
   */
  reseed(seed: number): this {
    // splitmix32 spreads nearby seeds (1, 2, 3…) into unrelated sfc32 states.
    const s = Math.trunc(seed) >>> 0;
    this.a = splitmix32((s + 0x9e3779b9) | 0);
    this.b = splitmix32((s + 2 * 0x9e3779b9) | 0);
    this.c = splitmix32((s + 3 * 0x9e3779b9) | 0);
    this.d = splitmix32((s + 4 * 0x9e3779b9) | 0);
    this.spare = NaN;
    for (let i = 0; i < 12; i++) this.nextUint32();
    return this;
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1). An arrow property so it can be passed around as a plain `() => number`. */
  readonly nextFloat = (): number => this.nextUint32() / 4294967296;

  /** Uniform float in the open interval (0, 1): safe to take logs of. */
  nextOpenFloat(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** Uniform integer in [0, n); `n` must be a positive integer ≤ 2^32. */
  nextInt(n: number): number {
    if (!(n >= 1) || n > 4294967296) throw new RangeError(`nextInt(n) needs 1 ≤ n ≤ 2^32, got ${n}`);
    return Math.floor((this.nextUint32() / 4294967296) * Math.floor(n));
  }

  /** Standard normal variate (Box–Muller; the pair's second value is cached). */
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = NaN;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(this.nextOpenFloat()));
    const theta = 2 * Math.PI * this.nextFloat();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** Standard Gumbel variate, the noise of the Gumbel-max / Gumbel-top-k sampling trick. */
  gumbel(): number {
    return -Math.log(-Math.log(this.nextOpenFloat()));
  }

  /** In-place Fisher–Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(arr: T): T {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = arr[i];
      arr[i] = arr[j];
      arr[j] = tmp;
    }
    return arr;
  }

  /** An independent generator derived from this one (for sub-tasks that must not shift this stream). */
  fork(): SeededRandom {
    return new SeededRandom(this.nextUint32());
  }
}

/** splitmix32's output function for state `z`. */
function splitmix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}
