/**
 * A map for entries that come and go all the time (events in flight, calls awaiting their
 * reply), kept in a dictionary-mode object instead of a Map or Set. Why: V8 does not compact a
 * Map's table in place; after enough deletes it moves the entries to a new table and leaves the
 * old one pointing at it. Once one table has lived long enough to be promoted to the old
 * generation, every later table, with every value that was in it, stays reachable from that dead
 * table in young-generation collections, so all of it is copied and promoted, and freed only by
 * the next full collection (measured on the dispatch thread: a quarter of everything allocated
 * per event survived each scavenge). A dictionary object's table holds no link to the next one.
 */
export class ChurnMap<V> {
  readonly #entries: Record<string, V>;
  #size = 0;

  constructor() {
    const entries: Record<string, V> = Object.create(null);
    // Deleting a property turns the object into a dictionary at once, before it collects a hidden
    // class per key added.
    (entries as Record<string, unknown>).a = 0;
    (entries as Record<string, unknown>).b = 0;
    delete (entries as Record<string, unknown>).a;
    delete (entries as Record<string, unknown>).b;
    this.#entries = entries;
  }

  get size(): number {
    return this.#size;
  }

  has(key: string): boolean {
    return key in this.#entries;
  }

  get(key: string): V | undefined {
    return this.#entries[key];
  }

  set(key: string, value: V): this {
    if (!(key in this.#entries)) this.#size++;
    this.#entries[key] = value;
    return this;
  }

  delete(key: string): boolean {
    if (!(key in this.#entries)) return false;
    delete this.#entries[key];
    this.#size--;
    return true;
  }

  keys(): string[] {
    return Object.keys(this.#entries);
  }

  values(): V[] {
    return Object.values(this.#entries);
  }
}
