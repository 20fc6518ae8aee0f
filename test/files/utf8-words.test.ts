import { describe, expect, it } from 'vitest';
import { isPythonWhitespace, splitWords, Utf8WordScanner } from '../../src/files/utf8-words.js';
import { pick, prng } from '../support/prng.js';

function scan(bytes: Uint8Array, chunk = bytes.length || 1): { bad: number; words: number; line: number } {
  const s = new Utf8WordScanner();
  for (let i = 0; i < bytes.length; i += chunk) {
    const bad = s.push(bytes.subarray(i, i + chunk));
    if (bad >= 0) return { bad, words: s.words, line: s.line };
  }
  return { bad: s.end(), words: s.words, line: s.line };
}

const enc = (s: string) => new TextEncoder().encode(s);

describe('Python whitespace', () => {
  it('is exactly the set of str.isspace()', () => {
    const python = [
      0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004,
      0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
    ];
    const ours: number[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) if (isPythonWhitespace(cp)) ours.push(cp);
    expect(ours).toEqual(python);
  });

  it('splits like str.split(): runs of any whitespace, no empty words; BOM and ZWSP are not whitespace', () => {
    expect(splitWords('  B-PER\tI-PER \n O\u00a0O\u3000B-ORG  ')).toEqual(['B-PER', 'I-PER', 'O', 'O', 'B-ORG']);
    expect(splitWords('')).toEqual([]);
    expect(splitWords(' \u2028 ')).toEqual([]);
    expect(splitWords('a\u200bb')).toEqual(['a\u200bb']);
    expect(splitWords('😀 x')).toEqual(['😀', 'x']);
  });
});

describe('Utf8WordScanner', () => {
  it('counts words across chunk boundaries, whatever the chunk size', () => {
    const text = enc('Zoë  Müller\u00a0lives in\n東京 😀\u3000x\u2009y');
    for (const chunk of [1, 2, 3, 5, 64]) expect(scan(text, chunk)).toEqual({ bad: -1, words: 8, line: 2 });
  });

  it('ignores a leading BOM but not one later in the text', () => {
    expect(scan(enc('\ufeff hello')).words).toBe(1);
    expect(scan(enc('\ufeff')).words).toBe(0);
    expect(scan(enc('a \ufeff')).words).toBe(2);
    expect(scan(enc('\ufeff hello'), 1).words).toBe(1);
  });

  it.each([
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['an overlong two-byte form', [0xc0, 0xaf], 0],
    ['an overlong three-byte form', [0x20, 0xe0, 0x80, 0xaf], 1],
    ['a surrogate', [0x61, 0x61, 0xed, 0xa0, 0x80], 2],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['a Latin-1 byte', [0x63, 0x61, 0x66, 0xe9, 0x20], 3],
    ['a truncated sequence at the end', [0x61, 0xe2, 0x82], 1],
    ['an 0xFF byte', [0xff], 0],
  ])('refuses %s and names the offset where it starts', (_name, bytes, offset) => {
    for (const chunk of [1, 2, bytes.length]) expect(scan(Uint8Array.from(bytes), chunk).bad).toBe(offset);
  });

  it('names the line of the bad byte', () => {
    expect(scan(Uint8Array.from([0x61, 0x0a, 0x62, 0x0a, 0xe9]))).toMatchObject({ bad: 4, line: 3 });
  });

  it('agrees with a strict TextDecoder on random bytes (validity and word count)', () => {
    const r = prng(7);
    const pieces = [[0x20], [0x0a], [0x61], [0xc3, 0xa9], [0xe2, 0x80, 0x83], [0xf0, 0x9f, 0x98, 0x80], [0x80], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90], [0xef, 0xbb, 0xbf], [0xc2, 0xa0], [0xe0, 0xa0]];
    for (let n = 0; n < 3000; n++) {
      const bytes: number[] = [];
      const len = Math.floor(r() * 12);
      for (let i = 0; i < len; i++) {
        if (r() < 0.3) bytes.push(Math.floor(r() * 256));
        else bytes.push(...pick(r, pieces));
      }
      const arr = Uint8Array.from(bytes);
      let expected: string | null;
      try {
        expected = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(arr);
      } catch {
        expected = null;
      }
      const got = scan(arr, 1 + Math.floor(r() * 4));
      expect(got.bad >= 0, JSON.stringify(bytes)).toBe(expected === null);
      if (expected !== null) expect(got.words, JSON.stringify(bytes)).toBe(splitWords(expected.replace(/^\ufeff/, '')).length);
    }
  });
});
