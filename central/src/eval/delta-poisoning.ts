import { z } from 'zod';
import { markItemRowsWritten, type ModelWeights, type RowTracker, type SparseDelta } from '@edgerec/services/model';

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
 * - `none`: honest values (for a count-only attack).
 * Row counts and sample counts stay honest unless `countFactor` is given: then the edge also
 * claims `countFactor` × its row and adapter counts and `samplesFactor` × its samples (default
 * the same factor, which keeps the claim within central's per-sample bound) — see inflateClaims.
 *
 * @example
 * EdgeAttack.parse({ edge: 0, kind: 'scale' }); // factor 100 applied by attackFactor()
 * EdgeAttack.parse({ edge: 0, kind: 'noise', factor: 1, countFactor: 1e6 }); // honest-sized noise, 10⁶ × the weight
 */
export const EdgeAttack = z.object({
  /** index of the attacking edge (0-based) */
  edge: z.int().min(0),
  kind: z.enum(['scale', 'sign-flip', 'noise', 'none']),
  factor: z.number().positive().optional(),
  /** claims this × its honest row counts and adapter count */
  countFactor: z.number().min(1).max(1e9).optional(),
  /** claims this × its honest samples (default countFactor) */
  samplesFactor: z.number().min(1).max(1e9).optional(),
});
export type EdgeAttack = z.infer<typeof EdgeAttack>;

export const DEFAULT_ATTACK_FACTORS: Readonly<Record<EdgeAttack['kind'], number>> = { scale: 100, 'sign-flip': 10, noise: 10, none: 1 };

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
    attack.kind === 'scale' ? f * h : attack.kind === 'sign-flip' ? -f * h : attack.kind === 'none' ? h : sigma! * normal();
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

const U32_MAX = 0xffff_ffff;

/**
 * Makes the edge claim more training than it did: every tracked row count and the adapter
 * count × `countFactor`, the samples × `samplesFactor` (default `countFactor`), as the sync
 * client will read them at the next extraction. Counts saturate at the wire's uint32.
 *
 * @example
 * inflateClaims(model.tracker, { countFactor: 1e6 }); // every row claims 10⁶ × its count
 */
export function inflateClaims(tracker: RowTracker, attack: Pick<EdgeAttack, 'countFactor' | 'samplesFactor'>): void {
  const f = attack.countFactor ?? 1;
  const sf = attack.samplesFactor ?? f;
  const { counts } = tracker;
  for (let r = 0; r < counts.length; r++) if (counts[r] > 0) counts[r] = Math.min(U32_MAX, Math.round(counts[r] * f));
  tracker.adapterCount = Math.min(U32_MAX, Math.round(tracker.adapterCount * f));
  tracker.samples = Math.round(tracker.samples * sf);
}
