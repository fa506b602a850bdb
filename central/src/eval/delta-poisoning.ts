import { z } from 'zod';
import { markItemRowsWritten, type ModelWeights, type SparseDelta } from '@edgerec/services/model';

/**
 * A Byzantine edge in the federated evaluation. It trains honestly on its users, then
 * rewrites its local model so that the delta the sync client extracts (local − reference)
 * is the manipulated one:
 * - `scale`: factor·h (model replacement / boosting; default ×100);
 * - `sign-flip`: −factor·h (default ×10: with 1 attacker among 10 edges this cancels the other
 *   nine's mean step and reverses it, which is what an attacker who wants damage picks; ×1
 *   only slows FedAvg down by ~20 %);
 * - `noise`: N(0, σ²) per coordinate on the rows it touched, σ = factor × the RMS of its own
 *   honest update entries (default ×10), so the noise is an order of magnitude above what
 *   honest edges send whatever the learning rate or round length.
 * Row counts and sample counts stay honest: only the values are poisoned.
 *
 * @example
 * EdgeAttack.parse({ edge: 0, kind: 'scale' }); // factor 100 applied by attackFactor()
 */
export const EdgeAttack = z.object({
  /** index of the attacking edge (0-based) */
  edge: z.int().min(0),
  kind: z.enum(['scale', 'sign-flip', 'noise']),
  factor: z.number().positive().optional(),
});
export type EdgeAttack = z.infer<typeof EdgeAttack>;

export const DEFAULT_ATTACK_FACTORS: Readonly<Record<EdgeAttack['kind'], number>> = { scale: 100, 'sign-flip': 10, noise: 10 };

/** The factor an attack uses (its own, else the kind's default). */
export const attackFactor = (a: Pick<EdgeAttack, 'kind' | 'factor'>): number => a.factor ?? DEFAULT_ATTACK_FACTORS[a.kind];

export interface PoisonStats {
  /** item rows rewritten */
  rows: number;
  adapter: boolean;
  /** L2 norm of the honest update and of the poisoned one */
  honestNorm: number;
  poisonedNorm: number;
  /** noise standard deviation (noise attacks only) */
  sigma?: number;
}

/**
 * Rewrites `local` in place so that, for every row of `honest` (the delta the edge would
 * have sent: `unsyncedDelta(local, base, reference, tracker)`), local − reference becomes
 * the attack's transform of the honest value. Works on the increment against the same
 * reference the extraction uses, so the extracted delta is the manipulation exactly (up to
 * float32 rounding). `normal` is a standard normal source (noise attacks only).
 *
 * @example
 * const honest = unsyncedDelta(model.weights, holder.base, edb.syncRef.load(), model.tracker);
 * poisonLocalWeights(model.weights, honest, { kind: 'scale', factor: 100 }, normal);
 * await sync.syncNow(); // central receives 100 × honest
 */
export function poisonLocalWeights(
  local: ModelWeights,
  honest: SparseDelta,
  attack: Pick<EdgeAttack, 'kind' | 'factor'>,
  normal: () => number,
): PoisonStats {
  const f = attackFactor(attack);
  const d = honest.dim;
  if (d !== local.dim) throw new RangeError(`delta dim ${d} ≠ model dim ${local.dim}`);
  let sq = 0;
  for (const h of honest.emb) sq += h * h;
  for (const h of honest.bias) sq += h * h;
  if (honest.adapter) for (const h of honest.adapter) sq += h * h;
  const n = honest.emb.length + honest.bias.length + (honest.adapter?.length ?? 0);
  const sigma = attack.kind === 'noise' ? f * Math.sqrt(sq / Math.max(1, n)) : undefined;
  const transform = (h: number): number =>
    attack.kind === 'scale' ? f * h : attack.kind === 'sign-flip' ? -f * h : sigma! * normal();
  let poisonedSq = 0;
  const shift = (arr: Float32Array, at: number, h: number): void => {
    const p = transform(h);
    poisonedSq += p * p;
    // reference = local − h, so the new local value reference + p is local + (p − h).
    arr[at] += p - h;
  };
  for (let j = 0; j < honest.rows.length; j++) {
    const r = honest.rows[j];
    for (let k = 0; k < d; k++) shift(local.itemEmb, r * d + k, honest.emb[j * d + k]);
    shift(local.itemBias, r, honest.bias[j]);
  }
  if (honest.adapter) honest.adapter.forEach((h, i) => shift(local.adapter, i, h));
  markItemRowsWritten(local, honest.rows); // keep the scorer's int8 mirror in step
  return {
    rows: honest.rows.length, adapter: honest.adapter !== null, honestNorm: Math.sqrt(sq), poisonedNorm: Math.sqrt(poisonedSq),
    ...(sigma !== undefined ? { sigma } : {}),
  };
}
