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
