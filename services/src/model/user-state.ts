/**
 * Per-user state that never leaves its edge: private vector `vec`, its row-wise Adagrad
 * accumulator, and the recent-history window (dense item indices, oldest first).
 */
export interface UserState {
  vec: Float32Array;
  accum: number;
  recent: number[];
}

export function createUserState(dim: number, rng: () => number, initStd: number): UserState {
  const vec = new Float32Array(dim);
  for (let k = 0; k < dim; k++) vec[k] = (rng() * 2 - 1) * initStd * Math.sqrt(3);
  return { vec, accum: 0, recent: [] };
}

/** Appends an item to the window, keeping at most `len` entries. */
export function pushRecent(state: UserState, item: number, len: number): void {
  if (len <= 0) return;
  state.recent.push(item);
  if (state.recent.length > len) state.recent.splice(0, state.recent.length - len);
}
