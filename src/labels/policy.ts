/**
 * What is sent to the backend as a row's `label` (PLATFORM.md §7).
 *
 * MySQL always keeps the exact label; an encoder only decides the value of the `label` key of the
 * `POST /global_meta/<table>/` rows, and the `label_policy` entry of the global metadata.
 */
import type { JsonValue } from '../config/types.js';
import { bucketIndex, type BucketSpec, type Buckets } from './bucket.js';

export interface LabelEncoder {
  /** Value sent to the backend for one row's label. */
  encode(raw: string): string | number | null;
  /** Added to `global_metadata.meta_data.label_policy`. */
  describe(): Record<string, JsonValue>;
}

/** Sends the raw class value as is (classification categories, or an explicit opt-in for regression). */
export function passthroughEncoder(): LabelEncoder {
  return {
    encode: (raw) => raw,
    describe: () => ({ policy: 'passthrough' }),
  };
}

/**
 * Sends the bin index (an integer in `[0, buckets.bins)`) instead of the value. A label that does
 * not parse as a finite number (or is blank) is sent as `null`. `describe()` carries the cut points,
 * the only statistics of the column that leave the cluster.
 */
export function bucketEncoder(buckets: Buckets, spec: BucketSpec): LabelEncoder {
  const cutPoints = [...buckets.cutPoints];
  return {
    encode(raw) {
      const trimmed = raw.trim();
      if (trimmed === '') return null; // Number('') is 0
      const value = Number(trimmed);
      if (!Number.isFinite(value)) return null;
      return bucketIndex(value, cutPoints);
    },
    describe() {
      return {
        policy: 'bucket',
        strategy: spec.strategy,
        bins: cutPoints.length + 1,
        requested_bins: spec.bins,
        cut_points: [...cutPoints],
      };
    },
  };
}
