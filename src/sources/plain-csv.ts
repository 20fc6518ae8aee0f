/**
 * The fast path of the CSV reader: text without a quote character and with one consistent line
 * ending (LF or CRLF) is split with `indexOf` and `split`, which is what csv-parse would make of it
 * at a fraction of the cost. The splitter stops at the first line it does not handle — a quote
 * character, a stray CR, a line ending unlike the first, a very long line — and the reader hands
 * that line and everything after it to csv-parse (src/sources/csv.ts). So every file is read as
 * csv-parse reads it; the fast path only skips csv-parse's per-character state machine where there
 * is nothing for it to do.
 */

/** Lines longer than this are left to csv-parse (which applies its record size limit). */
export const PLAIN_MAX_LINE_CHARS = 1024 * 1024;

export interface PlainCsvOptions {
  readonly delimiter: string;
  readonly quote: string;
}

/** Whether the fast path can split text with these options at all. */
export function plainSplittable(o: PlainCsvOptions): boolean {
  return o.delimiter.length > 0 && o.quote.length > 0 && !/[\r\n]/.test(o.delimiter) && !o.delimiter.includes(o.quote);
}

/** Splitter state across chunks. */
export class PlainCsvSplitter {
  /** Physical lines consumed (complete lines, empty ones included). */
  lines = 0;
  /** The line ending, once the first line ended. */
  recordDelimiter: '\n' | '\r\n' | null = null;
  /** The first record's text (the header), without its line ending. */
  headerLine: string | null = null;
  /** Fields per record, from the first record. */
  private fields = -1;
  private started = false;

  constructor(private readonly o: PlainCsvOptions) {}

  /**
   * Splits the complete lines at the start of `text` into records, appended to `out` with the
   * physical line each is on. Returns how many characters were consumed, and whether the splitter
   * stopped at a line it does not handle (the rest then belongs to csv-parse). With `final`, the
   * text is the end of the file and its last line needs no line ending.
   */
  split(text: string, final: boolean, out: string[][]): PlainSplit {
    let pos = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) pos = 1; // csv-parse `bom: true`
    }
    const quoteAt = text.indexOf(this.o.quote, pos);
    let crAt = text.indexOf('\r', pos);
    while (pos < text.length) {
      let nl = text.indexOf('\n', pos);
      if (nl < 0) {
        if (!final) return { consumed: pos, stop: text.length - pos > PLAIN_MAX_LINE_CHARS, raggedLine: -1 };
        nl = text.length;
      }
      if ((quoteAt >= 0 && quoteAt < nl) || nl - pos > PLAIN_MAX_LINE_CHARS) return { consumed: pos, stop: true, raggedLine: -1 };
      let end = nl;
      if (crAt >= 0 && crAt < pos) crAt = text.indexOf('\r', pos);
      const cr = crAt;
      if (cr >= 0 && cr < nl) {
        // Only CRLF files, and only the CR of the line ending; a line at the end of the file without one has no CR.
        if (cr !== nl - 1 || nl === text.length || this.recordDelimiter === '\n') return { consumed: pos, stop: true, raggedLine: -1 };
        if (this.recordDelimiter === null) this.recordDelimiter = '\r\n';
        end = cr;
      } else if (nl < text.length) {
        if (this.recordDelimiter === '\r\n') return { consumed: pos, stop: true, raggedLine: -1 };
        if (this.recordDelimiter === null) this.recordDelimiter = '\n';
      }
      const line = text.slice(pos, end);
      this.lines++;
      pos = nl + 1;
      if (line.length === 0) continue; // skip_empty_lines
      const cells = line.split(this.o.delimiter);
      if (this.fields < 0) {
        this.fields = cells.length;
        this.headerLine = line;
      }
      // csv-parse's CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: the records before it, then the error.
      if (cells.length !== this.fields) return { consumed: Math.min(pos, text.length), stop: false, raggedLine: this.lines };
      out.push(cells);
    }
    return { consumed: Math.min(pos, text.length), stop: false, raggedLine: -1 };
  }
}

export interface PlainSplit {
  /** Characters of the text consumed (complete lines only, unless the text was final). */
  readonly consumed: number;
  /** The splitter met a line it does not handle, at `consumed`: the rest is csv-parse's. */
  readonly stop: boolean;
  /** 1-based physical line of a record whose field count differs from the header's, else -1. */
  readonly raggedLine: number;
}
