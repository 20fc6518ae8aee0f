import { describe, expect, it } from 'vitest';
import { PIECE_CHARS, Utf8Pieces } from '../../src/bytes/utf8-pieces.js';
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
