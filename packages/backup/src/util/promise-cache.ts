/**
 * Promises by key, kept and shared by every caller until one rejects (then dropped, so the next call tries
 * again), is deleted, or is the oldest of more than `keep`.
 */
export class PromiseCache<V> {
  readonly #map = new Map<string, Promise<V>>();

  constructor(private readonly keep: number) {}

  /** The promise kept under `key`, else the one `make` returns, now kept. */
  get(key: string, make: () => Promise<V>): Promise<V> {
    const kept = this.#map.get(key);
    if (kept) return kept;
    const made = make();
    this.#map.set(key, made);
    made.catch(() => {
      if (this.#map.get(key) === made) this.#map.delete(key);
    });
    if (this.#map.size > this.keep) this.#map.delete(this.#map.keys().next().value!);
    return made;
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
