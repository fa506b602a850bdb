/**
 * Rényi-DP accountant for the (subsampled) Gaussian mechanism used by withGaussianDp.
 *
 * Assumptions, stated so the number is read correctly:
 * - each round releases a sum with sensitivity C plus N(0, (zC)²) noise on every coordinate
 *   (z = noiseMultiplier);
 * - each node takes part in a round independently with probability q (Poisson sampling;
 *   q = 1 when every node joins every round) — fixed-size sampling is close but not identical;
 * - rounds compose (RDP adds over `steps`), neighbouring datasets differ by one node's data;
 * - RDP orders are the integers 2…256, where the sampled-Gaussian RDP has the exact closed
 *   form of Mironov, Talwar & Zhang 2019 (§3.3). Leaving out fractional orders only makes ε
 *   slightly larger (conservative);
 * - RDP → (ε, δ) uses the conversion of Balle et al. 2020 (Thm 21), as Opacus and TF Privacy do:
 *   ε = min_α  RDP(α) + log((α−1)/α) − (log δ + log α)/(α−1).
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Array.from({ length: 255 }, (_, i) => i + 2);

/**
 * RDP ε(α) of one application of the sampled Gaussian mechanism at integer order α.
 *
 * @example
 * sampledGaussianRdp(1, 2, 10); // q = 1: plain Gaussian, α/(2z²) = 5/4
 */
export function sampledGaussianRdp(sampleRate: number, noiseMultiplier: number, alpha: number): number {
  const q = sampleRate;
  const z = noiseMultiplier;
  if (q === 0) return 0;
  if (z === 0) return Infinity;
  if (q === 1) return alpha / (2 * z * z);
  // log A_α = log Σ_k C(α,k) (1−q)^(α−k) q^k exp((k²−k)/(2z²)), summed in log space.
  const terms: number[] = [];
  let logBinom = 0;
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logBinom += Math.log(alpha - k + 1) - Math.log(k);
    terms.push(logBinom + k * Math.log(q) + (alpha - k) * Math.log1p(-q) + (k * k - k) / (2 * z * z));
  }
  const max = Math.max(...terms);
  const logA = max + Math.log(terms.reduce((s, t) => s + Math.exp(t - max), 0));
  return Math.max(0, logA / (alpha - 1));
}

/**
 * (ε, δ) after `steps` rounds of the sampled Gaussian mechanism; also returns the RDP order
 * that gave the minimum (at the edge of the order range means more orders could help).
 *
 * @example
 * rdpEpsilonDetail(1.1, 0.1, 100, 1e-5); // { epsilon: …, order: … }
 */
export function rdpEpsilonDetail(
  noiseMultiplier: number,
  sampleRate: number,
  steps: number,
  delta: number,
  orders: readonly number[] = DEFAULT_RDP_ORDERS,
): { epsilon: number; order: number } {
  if (!(noiseMultiplier >= 0)) throw new RangeError(`noiseMultiplier must be ≥ 0, got ${noiseMultiplier}`);
  if (!(sampleRate >= 0 && sampleRate <= 1)) throw new RangeError(`sampleRate must be in [0, 1], got ${sampleRate}`);
  if (!(Number.isInteger(steps) && steps >= 0)) throw new RangeError(`steps must be a non-negative integer, got ${steps}`);
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
  let best = { epsilon: Infinity, order: orders[0] ?? 2 };
  for (const a of orders) {
    if (!(Number.isInteger(a) && a >= 2)) throw new RangeError(`RDP orders must be integers ≥ 2, got ${a}`);
    const rdp = steps * sampledGaussianRdp(sampleRate, noiseMultiplier, a);
    const eps = rdp + Math.log((a - 1) / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
    if (eps < best.epsilon) best = { epsilon: eps, order: a };
  }
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}

/**
 * ε of (ε, δ)-DP after `steps` rounds with noise multiplier z and node sampling rate q.
 *
 * @example
 * rdpEpsilon(1.0, 1, 1, 1e-5);   // one full-participation round, z = 1
 * rdpEpsilon(1.1, 0.01, 1000, 1e-5);
 */
export function rdpEpsilon(noiseMultiplier: number, sampleRate: number, steps: number, delta: number): number {
  return rdpEpsilonDetail(noiseMultiplier, sampleRate, steps, delta).epsilon;
}
