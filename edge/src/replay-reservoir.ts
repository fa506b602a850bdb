import type { ReplayEntry } from '@edgerec/services/store';

/** A remembered event: who, which item row, how strong. */
export type ReplaySample = Omit<ReplayEntry, 'slot'>;

/**
 * Bounded uniform sample of past events (reservoir sampling, Vitter's algorithm R) that
 * the learner replays now and then so that fresh traffic does not wash out what older
 * traffic taught the shared rows (catastrophic forgetting). All randomness comes from the
 * caller's rng, so replaying the same events reproduces the same reservoir. Erased users'
 * slots are emptied, not compacted, so slot numbers stay stable for persistence.
 *
 * @example
 * const reservoir = new ReplayReservoir(1000);
 * reservoir.offer({ user: 'u1', itemIdx: 3, weight: 1 }, rng);
 * const past = reservoir.sample(rng); // a past event or undefined
 */
export class ReplayReservoir {
  private readonly slots: (ReplaySample | null)[] = [];
  private readonly dirtySlots = new Set<number>();
  /** events offered so far (algorithm R's n) */
  seen = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('reservoir capacity must be an integer ≥ 0');
  }

  get size(): number {
    let n = 0;
    for (const s of this.slots) if (s) n++;
    return n;
  }

  offer(sample: ReplaySample, rng: () => number): void {
    if (this.capacity === 0) return;
    this.seen++;
    let slot = -1;
    if (this.slots.length < this.capacity) slot = this.slots.length;
    else {
      const j = Math.floor(rng() * this.seen);
      if (j < this.capacity) slot = j;
    }
    if (slot < 0) return;
    this.slots[slot] = { ...sample };
    this.dirtySlots.add(slot);
  }

  /** A uniformly chosen slot's sample; undefined when that slot is empty. */
  sample(rng: () => number): ReplaySample | undefined {
    if (this.slots.length === 0) return undefined;
    return this.slots[Math.floor(rng() * this.slots.length)] ?? undefined;
  }

  removeUser(user: string): void {
    for (let i = 0; i < this.slots.length; i++) {
      if (this.slots[i]?.user === user) {
        this.slots[i] = null;
        this.dirtySlots.delete(i);
      }
    }
  }

  /** Restores persisted slots (slot numbers as stored) and the offered count. */
  restore(entries: readonly ReplayEntry[], seen: number): void {
    this.slots.length = 0;
    for (const e of entries) {
      if (e.slot < 0 || e.slot >= this.capacity) continue;
      while (this.slots.length <= e.slot) this.slots.push(null);
      this.slots[e.slot] = { user: e.user, itemIdx: e.itemIdx, weight: e.weight };
    }
    this.seen = Math.max(seen, this.slots.length);
    this.dirtySlots.clear();
  }

  /** Slots changed since the last `clearDirty`, ready for the replay store. */
  dirtyEntries(): ReplayEntry[] {
    const out: ReplayEntry[] = [];
    for (const slot of this.dirtySlots) {
      const s = this.slots[slot];
      if (s) out.push({ slot, ...s });
    }
    return out;
  }

  clearDirty(): void {
    this.dirtySlots.clear();
  }
}
