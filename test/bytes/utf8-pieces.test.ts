import { describe, expect, it } from 'vitest';
import { PIECE_CHARS, Utf8Pieces } from '../../src/bytes/utf8-pieces.js';
import { toJsonArrayBytes, toJsonText } from '../../src/backend/transport.js';
import { IngestError } from '../../src/errors.js';
import { prng } from '../support/prng.js';

describe('Utf8Pieces', () => {
  it('gives the UTF-8 of everything added, in pieces of about PIECE_CHARS, never splitting a character', () => {
    const rand = prng(7);
    const alphabet = ['a', 'é', '€', '𝄞', '\t', '\n', '"', '中'];
    const parts = Array.from({ length: 20_000 }, () => Array.from({ length: 1 + Math.floor(rand() * 12) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));
    const pieces = new Utf8Pieces();
    for (const p of parts) pieces.add(p);
    const out = pieces.take();
    expect(out.length).toBeGreaterThan(3);
    // Each piece is whole UTF-8 on its own, and short.
    for (const b of out) {
      expect(Buffer.from(b.toString('utf8'), 'utf8').equals(b)).toBe(true);
      expect(b.toString('utf8').length).toBeLessThan(PIECE_CHARS + 13);
    }
    expect(Buffer.concat(out).toString('utf8')).toBe(parts.join(''));
    expect(pieces.take()).toEqual([]);
  });
});

describe('toJsonArrayBytes', () => {
  it('is byte for byte the UTF-8 of toJsonText, at every length around its slices', () => {
    const rand = prng(11);
    for (const n of [0, 1, 2, 255, 256, 257, 511, 512, 513, 1000, 3001]) {
      const items = Array.from({ length: n }, (_, i) => ({ data_id: `id-${i}`, label: rand() < 0.5 ? `ü${i}"\\` : i * 0.5, is_sample: false, none: null }));
      expect(toJsonArrayBytes(items).equals(Buffer.from(toJsonText(items), 'utf8'))).toBe(true);
    }
  });

  it('refuses what toJsonText refuses, wherever it sits', () => {
    const items = Array.from({ length: 600 }, (_, i) => ({ v: i === 599 ? Number.NaN : i }));
    expect(() => toJsonArrayBytes(items)).toThrow(IngestError);
  });
});
