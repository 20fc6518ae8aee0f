/**
 * The label numbers the bucket policy's cut points are computed from, in bounded memory.
 *
 * Up to `capacity` values (default 2^20, 8 MiB) every value is kept and the quantiles are exact.
 * Beyond that a uniform reservoir sample of `capacity` values is kept (Algorithm R with a fixed
 * seed, so a retried run over the same data draws the same sample and the same cut points). A
 * sample quantile's rank is off by a standard error of sqrt(p(1-p)/capacity) ≤ 0.05% of the rows
 * at 2^20, so a cut lands within ±0.15% of its target rank (3σ) — far inside one bin of 1–50%.
 * `weight` (rows per kept value) is reported; `min_bucket_size` applies to the sample unscaled (a hard lower bound).
 */
export class LabelValues {
  private data = new Float64Array(1024);
  private length = 0;
  private seen = 0;
  private state = 0x9e3779b9;

  constructor(private readonly capacity = 1 << 20) {}

  push(v: number): void {
    this.seen++;
    if (this.length < this.capacity) {
      if (this.length === this.data.length) {
        const grown = new Float64Array(Math.min(this.data.length * 2, this.capacity));
        grown.set(this.data);
        this.data = grown;
      }
      this.data[this.length++] = v;
      return;
    }
    const j = Math.floor(this.random() * this.seen);
    if (j < this.capacity) this.data[j] = v;
  }

  /** Rows each kept value stands for (1 while exact). */
  get weight(): number {
    return this.length === 0 ? 1 : this.seen / this.length;
  }

  /** The kept values, as an owned array (the caller may sort it in place). */
  take(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  /** mulberry32: deterministic, fast, good enough for sampling. */
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
