import { describe, expect, it } from 'vitest';
import { bucketIndex, computeBuckets, type BucketSpec } from '../../src/labels/bucket.js';
import { bucketEncoder } from '../../src/labels/policy.js';
import { IngestError } from '../../src/errors.js';
import { prng } from '../support/prng.js';

const quantile10: BucketSpec = { strategy: 'quantile', bins: 10, minBucketSize: 5 };

function arr(values: number[]): Float64Array {
  return Float64Array.from(values);
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

/** The invariants every result must satisfy. */
function checkInvariants(values: number[], spec: BucketSpec): void {
  const b = computeBuckets(arr(values), spec);
  expect(b.bins).toBe(b.cutPoints.length + 1);
  expect(b.counts).toHaveLength(b.bins);
  expect(b.counts.reduce((s, c) => s + c, 0)).toBe(values.length);
  for (let i = 1; i < b.cutPoints.length; i++) expect(b.cutPoints[i]).toBeGreaterThan(b.cutPoints[i - 1] as number);
  const set = new Set(values);
  for (const c of b.cutPoints) {
    expect(set.has(c)).toBe(false);
    expect(c).toBeGreaterThan(Math.min(...values));
    expect(c).toBeLessThan(Math.max(...values));
  }
  if (b.bins > 1) for (const c of b.counts) expect(c).toBeGreaterThanOrEqual(spec.minBucketSize);
  // counts agree with bucketIndex
  const recount = new Array<number>(b.bins).fill(0);
  for (const v of values) {
    const i = bucketIndex(v, b.cutPoints);
    recount[i] = (recount[i] ?? 0) + 1;
  }
  expect(recount).toEqual(b.counts);
}

describe('computeBuckets', () => {
  it('quantile on 1..1000 gives 10 bins of 100 with cuts between data values', () => {
    const b = computeBuckets(arr(range(1, 1000)), quantile10);
    expect(b.bins).toBe(10);
    expect(b.cutPoints).toEqual([100.5, 200.5, 300.5, 400.5, 500.5, 600.5, 700.5, 800.5, 900.5]);
    expect(b.counts).toEqual(new Array(10).fill(100));
  });

  it('does not depend on input order', () => {
    const values = range(1, 1000);
    const shuffled = [...values];
    const r = prng(1);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
    }
    expect(computeBuckets(arr(shuffled), quantile10)).toEqual(computeBuckets(arr(values), quantile10));
  });

  it('sorts the array it is given in place', () => {
    const a = arr([3, 1, 2]);
    computeBuckets(a, { strategy: 'quantile', bins: 2, minBucketSize: 1 });
    expect([...a]).toEqual([1, 2, 3]);
  });

  it('a constant column gets one bin and no cut point', () => {
    const b = computeBuckets(arr(new Array(500).fill(42)), quantile10);
    expect(b).toEqual({ cutPoints: [], bins: 1, counts: [500] });
  });

  it('an empty column gets one bin', () => {
    expect(computeBuckets(new Float64Array(0), quantile10)).toEqual({ cutPoints: [], bins: 1, counts: [0] });
  });

  it('a dataset smaller than minBucketSize gets one bin', () => {
    expect(computeBuckets(arr([1, 2, 3]), quantile10)).toEqual({ cutPoints: [], bins: 1, counts: [3] });
  });

  it('bins: 1 gives one bin', () => {
    expect(computeBuckets(arr(range(1, 100)), { strategy: 'quantile', bins: 1, minBucketSize: 1 }).cutPoints).toEqual([]);
  });

  it('a binary column gets the cut 0.5 and two bins', () => {
    const values = [...new Array(60).fill(0), ...new Array(40).fill(1)];
    const b = computeBuckets(arr(values), quantile10);
    expect(b).toEqual({ cutPoints: [0.5], bins: 2, counts: [60, 40] });
    const eq = computeBuckets(arr(values), { strategy: 'equal_width', bins: 10, minBucketSize: 5 });
    expect(eq).toEqual({ cutPoints: [0.5], bins: 2, counts: [60, 40] });
  });

  it('fewer distinct values than bins gives at most distinct-1 cuts', () => {
    const values = [...new Array(30).fill(1), ...new Array(30).fill(2), ...new Array(40).fill(3)];
    const b = computeBuckets(arr(values), quantile10);
    expect(b.cutPoints).toEqual([1.5, 2.5]);
    expect(b.counts).toEqual([30, 30, 40]);
  });

  it('merges bins smaller than minBucketSize with their smaller neighbour', () => {
    // one outlier far away: equal width would isolate it in the last bin
    const values = [...range(1, 100), 10_000];
    const b = computeBuckets(arr(values), { strategy: 'equal_width', bins: 4, minBucketSize: 5 });
    // candidates 2500.75, 5000.5, 7500.25 all snap to the gap (100, 10000) → one cut 5050;
    // the outlier's bin has 1 row < 5 → merged away
    expect(b).toEqual({ cutPoints: [], bins: 1, counts: [101] });
    const small = computeBuckets(arr(values), { strategy: 'equal_width', bins: 4, minBucketSize: 1 });
    expect(small).toEqual({ cutPoints: [5050], bins: 2, counts: [100, 1] });
  });

  it('merges the smallest offending bin first, into its smaller neighbour', () => {
    // distinct values 1..4 with counts 10, 2, 3, 10; cuts 1.5, 2.5, 3.5
    const values = [...new Array(10).fill(1), 2, 2, 3, 3, 3, ...new Array(10).fill(4)];
    const b = computeBuckets(arr(values), { strategy: 'equal_width', bins: 4, minBucketSize: 4 });
    // bin of "2" (2 rows) is smallest: neighbours 10 and 3 → merged with "3" (cut 2.5 removed) → 10,5,10
    expect(b).toEqual({ cutPoints: [1.5, 3.5], bins: 3, counts: [10, 5, 10] });
  });

  it('equal_width on 0..99 gives cuts at the midpoints next to min + k*(max-min)/bins', () => {
    const b = computeBuckets(arr(range(0, 99)), { strategy: 'equal_width', bins: 4, minBucketSize: 5 });
    // candidates 24.75, 49.5, 74.25 → b = 25, 50, 75 → cuts 24.5, 49.5, 74.5
    expect(b.cutPoints).toEqual([24.5, 49.5, 74.5]);
    expect(b.counts).toEqual([25, 25, 25, 25]);
  });

  it('never emits a data value, the min or the max as a cut point', () => {
    const r = prng(42);
    const datasets: number[][] = [
      range(1, 1000),
      Array.from({ length: 2000 }, () => Math.round(r() * 50)),
      Array.from({ length: 2000 }, () => r() * 1e6 - 5e5),
      Array.from({ length: 777 }, () => Math.exp(r() * 20)), // heavy tail
      [...new Array(995).fill(0), 1, 2, 3, 4, 1e9],
      [-1e308, 1e308, ...new Array(20).fill(0)],
      [0.1, 0.2, 0.30000000000000004, 0.3, 0.4, 0.5, 0.6, 0.7],
    ];
    for (const values of datasets) {
      for (const strategy of ['quantile', 'equal_width'] as const) {
        for (const bins of [2, 3, 10, 64]) {
          for (const minBucketSize of [0, 1, 5, 50]) {
            checkInvariants(values, { strategy, bins, minBucketSize });
          }
        }
      }
    }
  });

  it('drops a cut between adjacent doubles rather than emit a data value', () => {
    const a = 0.3;
    const b = 0.30000000000000004; // the next double after 0.3: nothing lies strictly between
    const values = [...new Array(10).fill(a), ...new Array(10).fill(b)];
    expect(computeBuckets(arr(values), { strategy: 'quantile', bins: 2, minBucketSize: 1 })).toEqual({
      cutPoints: [],
      bins: 1,
      counts: [20],
    });
  });

  it('rejects non-finite values and bad specs as internal errors', () => {
    expect(() => computeBuckets(arr([1, Number.NaN]), quantile10)).toThrow(IngestError);
    expect(() => computeBuckets(arr([1, Infinity]), quantile10)).toThrow(/non-finite/);
    expect(() => computeBuckets(arr([1, 2]), { ...quantile10, bins: 0 })).toThrow(IngestError);
    expect(() => computeBuckets(arr([1, 2]), { ...quantile10, bins: 2.5 })).toThrow(IngestError);
    expect(() => computeBuckets(arr([1, 2]), { ...quantile10, minBucketSize: -1 })).toThrow(IngestError);
  });
});

