/**
 * Characters of text converted to bytes at once. A string built from many pieces is flattened
 * before it is encoded, and one of over ~128 KB is a large-object allocation: fresh pages, each
 * faulted in. Measured on the benchmark VM (Node 20), a 1,000-row LOAD DATA batch (230 KB): one
 * `Buffer.from` 1.1 ms, pieces of ~32 KB 0.12 ms (BENCHMARKS.md).
 */
export const PIECE_CHARS = 32 * 1024;

/** Text gathered into UTF-8 buffers of about PIECE_CHARS each, as it is added. */
export class Utf8Pieces {
  private text = '';
  private readonly done: Buffer[] = [];

  add(text: string): void {
    this.text += text;
    if (this.text.length >= PIECE_CHARS) this.cut();
  }

  /** The buffers, in order (the text added so far; the builder is then empty). */
  take(): Buffer[] {
    if (this.text.length > 0) this.cut();
    return this.done.splice(0);
  }

  private cut(): void {
    this.done.push(Buffer.from(this.text, 'utf8'));
    this.text = '';
  }
}
