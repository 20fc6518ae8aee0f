import { describe, expect, it } from 'vitest';
import { LabelValues } from '../../src/run/label-values.js';
import { computeBuckets } from '../../src/labels/bucket.js';

describe('label statistics in bounded memory', () => {
  it('keeps every value up to the capacity (exact quantiles)', () => {
    const v = new LabelValues(1000);
    for (let i = 0; i < 1000; i++) v.push(i);
    expect(v.take()).toHaveLength(1000);
    expect(v.weight).toBe(1);
  });

  it('beyond it keeps a uniform, repeatable sample whose cut points stay close to the exact ones', () => {
    const exact = new LabelValues(1 << 20);
    const a = new LabelValues(10_000);
    const b = new LabelValues(10_000);
    for (let i = 0; i < 200_000; i++) {
      const x = (i * 7919) % 200_000; // a permutation of 0..199999
      exact.push(x);
      a.push(x);
      b.push(x);
    }
    expect(a.take()).toHaveLength(10_000);
    expect(a.weight).toBe(20);
    expect([...a.take()]).toEqual([...b.take()]);
    const spec = { strategy: 'quantile' as const, bins: 10, minBucketSize: 5 };
    const sampled = computeBuckets(new Float64Array(a.take()), spec).cutPoints;
    const full = computeBuckets(new Float64Array(exact.take()), spec).cutPoints;
    expect(sampled).toHaveLength(9);
    // Within 2% of the rows of the exact cut (a 10k sample; the default 2^20 is ~10x tighter).
    sampled.forEach((c, i) => expect(Math.abs(c - full[i]!)).toBeLessThan(0.02 * 200_000));
  });
});
