import { describe, expect, it } from 'vitest';
import { bucketEncoder, passthroughEncoder } from '../../src/labels/policy.js';
import { computeBuckets, type BucketSpec } from '../../src/labels/bucket.js';

describe('passthroughEncoder', () => {
  it('sends the raw string unchanged', () => {
    const enc = passthroughEncoder();
    expect(enc.encode('cat')).toBe('cat');
    expect(enc.encode(' 3.50 ')).toBe(' 3.50 ');
    expect(enc.encode('')).toBe('');
    expect(enc.describe()).toEqual({ policy: 'passthrough' });
  });
});

describe('bucketEncoder', () => {
  const spec: BucketSpec = { strategy: 'quantile', bins: 4, minBucketSize: 1 };
  const buckets = computeBuckets(Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]), spec);

  it('uses the computed cut points', () => {
    expect(buckets.cutPoints).toEqual([2.5, 4.5, 6.5]);
  });

  it('parses the number and returns the bin index', () => {
    const enc = bucketEncoder(buckets, spec);
    expect(enc.encode('1')).toBe(0);
    expect(enc.encode(' 2 ')).toBe(0);
    expect(enc.encode('2.5')).toBe(1);
    expect(enc.encode('4.4999')).toBe(1);
    expect(enc.encode('5')).toBe(2);
    expect(enc.encode('8')).toBe(3);
    expect(enc.encode('1e6')).toBe(3);
    expect(enc.encode('-1e6')).toBe(0);
  });

  it('sends null for blank or non-numeric or non-finite labels', () => {
    const enc = bucketEncoder(buckets, spec);
    expect(enc.encode('')).toBeNull();
    expect(enc.encode('   ')).toBeNull();
    expect(enc.encode('abc')).toBeNull();
    expect(enc.encode('NaN')).toBeNull();
    expect(enc.encode('Infinity')).toBeNull();
    expect(enc.encode('-Infinity')).toBeNull();
  });

  it('describes the policy with the bins actually used and the cut points only', () => {
    const values = Float64Array.from([...new Array(50).fill(0), ...new Array(50).fill(1)]);
    const s: BucketSpec = { strategy: 'quantile', bins: 10, minBucketSize: 5 };
    const b = computeBuckets(values, s);
    const d = bucketEncoder(b, s).describe();
    expect(d).toEqual({ policy: 'bucket', strategy: 'quantile', bins: 2, requested_bins: 10, cut_points: [0.5] });
    // JSON-safe
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('is not affected by later mutation of the buckets object', () => {
    const b = computeBuckets(Float64Array.from([1, 2, 3, 4]), { strategy: 'quantile', bins: 2, minBucketSize: 1 });
    const enc = bucketEncoder(b, spec);
    b.cutPoints.push(100);
    expect(enc.describe()['cut_points']).toEqual([2.5]);
  });
});
