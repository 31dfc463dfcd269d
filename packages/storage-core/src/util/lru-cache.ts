/** A small LRU with a time-to-live, over a Map's insertion order. */
export class LruCache<V> {
  readonly #map = new Map<string, { value: V; expires: number }>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly ttlMs: number,
  ) {}

  get(key: string): V | undefined {
    const hit = this.#map.get(key);
    if (!hit || hit.expires < Date.now()) {
      if (hit) this.#map.delete(key);
      this.misses += 1;
      return undefined;
    }
    this.#map.delete(key);
    this.#map.set(key, hit);
    this.hits += 1;
    return hit.value;
  }

  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, { value, expires: Date.now() + this.ttlMs });
    while (this.#map.size > this.maxEntries) this.#map.delete(this.#map.keys().next().value as string);
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}
