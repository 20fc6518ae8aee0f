/** A scalar as read from a source: CSV gives strings, JSON may give numbers, booleans and null. */
export type RawCell = string | number | boolean | null | undefined;

/** One data record of a source, with its cells in the order of the columns the reader was asked for. */
export interface RawRecord {
  /** 1-based data row number (the header is not a row; JSON: the element index + 1). */
  readonly row: number;
  /** 1-based line where the record starts, when the reader knows it for free (JSON). CSV errors carry their own line. */
  readonly line?: number;
  readonly cells: readonly RawCell[];
}

/** An open source: its records as an async iterator, pulled one at a time (backpressure). */
export interface OpenedSource {
  /** Every column name the source has (CSV header; JSON: the keys of the first object). */
  readonly available: readonly string[];
  readonly records: AsyncIterable<RawRecord>;
  /**
   * The same records in the arrays the reader produced them in (one await per array rather than per
   * record), where the reader has them; consume `records` or `batches`, not both.
   */
  readonly batches?: AsyncIterable<readonly RawRecord[]>;
  close(): Promise<void>;
}
