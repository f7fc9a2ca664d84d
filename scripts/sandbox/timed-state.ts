/**
 * Map and Set that remember when each entry changed, so the simulated Prometheus can answer a
 * query for an earlier time (`time=`) from the world as it was then, as a real TSDB does.
 */

type Change<V> = { at: number; present: boolean; value: V | undefined };

export class TimedMap<K, V> extends Map<K, V> {
  private readonly changes = new Map<K, Change<V>[]>();

  override set(key: K, value: V): this {
    this.log(key, { at: Date.now(), present: true, value });
    return super.set(key, value);
  }
  override delete(key: K): boolean {
    this.log(key, { at: Date.now(), present: false, value: undefined });
    return super.delete(key);
  }
  override clear(): void {
    for (const key of this.keys()) this.log(key, { at: Date.now(), present: false, value: undefined });
    super.clear();
  }

  /** The entry at `atMs` (the current one for now or later). */
  getAt(key: K, atMs: number): V | undefined {
    const log = this.changes.get(key);
    if (!log) return this.get(key);
    for (let i = log.length - 1; i >= 0; i--) {
      const change = log[i]!;
      if (change.at <= atMs) return change.present ? change.value : undefined;
    }
    return undefined;
  }
  /** Keys present at `atMs`. */
  keysAt(atMs: number): K[] {
    const keys = new Set<K>([...this.keys(), ...this.changes.keys()]);
    return [...keys].filter((k) => this.getAt(k, atMs) !== undefined);
  }

  private log(key: K, change: Change<V>) {
    // Constructor entries (Map's constructor calls set before the field exists) have no history.
    if (!this.changes) return;
    const log = this.changes.get(key) ?? [];
    log.push(change);
    this.changes.set(key, log);
  }
}

export class TimedSet<T> extends Set<T> {
  private readonly membership = new TimedMap<T, true>();

  override add(value: T): this {
    this.membership?.set(value, true);
    return super.add(value);
  }
  override delete(value: T): boolean {
    this.membership.delete(value);
    return super.delete(value);
  }
  override clear(): void {
    this.membership.clear();
    super.clear();
  }
  hasAt(value: T, atMs: number): boolean {
    return this.membership.getAt(value, atMs) === true;
  }
}
