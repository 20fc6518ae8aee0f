/**
 * Memoises async checks by key for the most recent `limit` keys (insertion order). Rows that share
 * a file usually follow each other (one row per object of an image), so a small window checks each
 * such file once without holding a result per file of the whole dataset. A key that fell out of
 * the window is simply checked again.
 */
export class RecentCache<V> {
  private readonly entries = new Map<string, Promise<V>>();

  constructor(private readonly limit = 1024) {}

  get(key: string, compute: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const value = compute();
    this.entries.set(key, value);
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    // A rejection is observed by every caller; this keeps an unobserved copy from being reported.
    value.catch(() => undefined);
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
