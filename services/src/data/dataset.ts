/**
 * In-memory interaction dataset with dense integer ids. Loaders map the external ids
 * (strings) to dense indices `0..numUsers-1` / `0..numItems-1`; `userIds[u]` and
 * `itemIds[i]` map back.
 */
export interface Interaction {
  user: number;
  item: number;
  /** unix seconds (or a synthetic clock); ties keep file order */
  ts: number;
  /** explicit rating if the source has one; the recommender treats every row as implicit */
  rating?: number;
}

export interface Dataset {
  name: string;
  numUsers: number;
  numItems: number;
  interactions: Interaction[];
  userIds: string[];
  itemIds: string[];
  /** region label per dense user index, when the source has one (ml-100k zip first digit, synthetic) */
  userRegion?: string[];
}
