/**
 * In-memory view of the item catalog: external id ↔ dense model row. Loaded from the
 * catalog table at start; the global model defines it, so it only grows when a model with
 * more items is installed (see ModelHolder.swap).
 *
 * @example
 * const catalog = new ItemCatalog(['i0', 'i1']);
 * catalog.indexOf('i1'); // 1
 * catalog.idOf(0);       // 'i0'
 */
export class ItemCatalog {
  private readonly ids: string[];
  private readonly index = new Map<string, number>();

  constructor(ids: readonly string[]) {
    this.ids = [];
    this.append(ids);
  }

  /** Synthetic ids `i0 … i{n-1}`, the catalog of `--items N`. */
  static synthetic(n: number): string[] {
    return Array.from({ length: n }, (_, i) => `i${i}`);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Dense index, or undefined for an item outside the catalog. */
  indexOf(id: string): number | undefined {
    return this.index.get(id);
  }

  idOf(idx: number): string {
    const id = this.ids[idx];
    if (id === undefined) throw new RangeError(`no item at index ${idx}`);
    return id;
  }

  /** Appends new ids; throws (changing nothing) when one is already present or repeated. */
  append(ids: readonly string[]): void {
    const seen = new Set<string>();
    for (const id of ids) {
      if (this.index.has(id) || seen.has(id)) throw new Error(`item "${id}" is already in the catalog`);
      seen.add(id);
    }
    for (const id of ids) {
      this.index.set(id, this.ids.length);
      this.ids.push(id);
    }
  }
}
