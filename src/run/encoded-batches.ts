import type { EncodedBatch } from '../sinks/types.js';

/** Encoded batches written or loaded together: one payload, in order. */
export function joinEncoded(batches: readonly EncodedBatch[]): EncodedBatch {
  if (batches.length === 1) return batches[0]!;
  return {
    count: batches.reduce((n, b) => n + b.count, 0),
    firstDataId: batches[0]?.firstDataId ?? '',
    payload: batches.flatMap((b) => b.payload),
  };
}

/** One batch of spooled rows: per row its number, data_id source, label and the sink's encoding. */
export interface SpooledBatch {
  readonly rows: number[];
  readonly sources: (string | null)[];
  readonly labels: (string | null)[];
  readonly encoded: string[];
}

/**
 * Spooled rows gathered into batches of `size`, in order: the one place their batches are cut, so
 * the staged load (during the check pass) and the write pass (sending from the spool) cut the same
 * batches, and batch k holds the same rows with the same data_ids in both.
 */
export class SpooledBatcher {
  private batch: SpooledBatch = emptySpooledBatch();

  constructor(private readonly size: number) {}

  /** Adds a row; true when the batch is full (take it). */
  add(row: number, source: string | null, label: string | null, encoded: string): boolean {
    const b = this.batch;
    b.rows.push(row);
    b.sources.push(source);
    b.labels.push(label);
    b.encoded.push(encoded);
    return b.encoded.length >= this.size;
  }

  /** Rows gathered and not taken yet. */
  get pending(): number {
    return this.batch.encoded.length;
  }

  /** The rows gathered so far, as one batch; the batcher starts a new one. */
  take(): SpooledBatch {
    const b = this.batch;
    this.batch = emptySpooledBatch();
    return b;
  }
}

const emptySpooledBatch = (): SpooledBatch => ({ rows: [], sources: [], labels: [], encoded: [] });
