/**
 * A streaming scanner over raw bytes that checks strict UTF-8 (the well-formed sequences of
 * Unicode Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF, no truncated
 * sequence at the end) and counts whitespace-separated words, in one pass and constant memory.
 *
 * Words are counted exactly as Python's `str.split()` splits them (the training side is Python):
 * a word is a maximal run of characters for which `str.isspace()` is false. A UTF-8 BOM at the
 * very start is not part of any word (as when read with `utf-8-sig`).
 */

/** The code points Python's `str.isspace()` accepts (and so `str.split()` splits on). */
export function isPythonWhitespace(cp: number): boolean {
  if (cp <= 0x20) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f);
  if (cp < 0x85) return false;
  return (
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

/** Splits a string into words as Python's `str.split()` does (used for label tags). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let start = -1;
  let i = 0;
  for (const ch of text) {
    const space = isPythonWhitespace(ch.codePointAt(0)!);
    if (space && start >= 0) {
      words.push(text.slice(start, i));
      start = -1;
    } else if (!space && start < 0) {
      start = i;
    }
    i += ch.length;
  }
  if (start >= 0) words.push(text.slice(start));
  return words;
}

const BOM = 0xfeff;

export class Utf8WordScanner {
  /** Words seen so far. */
  words = 0;
  /** Bytes consumed so far. */
  bytes = 0;
  /** 1-based line of the current position (counted on `\n`). */
  line = 1;

  private inWord = false;
  /** Continuation bytes still expected by the current sequence. */
  private need = 0;
  private cp = 0;
  /** Allowed range of the next continuation byte (narrowed after E0, ED, F0, F4). */
  private lower = 0x80;
  private upper = 0xbf;
  /** Offset where the current multi-byte sequence started. */
  private seqStart = 0;

  /**
   * Consumes a chunk. Returns -1, or the byte offset (from the start of the stream) where the first
   * ill-formed sequence starts; `line` then holds that offset's line. The scanner is then spent.
   */
  push(chunk: Uint8Array): number {
    const base = this.bytes;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.need === 0) {
        if (b < 0x80) {
          if (b === 0x0a) this.line++;
          this.char(b);
          continue;
        }
        this.seqStart = base + i;
        if (b >= 0xc2 && b <= 0xdf) {
          this.need = 1;
          this.cp = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
          this.need = 2;
          this.cp = b & 0x0f;
          if (b === 0xe0) this.lower = 0xa0;
          else if (b === 0xed) this.upper = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          this.need = 3;
          this.cp = b & 0x07;
          if (b === 0xf0) this.lower = 0x90;
          else if (b === 0xf4) this.upper = 0x8f;
        } else {
          return this.fail(base + i);
        }
        continue;
      }
      if (b < this.lower || b > this.upper) return this.fail(this.seqStart);
      this.lower = 0x80;
      this.upper = 0xbf;
      this.cp = (this.cp << 6) | (b & 0x3f);
      if (--this.need === 0) this.char(this.cp);
    }
    this.bytes = base + chunk.length;
    return -1;
  }

  /** Ends the stream: returns -1, or the offset of a sequence the stream cut short. */
  end(): number {
    if (this.need > 0) return this.fail(this.seqStart);
    return -1;
  }

  private char(cp: number): void {
    if (isPythonWhitespace(cp)) {
      this.inWord = false;
    } else if (!this.inWord && !(cp === BOM && this.seqStart === 0)) {
      this.inWord = true;
      this.words++;
    }
  }

  /** A sequence never spans a newline (continuation bytes are >= 0x80), so `line` is already right. */
  private fail(offset: number): number {
    this.need = 0;
    return offset;
  }
}