describe('bucketIndex', () => {
  const cuts = [10.5, 20.5, 30.5];
  it('counts the cut points <= value', () => {
    expect(bucketIndex(-1e9, cuts)).toBe(0);
    expect(bucketIndex(10, cuts)).toBe(0);
    expect(bucketIndex(10.5, cuts)).toBe(1);
    expect(bucketIndex(11, cuts)).toBe(1);
    expect(bucketIndex(20.5, cuts)).toBe(2);
    expect(bucketIndex(30.4999, cuts)).toBe(2);
    expect(bucketIndex(30.5, cuts)).toBe(3);
    expect(bucketIndex(1e9, cuts)).toBe(3);
  });
  it('with no cut points everything is bin 0', () => {
    expect(bucketIndex(5, [])).toBe(0);
  });
  it('matches a linear scan', () => {
    const many = range(0, 99).map((i) => i + 0.5);
    for (let v = -2; v <= 102; v += 0.25) {
      expect(bucketIndex(v, many)).toBe(many.filter((c) => c <= v).length);
    }
  });
});

describe('bucket encoding of computed buckets', () => {
  it('encodes every value as an integer in [0, bins)', () => {
    const r = prng(7);
    const values = Array.from({ length: 3000 }, () => r() * 100);
    const spec: BucketSpec = { strategy: 'quantile', bins: 10, minBucketSize: 20 };
    const b = computeBuckets(arr(values), spec);
    const enc = bucketEncoder(b, spec);
    const seen = new Set<number>();
    for (const v of values) {
      const e = enc.encode(String(v));
      expect(typeof e).toBe('number');
      expect(Number.isInteger(e)).toBe(true);
      expect(e as number).toBeGreaterThanOrEqual(0);
      expect(e as number).toBeLessThan(b.bins);
      seen.add(e as number);
    }
    expect(seen.size).toBe(b.bins);
  });
});
