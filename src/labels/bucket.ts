/**
 * Binning of a numeric label for the `bucket` label policy (PLATFORM.md §7).
 *
 * Privacy is the point of this module: the exact targets stay in the cluster (MySQL keeps them),
 * the backend receives one bin index per row and, once, the bin boundaries. The boundaries
 * (`cutPoints`) are the ONLY statistics that leave the cluster: no min, no max, no counts, no
 * quantiles as computed. To make the cut points say as little as possible about individual rows:
 *
 * - every cut point is snapped to the midpoint between two adjacent distinct data values, so a cut
 *   is never itself a data value, and never the minimum or the maximum;
 * - bins holding fewer than `minBucketSize` rows are merged with a neighbour, so no bin isolates a
 *   handful of rows (an outlier never gets a bin of its own unless `minBucketSize` <= 1);
 * - a constant column, an empty column or a dataset smaller than `minBucketSize` gets a single bin
 *   and no cut point at all.
 *
 * The `counts` returned by `computeBuckets` are for local reporting only and must never be sent.
 */
import { quantileSorted } from 'simple-statistics';
import { IngestError } from '../errors.js';

export interface BucketSpec {
  strategy: 'quantile' | 'equal_width';
  /** Requested number of bins (>= 1). Fewer may be used (few distinct values, merging). */
  bins: number;
  /** Minimum number of rows per final bin (>= 0; 0 and 1 disable merging). */
  minBucketSize: number;
}

export interface Buckets {
  /** Strictly increasing. Bin i holds the values v with cutPoints[i-1] <= v < cutPoints[i]. */
  cutPoints: number[];
  /** Number of bins actually used: `cutPoints.length + 1`. */
  bins: number;
  /** Rows per final bin (local use only: never sent to the backend). */
  counts: number[];
}

/**
 * Computes the bins of a numeric label column.
 *
 * `values` must hold finite numbers only (an `INTERNAL` error otherwise: the casting stage refuses
 * non-finite labels earlier). **The array is sorted in place** (ascending) to avoid copying a
 * column that may hold millions of rows; pass an array you own.
 */
export function computeBuckets(values: Float64Array, spec: BucketSpec): Buckets {
  validateSpec(spec);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i] as number)) {
      throw new IngestError('INTERNAL', 'computeBuckets received a non-finite value');
    }
  }
  const n = values.length;
  const single: Buckets = { cutPoints: [], bins: 1, counts: [n] };
  if (n === 0 || n < spec.minBucketSize) return single;

  const sorted = values.sort();
  const min = sorted[0] as number;
  const max = sorted[n - 1] as number;
  if (min === max || spec.bins <= 1) return single;

  // 1. candidate cut positions
  const candidates: number[] = [];
  for (let k = 1; k < spec.bins; k++) {
    if (spec.strategy === 'quantile') {
      // simple-statistics only reads .length and indexes: a sorted Float64Array works as is.
      candidates.push(quantileSorted(sorted as unknown as readonly number[], k / spec.bins));
    } else {
      candidates.push(min + (k * (max - min)) / spec.bins);
    }
  }

  // 2. snap each candidate to a split between two adjacent distinct values, deduplicate
  const cuts: number[] = [];
  for (const c of candidates) {
    const cut = snap(sorted, c);
    if (cut !== null) cuts.push(cut);
  }
  cuts.sort((x, y) => x - y);
  let cutPoints = cuts.filter((c, i) => i === 0 || c !== cuts[i - 1]);

  // 3. count and merge bins below minBucketSize
  let counts = countPerBin(sorted, cutPoints);
  for (;;) {
    if (counts.length <= 1) break;
    let smallest = -1;
    for (let i = 0; i < counts.length; i++) {
      const c = counts[i] as number;
      if (c < spec.minBucketSize && (smallest === -1 || c < (counts[smallest] as number))) smallest = i;
    }
    if (smallest === -1) break;
    const left = smallest - 1;
    const right = smallest + 1;
    let neighbour: number;
    if (left < 0) neighbour = right;
    else if (right >= counts.length) neighbour = left;
    else neighbour = (counts[right] as number) < (counts[left] as number) ? right : left;
    // the cut between bin j and bin j+1 is cutPoints[j]
    const removed = Math.min(smallest, neighbour);
    cutPoints = cutPoints.filter((_, i) => i !== removed);
    const merged = (counts[smallest] as number) + (counts[neighbour] as number);
    counts = [...counts.slice(0, removed), merged, ...counts.slice(removed + 2)];
  }

  return { cutPoints, bins: cutPoints.length + 1, counts };
}

/**
 * The bin of `value`: the number of cut points <= `value` (binary search), in `[0, cutPoints.length]`.
 * `cutPoints` must be strictly increasing. A NaN `value` lands in bin 0; callers filter it first.
 */
export function bucketIndex(value: number, cutPoints: readonly number[]): number {
  let lo = 0;
  let hi = cutPoints.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cutPoints[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function validateSpec(spec: BucketSpec): void {
  if (spec.strategy !== 'quantile' && spec.strategy !== 'equal_width') {
    throw new IngestError('INTERNAL', `unknown bucket strategy ${JSON.stringify(spec.strategy)}`);
  }
  if (!Number.isInteger(spec.bins) || spec.bins < 1) {
    throw new IngestError('INTERNAL', `bucket bins must be an integer >= 1, got ${spec.bins}`);
  }
  if (!Number.isInteger(spec.minBucketSize) || spec.minBucketSize < 0) {
    throw new IngestError('INTERNAL', `bucket minBucketSize must be an integer >= 0, got ${spec.minBucketSize}`);
  }
}

/** Index of the first element >= x in an ascending array (n if none). */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * For candidate c: b = the smallest value >= c, a = the largest value < b; the cut is the midpoint
 * of a and b. No a (c <= min), no b (c > max), or no double strictly between a and b → no cut.
 */
function snap(sorted: Float64Array, c: number): number | null {
  const ib = lowerBound(sorted, c);
  if (ib >= sorted.length) return null;
  const b = sorted[ib] as number;
  const ia = lowerBound(sorted, b) - 1;
  if (ia < 0) return null;
  const a = sorted[ia] as number;
  // a/2 + b/2 cannot overflow (a + b can for values near ±Number.MAX_VALUE).
  const mid = a / 2 + b / 2;
  // When a and b are adjacent doubles no number lies strictly between them: drop the cut rather
  // than emit a data value (a and b then share a bin).
  return mid > a && mid < b ? mid : null;
}

function countPerBin(sorted: Float64Array, cutPoints: readonly number[]): number[] {
  const counts: number[] = [];
  let below = 0;
  for (const cut of cutPoints) {
    const lb = lowerBound(sorted, cut);
    counts.push(lb - below);
    below = lb;
  }
  counts.push(sorted.length - below);
  return counts;
}
