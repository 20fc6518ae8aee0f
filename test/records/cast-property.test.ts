/**
 * Property / fuzz tests for the casters, with a seeded PRNG (mulberry32) so failures reproduce.
 */
import { describe, expect, it } from 'vitest';
import type { SqlType } from '../../src/config/types.js';
import { casterFor, isCastFailure, parseTimestampMs, type CastFailure } from '../../src/records/cast.js';
import { pick, prng } from '../support/prng.js';

const N = 5000;

function uint32(rand: () => number): number {
  return Math.floor(rand() * 4_294_967_296) >>> 0;
}

/** A double from 64 random bits (any finite double, subnormals included), or from a "typical" range. */
function randomDouble(rand: () => number): number {
  const view = new DataView(new ArrayBuffer(8));
  for (;;) {
    if (rand() < 0.5) {
      view.setUint32(0, uint32(rand));
      view.setUint32(4, uint32(rand));
      const x = view.getFloat64(0);
      if (Number.isFinite(x)) return x;
    } else {
      return (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
    }
  }
}

/** Canonical significant digits and exponent of a decimal literal, e.g. '0.0120e3' → '12e0'... as `digits@exp`. */
function canon(s: string): string {
  const m = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (m === null) throw new Error('not a decimal literal');
  const intPart = m[1] ?? '';
  const all = intPart + (m[2] ?? '');
  const first = all.search(/[1-9]/);
  if (first < 0) return '0';
  const digits = all.slice(first).replace(/0+$/, '');
  const exp = intPart.length - 1 - first + Number(m[3] ?? '0');
  return `${digits}@${exp}`;
}

/**
 * The definition the FLOAT/DOUBLE casters implement: the n significant digits of `s` are a nearest
 * n-digit decimal to the stored value `r` (either the `toPrecision` rounding, or the other side of
 * an exact tie, which `String()` would pick by rounding half to even).
 */
function survives(s: string, r: number, n: number): boolean {
  const want = canon(s);
  if (canon(r.toPrecision(n)) === want) return true;
  const [digits, exp] = want.split('@');
  return canon(r.toPrecision(100)) === `${digits}5@${exp}`;
}

const type = {
  INT: { kind: 'int', name: 'INT', unsigned: false, sql: 'INT' },
  BIGINT: { kind: 'int', name: 'BIGINT', unsigned: false, sql: 'BIGINT' },
  TINYINT_U: { kind: 'int', name: 'TINYINT', unsigned: true, sql: 'TINYINT UNSIGNED' },
  FLOAT: { kind: 'float', name: 'FLOAT', unsigned: false, sql: 'FLOAT' },
  DOUBLE: { kind: 'float', name: 'DOUBLE', unsigned: false, sql: 'DOUBLE' },
  DOUBLE_U: { kind: 'float', name: 'DOUBLE', unsigned: true, sql: 'DOUBLE UNSIGNED' },
  DECIMAL: { kind: 'decimal', precision: 12, scale: 4, unsigned: false, sql: 'DECIMAL(12,4)' },
  BOOLEAN: { kind: 'boolean', sql: 'BOOLEAN' },
  DATE: { kind: 'date', sql: 'DATE' },
  DATETIME: { kind: 'datetime', fsp: 3, sql: 'DATETIME(3)' },
  TIMESTAMP: { kind: 'timestamp', fsp: 0, sql: 'TIMESTAMP' },
  TIME: { kind: 'time', fsp: 2, sql: 'TIME(2)' },
  CHAR: { kind: 'char', length: 4, sql: 'CHAR(4)' },
  VARCHAR: { kind: 'varchar', length: 8, sql: 'VARCHAR(8)' },
  TINYTEXT: { kind: 'text', name: 'TINYTEXT', maxBytes: 255, sql: 'TINYTEXT' },
} as const satisfies Record<string, SqlType>;

describe('DOUBLE', () => {
  it('String(x) of any finite double passes and casts back to x', () => {
    const rand = prng(1);
    const cast = casterFor(type.DOUBLE);
    for (let k = 0; k < N; k++) {
      const x = randomDouble(rand);
      const s = String(x);
      const got = cast(s);
      if (isCastFailure(got)) throw new Error(`DOUBLE refused ${s}: ${got.code}`);
      expect(got).toBe(x === 0 ? 0 : x);
      expect(cast(x)).toBe(x === 0 ? 0 : x);
      expect(cast(` ${s}\t`)).toBe(x === 0 ? 0 : x);
    }
  });

  it('toPrecision(17) of any double passes (17 digits always identify a double)', () => {
    const rand = prng(2);
    const cast = casterFor(type.DOUBLE);
    for (let k = 0; k < N; k++) {
      const x = randomDouble(rand);
      expect(cast(x.toPrecision(17))).toBe(x === 0 ? 0 : x);
    }
  });

  it('UNSIGNED refuses every negative and keeps every positive', () => {
    const rand = prng(3);
    const cast = casterFor(type.DOUBLE_U);
    for (let k = 0; k < N; k++) {
      const x = randomDouble(rand);
      const got = cast(String(x));
      if (x < 0) expect(isCastFailure(got) && got.code).toBe('CAST_OVERFLOW');
      else expect(got).toBe(x);
    }
  });
});

describe('FLOAT', () => {
  it('the shortest form of any float32 value passes', () => {
    const rand = prng(4);
    const cast = casterFor(type.FLOAT);
    const view = new DataView(new ArrayBuffer(4));
    for (let k = 0; k < N; k++) {
      view.setUint32(0, uint32(rand));
      const f = view.getFloat32(0);
      if (!Number.isFinite(f)) continue;
      const got = cast(String(f));
      if (isCastFailure(got)) throw new Error(`FLOAT refused ${String(f)}: ${got.code}`);
      expect(got).toBe(f === 0 ? 0 : f);
    }
  });

  it('agrees with the definition (digits survive Math.fround) on random decimals of 1..10 digits', () => {
    const rand = prng(5);
    const cast = casterFor(type.FLOAT);
    let accepted = 0;
    for (let k = 0; k < N; k++) {
      const digits = 1 + Math.floor(rand() * 10);
      let mant = String(1 + Math.floor(rand() * 9));
      for (let d = 1; d < digits; d++) mant += String(Math.floor(rand() * 10));
      const s = `${rand() < 0.5 ? '-' : ''}${mant}e${Math.floor(rand() * 80) - 45}`;
      const v = Number(s);
      const n = canon(s).split('@')[0]?.length ?? 0;
      const got = cast(s);
      if (Math.abs(v) > 3.4028234663852886e38) {
        expect(isCastFailure(got) && got.code).toBe('CAST_OVERFLOW');
      } else if (survives(s, Math.fround(v), n)) {
        expect(got).toBe(v);
        accepted++;
      } else {
        expect(isCastFailure(got) && got.code, s).toBe('CAST_PRECISION_LOSS');
      }
    }
    expect(accepted).toBeGreaterThan(N / 4);
  });

  it('FLT_DIG / DBL_DIG hold: 6 (resp. 15) significant digits in the normal range always survive', () => {
    // The casters skip the digit comparison on this basis; check the claim itself.
    const rand = prng(6);
    for (let k = 0; k < N; k++) {
      for (const [digits, minExp, maxExp, round] of [
        [6, -37, 38, Math.fround],
        [15, -307, 308, (x: number) => x],
      ] as const) {
        const n = 1 + Math.floor(rand() * digits);
        let mant = String(1 + Math.floor(rand() * 9));
        for (let d = 1; d < n; d++) mant += String(Math.floor(rand() * 10));
        const s = `${mant[0]}.${mant.slice(1)}e${minExp + Math.floor(rand() * (maxExp - minExp))}`;
        const v = Number(s);
        if (Math.abs(round(v)) === Infinity) continue;
        expect(canon(round(v).toPrecision(n))).toBe(canon(s));
      }
    }
  });
});

describe('integers', () => {
  it('every int32 round-trips through INT, as text and as a JSON number', () => {
    const rand = prng(7);
    const cast = casterFor(type.INT);
    for (let k = 0; k < N; k++) {
      const i = uint32(rand) | 0;
      expect(cast(String(i))).toBe(i);
      expect(cast(i)).toBe(i);
      expect(cast(`${i}.0`)).toBe(i);
      expect(cast(`  ${i} `)).toBe(i);
    }
  });

  it('every int64 round-trips through BIGINT exactly', () => {
    const rand = prng(8);
    const cast = casterFor(type.BIGINT);
    for (let k = 0; k < N; k++) {
      const b = BigInt.asIntN(64, (BigInt(uint32(rand)) << 32n) | BigInt(uint32(rand))) >> BigInt(Math.floor(rand() * 64));
      const got = cast(b.toString());
      if (isCastFailure(got) || got === null) throw new Error(`BIGINT refused ${b}`);
      expect(BigInt(got)).toBe(b);
      expect(typeof got === 'number' ? Number.isSafeInteger(got) : !Number.isSafeInteger(Number(got))).toBe(true);
    }
  });

  it('TINYINT UNSIGNED accepts exactly 0..255', () => {
    const cast = casterFor(type.TINYINT_U);
    for (let i = -300; i <= 300; i++) {
      const got = cast(String(i));
      if (i >= 0 && i <= 255) expect(got).toBe(i);
      else expect(isCastFailure(got) && got.code).toBe('CAST_OVERFLOW');
    }
  });
});

describe('DECIMAL', () => {
  it('keeps the exact value of random decimals that fit, and refuses those that do not', () => {
    const rand = prng(9);
    const cast = casterFor(type.DECIMAL);
    for (let k = 0; k < N; k++) {
      const intLen = Math.floor(rand() * 10);
      const fracLen = Math.floor(rand() * 6);
      let intPart = '';
      for (let d = 0; d < intLen; d++) intPart += String(Math.floor(rand() * 10));
      let frac = '';
      for (let d = 0; d < fracLen; d++) frac += String(Math.floor(rand() * 10));
      const s = `${rand() < 0.3 ? '-' : ''}${intPart || '0'}${fracLen > 0 ? '.' + frac : ''}`;
      const got = cast(s);
      const sigInt = intPart.replace(/^0+/, '').length;
      const sigFrac = frac.replace(/0+$/, '').length;
      if (sigInt > 8) expect(isCastFailure(got) && got.code).toBe('CAST_OVERFLOW');
      else if (sigFrac > 4) expect(isCastFailure(got) && got.code).toBe('CAST_PRECISION_LOSS');
      else {
        if (typeof got !== 'string') throw new Error(`DECIMAL refused ${s}`);
        expect(canon(got)).toBe(canon(s));
        expect(got).toMatch(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/);
        if (canon(s) === '0') expect(got).toBe('0');
      }
      // Exponent forms of the same value cast to the same string.
      if (typeof got === 'string' && got !== '0') {
        const [m, e] = canon(got).split('@');
        expect(cast(`${got.startsWith('-') ? '-' : ''}0.${m}e${Number(e) + 1}`)).toBe(got);
      }
    }
  });
});

const ALPHABET = [
  ...'0123456789',
  ...'+-.eE:/ T Z',
  ...'abcxyzNaInfty',
  '\t',
  '\n',
  '\r',
  '\u0000',
  '\\',
  '"',
  ',',
  'é',
  '€',
  '👍',
  '\uD800',
  '\uDC00',
  '\u00A0',
  '\u2028',
  '٣',
];

function junk(rand: () => number): string {
  const len = Math.floor(rand() * 24);
  let s = '';
  for (let i = 0; i < len; i++) s += pick(rand, ALPHABET);
  // Sometimes start from something almost valid.
  if (rand() < 0.3) s = pick(rand, ['2024-01-02', '12:30:00', '1e', '-0.', '9'.repeat(20), '2024-01-02T10:00', '']) + s;
  return s;
}

const CODES: ReadonlySet<CastFailure['code']> = new Set([
  'CAST_INVALID',
  'CAST_OVERFLOW',
  'CAST_PRECISION_LOSS',
  'CAST_NOT_FINITE',
  'CAST_TOO_LONG',
  'CAST_AMBIGUOUS_DATE',
]);

describe('junk', () => {
  it('never throws, always returns a value or a failure whose message does not contain the input', () => {
    const rand = prng(10);
    const casters = Object.values(type).map((t) => [t.sql, casterFor(t)] as const);
    let failures = 0;
    for (let k = 0; k < N; k++) {
      const s = junk(rand);
      for (const [sql, cast] of casters) {
        const got = cast(s);
        if (isCastFailure(got)) {
          failures++;
          expect(CODES.has(got.code), sql).toBe(true);
          expect(typeof got.message).toBe('string');
          if (s.length > 3 && got.message.includes(s)) throw new Error(`${sql} message contains the input`);
        } else {
          expect(got === null || typeof got === 'string' || Number.isFinite(got), sql).toBe(true);
        }
      }
      const ms = parseTimestampMs(s);
      if (typeof ms === 'number') expect(Number.isFinite(ms)).toBe(true);
      else if (s.length > 3) expect(ms.message.includes(s)).toBe(false);
    }
    expect(failures).toBeGreaterThan(N);
  });

  it('numeric, boolean and date/time casters never return a tab, newline, CR, backslash or NUL (the TSV encoder writes them unescaped)', () => {
    const rand = prng(12);
    const plainKinds = new Set(['int', 'float', 'decimal', 'boolean', 'date', 'datetime', 'timestamp', 'time']);
    const casters = Object.values(type)
      .filter((t) => plainKinds.has(t.kind))
      .flatMap((t) => [casterFor(t), casterFor(t, { numbersAsText: true })]);
    const pads = ['', ' ', '\t', '\n', '\r\n', ' \t ', '\u0000'];
    const seeds = ['1', '-2.5', '1e3', '0', '2024-02-29', '2024-02-29 12:34:56.789', '12:34:56.78', 'true', '1.25', '+7'];
    let accepted = 0;
    for (let k = 0; k < N; k++) {
      const core = rand() < 0.5 ? junk(rand) : pick(rand, seeds);
      const s = pick(rand, pads) + core + pick(rand, pads);
      for (const cast of casters) {
        const got = cast(s);
        if (isCastFailure(got) || got === null) continue;
        accepted++;
        if (/[\\\t\n\r\0]/.test(String(got))) throw new Error(`a plain caster returned a special character for input #${k}`);
      }
    }
    expect(accepted).toBeGreaterThan(N);
  });

  it('random JSON scalars never throw', () => {
    const rand = prng(11);
    const casters = Object.values(type).map((t) => casterFor(t));
    const scalars = [true, false, null, undefined, Number.NaN, Infinity, -Infinity, -0, 2 ** 53, 2 ** 64, 1e-320];
    for (let k = 0; k < N; k++) {
      const v = rand() < 0.3 ? pick(rand, scalars) : randomDouble(rand);
      for (const cast of casters) {
        const got = cast(v);
        if (isCastFailure(got)) expect(CODES.has(got.code)).toBe(true);
        else expect(got === null || typeof got === 'string' || Number.isFinite(got)).toBe(true);
      }
    }
  });
});
