/** A growable list of label numbers for the bucket policy's statistics (8 bytes a row). */
export class LabelValues {
  private data = new Float64Array(1024);
  private length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  get size(): number {
    return this.length;
  }

  /** The values, as an owned array (the caller may sort it in place). */
  take(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}
