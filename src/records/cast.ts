/**
 * The hot-path caster: one raw source cell (a CSV string or a JSON scalar) → the value written to
 * MySQL for the column's declared SQL type, or a `CastFailure`.
 *
 * Build a caster once per column (`casterFor`) and call it per cell. Casters never throw on any
 * input, compile no regex per call, and allocate nothing on the success path beyond the result
 * (failures are pre-built, frozen objects). Failure messages say what is wrong and what to do,
 * and NEVER contain the cell value.
 *
 * Rules (see also the tests in test/records/):
 * - null / undefined / '' → NULL for every non-string type; for CHAR/VARCHAR/TEXT '' stays ''.
 *   A whitespace-only cell in a non-string column is CAST_INVALID. Numbers, booleans, dates and
 *   times are trimmed of ASCII whitespace (space, tab, CR, LF, VT, FF); strings are never trimmed
 *   or altered (leading zeros and backslashes are kept).
 * - Integers: `[+-]digits`, optionally followed by a fraction of zeros (`3.0`, as pandas writes
 *   integer columns holding NaN). A non-zero fraction is CAST_PRECISION_LOSS; exponent forms are
 *   CAST_INVALID. Out of range → CAST_OVERFLOW (negatives in UNSIGNED columns too). BIGINT values
 *   beyond Number.MAX_SAFE_INTEGER are returned as decimal strings. JSON numbers must be integers;
 *   a JSON number beyond 2^53 (that is not clearly out of range) is CAST_PRECISION_LOSS because the
 *   JSON parser may already have rounded it: write it as a JSON string.
 * - FLOAT / DOUBLE: decimal and exponent forms. NaN / Infinity / inf → CAST_NOT_FINITE; finite
 *   literals that overflow (`1e400`, or beyond FLOAT's ±3.4028234663852886e38) → CAST_OVERFLOW.
 *   A value whose significant decimal digits do not survive the round trip through the column's
 *   binary format is CAST_PRECISION_LOSS (this includes underflow to zero, e.g. `1e-400`): with n
 *   the input's significant digits (at most 100), the digits must equal `r.toPrecision(n)` where r
 *   is `Math.fround(v)` for FLOAT and v for DOUBLE, or r must lie exactly halfway between the
 *   input and those digits (a tie, which `String()` resolves the other way). `-0`
 *   is stored as 0. For FLOAT the value is returned as the double nearest the input (MySQL then
 *   rounds it to float32 itself).
 * - DECIMAL(p,s): exact, string based (exponent forms converted exactly). More than p-s integer
 *   digits → CAST_OVERFLOW; more than s fractional digits (ignoring trailing zeros) →
 *   CAST_PRECISION_LOSS. Result: normalized decimal string (no leading zeros, no trailing
 *   fractional zeros, no `-` on zero).
 * - BOOLEAN: true/false/1/0/yes/no/t/f/y/n (case-insensitive), JSON booleans, JSON 0/1 → 1 | 0.
 * - DATE: strict `YYYY-MM-DD`, years 1000..9999. Slash/dot separated forms and day/month-first
 *   forms (`01/02/2024`, `02-01-2024`, `2024/01/02`) → CAST_AMBIGUOUS_DATE.
 * - DATETIME / TIMESTAMP: `YYYY-MM-DD` or `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]]`, optionally followed
 *   by `Z`, `±HH:MM` or `±HHMM`. A value with an offset is converted to UTC; a value without one
 *   is taken as UTC (so the writer must run its MySQL session with time_zone = '+00:00' for
 *   TIMESTAMP columns). Fraction digits beyond the column's fsp must be zeros. Result:
 *   `YYYY-MM-DD HH:MM:SS[.ffffff]` (fraction printed only when fsp > 0, padded to fsp).
 *   TIMESTAMP accepts 1970-01-01 00:00:01 .. 2038-01-19 03:14:07 UTC, DATETIME years 1000..9999;
 *   else CAST_OVERFLOW.
 * - TIME: `[-]H..HHH:MM[:SS[.fraction]]`, at most 838:59:59 either way → `[-]HH:MM:SS[.f]`.
 * - CHAR(n) / VARCHAR(n): length counted in Unicode code points; NUL characters and unpaired
 *   surrogates are CAST_INVALID. TEXT types: UTF-8 byte length ≤ the type's maximum; unpaired
 *   surrogates are CAST_INVALID. JSON numbers/booleans become their JSON text.
 */

import { Buffer } from 'node:buffer';
import type { SqlType } from '../config/types.js';
import type { ErrorCode } from '../errors.js';

/** What goes to MySQL (mysql2 escapes it). */
export type CellValue = string | number | null;

export type CastCode =
  | 'CAST_INVALID'
  | 'CAST_OVERFLOW'
  | 'CAST_PRECISION_LOSS'
  | 'CAST_NOT_FINITE'
  | 'CAST_TOO_LONG'
  | 'CAST_AMBIGUOUS_DATE';

export type CastFailure = { code: CastCode; message: string };

/** A raw source cell: a CSV string, or a JSON scalar. */
export type Caster = (raw: string | number | boolean | null | undefined) => CellValue | CastFailure;

// Compile-time check: every cast code is an ErrorCode.
type AssertCodes<T extends ErrorCode> = T;
// eslint-disable-next-line @typescript-eslint/no-unused-vars
type CastCodesAreErrorCodes = AssertCodes<CastCode>;

export function isCastFailure(v: CellValue | CastFailure): v is CastFailure {
  return typeof v === 'object' && v !== null;
}

/** Build the caster for one column. Call once per column, then call the caster per cell. */
export interface CasterOptions {
  /**
   * FLOAT/DOUBLE cells read as text are returned as their (checked, trimmed) text instead of a JS
   * number: MySQL parses the same decimal, and the writer need not turn a double back into text,
   * which is the costliest step of writing a numeric row. Default false.
   */
  readonly numbersAsText?: boolean;
}

export function casterFor(type: SqlType, options: CasterOptions = {}): Caster {
  switch (type.kind) {
    case 'int':
      return intCaster(type.name, type.unsigned, type.sql);
    case 'float':
      return floatCaster(type.name === 'FLOAT', type.unsigned, type.sql, options.numbersAsText === true);
    case 'decimal':
      return decimalCaster(type.precision, type.scale, type.unsigned, type.sql);
    case 'boolean':
      return booleanCaster();
    case 'date':
      return dateCaster();
    case 'datetime':
      return dateTimeCaster(false, type.fsp, type.sql);
    case 'timestamp':
      return dateTimeCaster(true, type.fsp, type.sql);
    case 'time':
      return timeCaster(type.fsp, type.sql);
    case 'char':
    case 'varchar':
      return charCaster(type.length, type.sql);
    case 'text':
      return textCaster(type.maxBytes, type.name);
    default: {
      const never: never = type;
      throw new Error(`no caster for SQL type ${(never as { sql?: string }).sql ?? '?'}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

function failure(code: CastCode, message: string): CastFailure {
  return Object.freeze({ code, message });
}

const BLANK_MESSAGE = 'is blank (only whitespace); leave the cell empty for NULL';

function isWs(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Precompiled; only run on failure paths. */
const NON_FINITE_RE = /^[\t\n\v\f\r ]*[+-]?(?:nan|inf|infinity)[\t\n\v\f\r ]*$/i;

/**
 * Result of scanning a decimal literal `[+-]digits[.digits][(e|E)[+-]digits]`. The digits before
 * and after the point form a virtual digit sequence D (the point sits after `intEnd - intStart`
 * digits); `first`/`last` index the first/last non-zero digit of D (-1 when all are zero).
 * `first`/`last` are set as soon as the digits were read, even when the scan then fails.
 */
class NumScan {
  neg = false;
  intStart = 0;
  intEnd = 0;
  fracStart = 0;
  fracEnd = 0;
  hasExp = false;
  exp = 0;
  first = -1;
  last = -1;
}

const SCAN_OK = 0;
const SCAN_BLANK = 1;
const SCAN_BAD = 2;
const EXP_CLAMP = 100_000_000;

// Casts are synchronous and never re-entrant, so module-level scratch state is safe.
const A = new NumScan();
const B = new NumScan();

function scanNumber(s: string, r: NumScan): number {
  let i = 0;
  let e = s.length;
  while (i < e && isWs(s.charCodeAt(i))) i++;
  while (e > i && isWs(s.charCodeAt(e - 1))) e--;
  if (i === e) return SCAN_BLANK;
  let c = s.charCodeAt(i);
  r.neg = false;
  if (c === 45) {
    r.neg = true;
    i++;
  } else if (c === 43) {
    i++;
  }
  // Track the first / last non-zero digit (indexes in D) on the way.
  let first = -1;
  let last = -1;
  r.intStart = i;
  while (i < e && isDigit((c = s.charCodeAt(i)))) {
    if (c !== 48) {
      if (first < 0) first = i - r.intStart;
      last = i - r.intStart;
    }
    i++;
  }
  r.intEnd = i;
  r.fracStart = i;
  r.fracEnd = i;
  if (i < e && s.charCodeAt(i) === 46) {
    i++;
    r.fracStart = i;
    const base = r.intEnd - r.intStart - i;
    while (i < e && isDigit((c = s.charCodeAt(i)))) {
      if (c !== 48) {
        if (first < 0) first = base + i;
        last = base + i;
      }
      i++;
    }
    r.fracEnd = i;
  }
  r.first = first;
  r.last = last;
  if (r.intEnd === r.intStart && r.fracEnd === r.fracStart) return SCAN_BAD;
  r.hasExp = false;
  r.exp = 0;
  if (i < e) {
    c = s.charCodeAt(i);
    if (c !== 101 && c !== 69) return SCAN_BAD;
    i++;
    r.hasExp = true;
    let eneg = false;
    if (i < e) {
      c = s.charCodeAt(i);
      if (c === 45) {
        eneg = true;
        i++;
      } else if (c === 43) {
        i++;
      }
    }
    const ds = i;
    let v = 0;
    while (i < e && isDigit((c = s.charCodeAt(i)))) {
      if (v < EXP_CLAMP) v = v * 10 + (c - 48);
      i++;
    }
    if (i === ds || i !== e) return SCAN_BAD;
    r.exp = eneg ? -v : v;
  }
  return SCAN_OK;
}

/** Char code of digit `i` of the virtual digit sequence D. */
function digitAt(s: string, r: NumScan, i: number): number {
  const intLen = r.intEnd - r.intStart;
  return s.charCodeAt(i < intLen ? r.intStart + i : r.fracStart + i - intLen);
}

/** Decimal exponent of the first significant digit (value = d.ddd × 10^E). */
function leadExponent(r: NumScan): number {
  return r.intEnd - r.intStart - 1 - r.first + r.exp;
}

/**
 * Whether `p` (a `toPrecision` output) has the same significant digits and exponent as the
 * input already scanned into A.
 */
function sameDigits(s: string, p: string): boolean {
  if (scanNumber(p, B) !== SCAN_OK) return false;
  if (B.first < 0) return false; // the value rounded to zero; A has significant digits
  const n = A.last - A.first;
  if (B.last - B.first !== n) return false;
  if (leadExponent(A) !== leadExponent(B)) return false;
  for (let k = 0; k <= n; k++) {
    if (digitAt(s, A, A.first + k) !== digitAt(p, B, B.first + k)) return false;
  }
  return true;
}

/**
 * Whether `r` lies exactly halfway between the n-digit input in A and the next n-digit decimal
 * away from zero. `toPrecision` rounds such ties away from zero while `String(x)` rounds them to
 * even, so a shortest-form input like `220556491111115.62` (exactly ...115.625) is as close to the
 * value as the `toPrecision` digits are, and survives the round trip just as well.
 */
function isTie(s: string, r: number, n: number): boolean {
  if (n >= 100) return false;
  // The exact binary value has at most ~770 significant digits; 100 tell a tie apart in practice.
  const q = r.toPrecision(100);
  if (scanNumber(q, B) !== SCAN_OK) return false;
  if (B.first < 0 || B.last - B.first !== n || digitAt(q, B, B.last) !== 53) return false;
  if (leadExponent(A) !== leadExponent(B)) return false;
  for (let k = 0; k < n; k++) {
    if (digitAt(s, A, A.first + k) !== digitAt(q, B, B.first + k)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Integers

const INT_RANGES: Readonly<Record<Extract<SqlType, { kind: 'int' }>['name'], readonly [number, number, number]>> = {
  // [signed min, signed max, unsigned max]
  TINYINT: [-128, 127, 255],
  SMALLINT: [-32_768, 32_767, 65_535],
  MEDIUMINT: [-8_388_608, 8_388_607, 16_777_215],
  INT: [-2_147_483_648, 2_147_483_647, 4_294_967_295],
  BIGINT: [-(2 ** 63), 2 ** 63, 2 ** 64], // as doubles; exact bounds below
};

const WIDER: Readonly<Record<Extract<SqlType, { kind: 'int' }>['name'], string>> = {
  TINYINT: 'SMALLINT',
  SMALLINT: 'MEDIUMINT or INT',
  MEDIUMINT: 'INT',
  INT: 'BIGINT',
  BIGINT: 'DECIMAL(65,0)',
};

const BIG_SIGNED_MIN = -(2n ** 63n);
const BIG_SIGNED_MAX = 2n ** 63n - 1n;
const BIG_UNSIGNED_MAX = 2n ** 64n - 1n;
const BIG_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function intCaster(name: Extract<SqlType, { kind: 'int' }>['name'], unsigned: boolean, sql: string): Caster {
  const range = INT_RANGES[name];
  const min = unsigned ? 0 : range[0];
  const max = unsigned ? range[2] : range[1];
  const big = name === 'BIGINT';
  const bigMin = unsigned ? 0n : BIG_SIGNED_MIN;
  const bigMax = unsigned ? BIG_UNSIGNED_MAX : BIG_SIGNED_MAX;

  const fInvalid = failure('CAST_INVALID', `is not an integer; ${sql} expects digits with an optional sign`);
  const fBlank = failure('CAST_INVALID', BLANK_MESSAGE);
  const fBool = failure('CAST_INVALID', `is a boolean, not an integer; declare BOOLEAN or write 0/1`);
  const fNotFinite = failure('CAST_NOT_FINITE', `is NaN or infinite, which ${sql} cannot store; leave the cell empty for NULL`);
  const fFraction = failure('CAST_PRECISION_LOSS', `has a fractional part, which ${sql} would drop; declare DOUBLE or DECIMAL(p,s)`);
  const fOverflow = failure('CAST_OVERFLOW', `is out of range for ${sql}; declare ${unsigned ? 'a wider type' : WIDER[name]}`);
  const fNegative = failure('CAST_OVERFLOW', `is negative, which ${sql} cannot hold; drop UNSIGNED`);
  const fUnsafe = failure(
    'CAST_PRECISION_LOSS',
    'is an integer beyond 2^53 in a JSON number and may have lost digits when parsed; write it as a JSON string',
  );

  const fromNumber = (x: number): CellValue | CastFailure => {
    if (!Number.isFinite(x)) return fNotFinite;
    if (!Number.isInteger(x)) return fFraction;
    if (x === 0) return 0;
    if (x < min) return unsigned ? fNegative : fOverflow;
    if (x > max) return fOverflow;
    if (big && (x > Number.MAX_SAFE_INTEGER || x < -Number.MAX_SAFE_INTEGER)) return fUnsafe;
    return x;
  };

  return (raw) => {
    if (typeof raw !== 'string') {
      if (raw === null || raw === undefined) return null;
      if (typeof raw === 'number') return fromNumber(raw);
      if (typeof raw === 'boolean') return fBool;
      return fInvalid;
    }
    if (raw.length === 0) return null;
    const st = scanNumber(raw, A);
    if (st !== SCAN_OK) {
      if (st === SCAN_BLANK) return fBlank;
      return NON_FINITE_RE.test(raw) ? fNotFinite : fInvalid;
    }
    if (A.hasExp || A.intEnd === A.intStart) return fInvalid;
    for (let i = A.fracStart; i < A.fracEnd; i++) {
      if (raw.charCodeAt(i) !== 48) return fFraction;
    }
    let i = A.intStart;
    const end = A.intEnd;
    while (i < end - 1 && raw.charCodeAt(i) === 48) i++;
    const k = end - i;
    if (k <= 15) {
      let v = 0;
      for (; i < end; i++) v = v * 10 + (raw.charCodeAt(i) - 48);
      if (v === 0) return 0;
      if (A.neg) v = -v;
      if (v < min) return unsigned ? fNegative : fOverflow;
      if (v > max) return fOverflow;
      return v;
    }
    if (A.neg && unsigned) return fNegative;
    if (!big || k > 20) return fOverflow;
    const digits = raw.slice(i, end);
    const b = A.neg ? -BigInt(digits) : BigInt(digits);
    if (b < bigMin || b > bigMax) return fOverflow;
    if (b <= BIG_SAFE && b >= -BIG_SAFE) return Number(b);
    return A.neg ? '-' + digits : digits;
  };
}

// ---------------------------------------------------------------------------------------------
// FLOAT / DOUBLE

const FLT_MAX = 3.4028234663852886e38;
const FLT_MIN_NORMAL = 1.1754943508222875e-38;
const DBL_MIN_NORMAL = 2.2250738585072014e-308;
/** Decimal digits that always survive a round trip through float32 / float64 (FLT_DIG, DBL_DIG). */
const FLT_DIG = 6;
const DBL_DIG = 15;

function floatCaster(single: boolean, unsigned: boolean, sql: string, asText: boolean): Caster {
  const name = single ? 'FLOAT' : 'DOUBLE';
  const fInvalid = failure('CAST_INVALID', `is not a number; ${sql} expects a decimal such as -1.5 or 2.5e-3`);
  const fBlank = failure('CAST_INVALID', BLANK_MESSAGE);
  const fBool = failure('CAST_INVALID', 'is a boolean, not a number; declare BOOLEAN or write 0/1');
  const fNotFinite = failure('CAST_NOT_FINITE', `is NaN or infinite, which ${name} cannot store; leave the cell empty for NULL`);
  const fOverflow = failure(
    'CAST_OVERFLOW',
    single ? 'is beyond the range of FLOAT; declare DOUBLE' : 'is beyond the range of DOUBLE; declare DECIMAL(p,s)',
  );
  const fNegative = failure('CAST_OVERFLOW', `is negative, which ${sql} cannot hold; drop UNSIGNED`);
  const fPrecision = failure(
    'CAST_PRECISION_LOSS',
    single ? 'needs more precision than FLOAT keeps; declare DOUBLE or DECIMAL' : 'needs more precision than DOUBLE keeps; declare DECIMAL(p,s)',
  );
  const maxAbs = single ? FLT_MAX : Number.MAX_VALUE;
  const fastDigits = single ? FLT_DIG : DBL_DIG;
  const minNormal = single ? FLT_MIN_NORMAL : DBL_MIN_NORMAL;

  const fromString = (s: string): CellValue | CastFailure => {
    const st = scanNumber(s, A);
    if (st !== SCAN_OK) {
      if (st === SCAN_BLANK) return fBlank;
      return NON_FINITE_RE.test(s) ? fNotFinite : fInvalid;
    }
    // Syntax checked above; Number() trims the same ASCII whitespace.
    const v = Number(s);
    if (v !== v) return fInvalid;
    if (v > maxAbs || v < -maxAbs) return fOverflow;
    if (unsigned && v < 0) return fNegative;
    if (A.first < 0) return 0; // every digit is zero (also -0)
    const n = A.last - A.first + 1;
    const abs = v < 0 ? -v : v;
    const out = asText ? trimAscii(s) : v;
    if (n <= fastDigits && abs >= minNormal) return out;
    const r = single ? Math.fround(v) : v;
    if (n > 100) return fPrecision;
    return sameDigits(s, r.toPrecision(n)) || isTie(s, r, n) ? out : fPrecision;
  };

  return (raw) => {
    if (typeof raw === 'string') return raw.length === 0 ? null : fromString(raw);
    if (raw === null || raw === undefined) return null;
    if (typeof raw === 'number') {
      if (!Number.isFinite(raw)) return fNotFinite;
      if (!single) {
        if (raw === 0) return 0;
        return unsigned && raw < 0 ? fNegative : raw;
      }
      return fromString(String(raw));
    }
    if (typeof raw === 'boolean') return fBool;
    return fInvalid;
  };
}

/** `s` without leading/trailing ASCII whitespace (the only whitespace scanNumber accepts); no copy when there is none. */
function trimAscii(s: string): string {
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  return first > 32 && last > 32 ? s : s.trim();
}

// ---------------------------------------------------------------------------------------------
// DECIMAL(p,s)

function decimalCaster(precision: number, scale: number, unsigned: boolean, sql: string): Caster {
  const maxInt = precision - scale;
  const fInvalid = failure('CAST_INVALID', `is not a decimal number; ${sql} expects digits such as -12.34`);
  const fBlank = failure('CAST_INVALID', BLANK_MESSAGE);
  const fBool = failure('CAST_INVALID', 'is a boolean, not a number; declare BOOLEAN or write 0/1');
  const fNotFinite = failure('CAST_NOT_FINITE', `is NaN or infinite, which ${sql} cannot store; leave the cell empty for NULL`);
  const fOverflow = failure(
    'CAST_OVERFLOW',
    `has more than ${maxInt} integer digit${maxInt === 1 ? '' : 's'}, which ${sql} cannot hold; declare a larger precision`,
  );
  const fPrecision = failure(
    'CAST_PRECISION_LOSS',
    `has more than ${scale} fractional digit${scale === 1 ? '' : 's'}, which ${sql} would round; declare a larger scale`,
  );
  const fNegative = failure('CAST_OVERFLOW', `is negative, which ${sql} cannot hold; drop UNSIGNED`);

  const fromString = (s: string): CellValue | CastFailure => {
    const st = scanNumber(s, A);
    if (st !== SCAN_OK) {
      if (st === SCAN_BLANK) return fBlank;
      return NON_FINITE_RE.test(s) ? fNotFinite : fInvalid;
    }
    if (A.first < 0) return '0';
    if (unsigned && A.neg) return fNegative;
    const intLen = A.intEnd - A.intStart;
    const total = intLen + A.fracEnd - A.fracStart;
    const point = intLen + A.exp; // index in D before which the decimal point sits
    const first = A.first;
    const last = A.last;
    const intDigits = first < point ? point - first : 0;
    const fracDigits = last >= point ? last - point + 1 : 0;
    if (intDigits > maxInt) return fOverflow;
    if (fracDigits > scale) return fPrecision;
    let out: string;
    if (!A.hasExp) {
      out = intDigits > 0 ? s.slice(A.intStart + first, A.intEnd) : '0';
      if (fracDigits > 0) out += '.' + s.slice(A.fracStart, A.fracStart + fracDigits);
    } else {
      out = '';
      if (intDigits === 0) out = '0';
      else for (let i = first; i < point; i++) out += i < total ? String.fromCharCode(digitAt(s, A, i)) : '0';
      if (fracDigits > 0) {
        out += '.';
        for (let i = point; i <= last; i++) out += i < 0 ? '0' : String.fromCharCode(digitAt(s, A, i));
      }
    }
    return A.neg ? '-' + out : out;
  };

  return (raw) => {
    if (typeof raw === 'string') return raw.length === 0 ? null : fromString(raw);
    if (raw === null || raw === undefined) return null;
    if (typeof raw === 'number') return Number.isFinite(raw) ? fromString(String(raw)) : fNotFinite;
    if (typeof raw === 'boolean') return fBool;
    return fInvalid;
  };
}

// ---------------------------------------------------------------------------------------------
// BOOLEAN

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c | 32 : c;
}

function booleanCaster(): Caster {
  const fInvalid = failure('CAST_INVALID', 'is not a boolean; use true or false, yes or no, 1 or 0 (or t, f, y, n)');
  const fBlank = failure('CAST_INVALID', BLANK_MESSAGE);

  /** Whether s[i..e) equals `word` (lower case ASCII), ignoring case. */
  const is = (s: string, i: number, e: number, word: string): boolean => {
    if (e - i !== word.length) return false;
    for (let k = 0; k < word.length; k++) if (lower(s.charCodeAt(i + k)) !== word.charCodeAt(k)) return false;
    return true;
  };

  return (raw) => {
    if (typeof raw !== 'string') {
      if (raw === null || raw === undefined) return null;
      if (typeof raw === 'boolean') return raw ? 1 : 0;
      if (raw === 1) return 1;
      if (raw === 0) return 0;
      return fInvalid;
    }
    if (raw.length === 0) return null;
    let i = 0;
    let e = raw.length;
    while (i < e && isWs(raw.charCodeAt(i))) i++;
    while (e > i && isWs(raw.charCodeAt(e - 1))) e--;
    if (i === e) return fBlank;
    switch (e - i) {
      case 1: {
        const c = lower(raw.charCodeAt(i));
        if (c === 49 || c === 116 || c === 121) return 1; // 1 t y
        if (c === 48 || c === 102 || c === 110) return 0; // 0 f n
        return fInvalid;
      }
      case 2:
        return is(raw, i, e, 'no') ? 0 : fInvalid;
      case 3:
        return is(raw, i, e, 'yes') ? 1 : fInvalid;
      case 4:
        return is(raw, i, e, 'true') ? 1 : fInvalid;
      case 5:
        return is(raw, i, e, 'false') ? 0 : fInvalid;
      default:
        return fInvalid;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Dates and times

/** Something shaped like a date with `/`, `.` or `-` separators, possibly followed by a time. */
const DATE_LIKE_RE = /^(\d{1,4})([/.-])\d{1,2}\2\d{1,4}(?:[ T].*)?$/s;

const DT_OK = 0;
const DT_BLANK = 1;
const DT_BAD = 2; // not the accepted syntax (may be ambiguous: see looksAmbiguous)
const DT_RANGE = 3; // the syntax, but a field out of range (month 13, Feb 30, 25:00)

/** Scratch output of parseDateTime (module level; casts are synchronous). */
const P = {
  start: 0,
  end: 0,
  y: 0,
  mo: 0,
  d: 0,
  h: 0,
  mi: 0,
  s: 0,
  fracStart: 0,
  fracEnd: 0,
  /** Offset east of UTC, minutes. */
  off: 0,
  hasOffset: false,
};

/** Two ASCII digits at p, or -1. */
function d2(s: string, p: number): number {
  const a = s.charCodeAt(p) - 48;
  const b = s.charCodeAt(p + 1) - 48;
  if (a >= 0 && a <= 9 && b >= 0 && b <= 9) return a * 10 + b;
  return -1;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeap(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Sets P.y / P.mo / P.d from days since 1970-01-01. */
function civilFromDays(z0: number): void {
  const z = z0 + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  P.y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  P.mo = m;
  P.d = d;
}

/**
 * Parses `YYYY-MM-DD` and, when `allowTime`, `YYYY-MM-DD[T ]HH:MM[:SS[.f]][Z|±HH:MM|±HHMM]` into P.
 * Trims ASCII whitespace. Does not check the column's range.
 */
function parseDateTime(s: string, allowTime: boolean): number {
  let i = 0;
  let e = s.length;
  while (i < e && isWs(s.charCodeAt(i))) i++;
  while (e > i && isWs(s.charCodeAt(e - 1))) e--;
  if (i === e) return DT_BLANK;
  P.start = i;
  P.end = e;
  if (e - i < 10) return DT_BAD;
  const y1 = d2(s, i);
  const y2 = d2(s, i + 2);
  const mo = d2(s, i + 5);
  const d = d2(s, i + 8);
  if (y1 < 0 || y2 < 0 || mo < 0 || d < 0 || s.charCodeAt(i + 4) !== 45 || s.charCodeAt(i + 7) !== 45) return DT_BAD;
  const y = y1 * 100 + y2;
  P.y = y;
  P.mo = mo;
  P.d = d;
  P.h = 0;
  P.mi = 0;
  P.s = 0;
  P.fracStart = 0;
  P.fracEnd = 0;
  P.off = 0;
  P.hasOffset = false;
  let j = i + 10;
  if (j < e) {
    if (!allowTime) return DT_BAD;
    const sep = s.charCodeAt(j);
    if (sep !== 84 && sep !== 32) return DT_BAD; // 'T' ' '
    const h = d2(s, j + 1);
    const mi = d2(s, j + 4);
    if (h < 0 || mi < 0 || s.charCodeAt(j + 3) !== 58) return DT_BAD;
    P.h = h;
    P.mi = mi;
    j += 6;
    if (j < e && s.charCodeAt(j) === 58) {
      const sec = d2(s, j + 1);
      if (sec < 0) return DT_BAD;
      P.s = sec;
      j += 3;
      if (j < e && s.charCodeAt(j) === 46) {
        j++;
        P.fracStart = j;
        while (j < e && isDigit(s.charCodeAt(j))) j++;
        P.fracEnd = j;
        if (P.fracEnd === P.fracStart) return DT_BAD;
      }
    }
    if (j < e) {
      const c = s.charCodeAt(j);
      if (c === 90) {
        j++; // 'Z'
        P.hasOffset = true;
      } else if (c === 43 || c === 45) {
        const oh = d2(s, j + 1);
        if (oh < 0) return DT_BAD;
        j += 3;
        if (j < e && s.charCodeAt(j) === 58) j++;
        const om = j < e ? d2(s, j) : -1;
        if (om < 0) return DT_BAD;
        j += 2;
        if (oh > 23 || om > 59) return DT_RANGE;
        P.off = (c === 45 ? -1 : 1) * (oh * 60 + om);
        P.hasOffset = true;
      } else {
        return DT_BAD;
      }
    }
    if (j !== e) return DT_BAD;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return DT_RANGE;
  if (P.h > 23 || P.mi > 59 || P.s > 59) return DT_RANGE;
  return DT_OK;
}

/** Whether a value that failed to parse looks like a date written in an ambiguous/non-ISO way. */
function looksAmbiguous(s: string): boolean {
  const m = DATE_LIKE_RE.exec(s.slice(P.start, P.end));
  if (m === null) return false;
  return m[2] !== '-' || (m[1] ?? '').length !== 4;
}

/** Whether digits s[from..to) are all '0'. */
function zeros(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) !== 48) return false;
  return true;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : '' + n;
}

const ZEROS6 = '000000';

/** `.fff` (fsp digits) from P's fraction, or '' when fsp is 0. Extra digits must be zeros (checked by the caller). */
function fraction(s: string, fsp: number): string {
  if (fsp === 0) return '';
  const len = P.fracEnd - P.fracStart;
  if (len >= fsp) return '.' + s.slice(P.fracStart, P.fracStart + fsp);
  return '.' + s.slice(P.fracStart, P.fracEnd) + ZEROS6.slice(0, fsp - len);
}

function dateCaster(): Caster {
  const fInvalid = failure('CAST_INVALID', 'is not a date; use ISO 8601 YYYY-MM-DD');
  const fAmbiguous = failure('CAST_AMBIGUOUS_DATE', 'is not an unambiguous date; use ISO 8601 YYYY-MM-DD');
  const fRange = failure('CAST_INVALID', 'is not a valid calendar date; use ISO 8601 YYYY-MM-DD');
  const fBlank = failure('CAST_INVALID', BLANK_MESSAGE);
  const fOverflow = failure('CAST_OVERFLOW', 'is outside the DATE range (years 1000 to 9999)');

  return (raw) => {
    if (typeof raw !== 'string') return raw === null || raw === undefined ? null : fInvalid;
    if (raw.length === 0) return null;
    const st = parseDateTime(raw, false);
    if (st !== DT_OK) return parseFailure(st, raw, fBlank, fRange, fAmbiguous, fInvalid);
    if (P.y < 1000) return fOverflow;
    return P.start === 0 && P.end === raw.length ? raw : raw.slice(P.start, P.end);
  };
}

const TIMESTAMP_MIN_S = 1;
const TIMESTAMP_MAX_S = 2_147_483_647;

function dateTimeCaster(timestamp: boolean, fsp: number, sql: string): Caster {
  const example = 'YYYY-MM-DD HH:MM:SS';
  const fInvalid = failure('CAST_INVALID', `is not a date-time; use ISO 8601 ${example} (optionally with Z or ±HH:MM)`);
  const fAmbiguous = failure('CAST_AMBIGUOUS_DATE', `is not an unambiguous date; use ISO 8601 ${example}`);
  const fRange = failure('CAST_INVALID', 'is not a valid calendar date or time of day; use ISO 8601 ' + example);
  const fBlank = failure('CAST_INVALID', BLANK_MESSAGE);
  const fPrecision = failure(
    'CAST_PRECISION_LOSS',
    `has more fractional-second digits than ${sql} keeps; declare ${timestamp ? 'TIMESTAMP' : 'DATETIME'}(6)`,
  );
  const fOverflow = failure(
    'CAST_OVERFLOW',
    timestamp
      ? 'is outside the TIMESTAMP range (the first second of 1970 to 03:14:07 UTC on 19 January 2038); declare DATETIME'
      : 'is outside the DATETIME range (years 1000 to 9999)',
  );

  return (raw) => {
    if (typeof raw !== 'string') return raw === null || raw === undefined ? null : fInvalid;
    if (raw.length === 0) return null;
    const st = parseDateTime(raw, true);
    if (st !== DT_OK) return parseFailure(st, raw, fBlank, fRange, fAmbiguous, fInvalid);
    const fracLen = P.fracEnd - P.fracStart;
    if (fracLen > fsp && !zeros(raw, P.fracStart + fsp, P.fracEnd)) return fPrecision;
    if (P.off !== 0 || timestamp) {
      const secs = daysFromCivil(P.y, P.mo, P.d) * 86_400 + P.h * 3600 + P.mi * 60 + P.s - P.off * 60;
      if (timestamp && (secs < TIMESTAMP_MIN_S || secs > TIMESTAMP_MAX_S)) return fOverflow;
      if (P.off !== 0) {
        const days = Math.floor(secs / 86_400);
        let rem = secs - days * 86_400;
        civilFromDays(days);
        P.h = Math.floor(rem / 3600);
        rem -= P.h * 3600;
        P.mi = Math.floor(rem / 60);
        P.s = rem - P.mi * 60;
      }
    }
    if (P.y < 1000 || P.y > 9999) return fOverflow;
    // Fast path: already in the output form.
    if (fsp === 0 && !P.hasOffset && fracLen === 0 && P.end - P.start === 19 && raw.charCodeAt(P.start + 10) === 32) {
      return P.start === 0 && P.end === raw.length ? raw : raw.slice(P.start, P.end);
    }
    return (
      String(P.y) +
      '-' +
      pad2(P.mo) +
      '-' +
      pad2(P.d) +
      ' ' +
      pad2(P.h) +
      ':' +
      pad2(P.mi) +
      ':' +
      pad2(P.s) +
      fraction(raw, fsp)
    );
  };
}

const PARSE_TS_INVALID = failure('CAST_INVALID', 'is not a timestamp; use ISO 8601 YYYY-MM-DD HH:MM:SS (optionally with Z or ±HH:MM)');
const PARSE_TS_EMPTY = failure('CAST_INVALID', 'is empty; a timestamp is required');
const PARSE_TS_AMBIGUOUS = failure('CAST_AMBIGUOUS_DATE', 'is not an unambiguous date; use ISO 8601 YYYY-MM-DD HH:MM:SS');
const PARSE_TS_RANGE = failure('CAST_INVALID', 'is not a valid calendar date or time of day; use ISO 8601 YYYY-MM-DD HH:MM:SS');

/** Which failure a date/time that did not parse gets: blank, a field out of range, ambiguous, or not a date. */
function parseFailure(
  st: number,
  raw: string,
  blank: CastFailure,
  range: CastFailure,
  ambiguous: CastFailure,
  invalid: CastFailure,
): CastFailure {
  if (st === DT_BLANK) return blank;
  if (st === DT_RANGE) return range;
  return looksAmbiguous(raw) ? ambiguous : invalid;
}

/**
 * The UTC epoch milliseconds of a value in any form the DATETIME/TIMESTAMP casters accept
 * (a value without an offset is taken as UTC; fractions beyond milliseconds are truncated).
 * Does not apply a column's range. Used by the time-series order / future checks.
 */
export function parseTimestampMs(raw: string): number | CastFailure {
  const st = parseDateTime(raw, true);
  if (st !== DT_OK) return parseFailure(st, raw, PARSE_TS_EMPTY, PARSE_TS_RANGE, PARSE_TS_AMBIGUOUS, PARSE_TS_INVALID);
  let ms = 0;
  for (let k = 0, i = P.fracStart; k < 3; k++, i++) ms = ms * 10 + (i < P.fracEnd ? raw.charCodeAt(i) - 48 : 0);
  const secs = daysFromCivil(P.y, P.mo, P.d) * 86_400 + P.h * 3600 + P.mi * 60 + P.s - P.off * 60;
  return secs * 1000 + ms;
}

const TIME_MAX_S = 838 * 3600 + 59 * 60 + 59;

function timeCaster(fsp: number, sql: string): Caster {
  const fInvalid = failure('CAST_INVALID', 'is not a time; use HH:MM:SS (hours up to 838, optionally negative)');
  const fBlank = failure('CAST_INVALID', BLANK_MESSAGE);
  const fPrecision = failure('CAST_PRECISION_LOSS', `has more fractional-second digits than ${sql} keeps; declare TIME(6)`);
  const fOverflow = failure('CAST_OVERFLOW', 'is outside the TIME range (-838:59:59 to 838:59:59)');

  return (raw) => {
    if (typeof raw !== 'string') return raw === null || raw === undefined ? null : fInvalid;
    if (raw.length === 0) return null;
    let i = 0;
    let e = raw.length;
    while (i < e && isWs(raw.charCodeAt(i))) i++;
    while (e > i && isWs(raw.charCodeAt(e - 1))) e--;
    if (i === e) return fBlank;
    const neg = raw.charCodeAt(i) === 45;
    if (neg) i++;
    let h = 0;
    const hs = i;
    let c = 0;
    while (i < e && isDigit((c = raw.charCodeAt(i))) && i - hs < 4) {
      h = h * 10 + (c - 48);
      i++;
    }
    const hLen = i - hs;
    if (hLen === 0 || hLen > 3 || raw.charCodeAt(i) !== 58 || i >= e) return fInvalid;
    const mi = d2(raw, i + 1);
    if (mi < 0) return fInvalid;
    i += 3;
    let sec = 0;
    let fs = i;
    let fe = i;
    if (i < e && raw.charCodeAt(i) === 58) {
      sec = d2(raw, i + 1);
      if (sec < 0) return fInvalid;
      i += 3;
      if (i < e && raw.charCodeAt(i) === 46) {
        i++;
        fs = i;
        while (i < e && isDigit(raw.charCodeAt(i))) i++;
        fe = i;
        if (fe === fs) return fInvalid;
      }
    }
    if (i !== e || mi > 59 || sec > 59) return fInvalid;
    const fracLen = fe - fs;
    if (fracLen > fsp && !zeros(raw, fs + fsp, fe)) return fPrecision;
    const total = h * 3600 + mi * 60 + sec;
    const fracZero = zeros(raw, fs, fe);
    if (total > TIME_MAX_S || (total === TIME_MAX_S && !fracZero)) return fOverflow;
    let frac = '';
    if (fsp > 0) {
      frac = fracLen >= fsp ? '.' + raw.slice(fs, fs + fsp) : '.' + raw.slice(fs, fe) + ZEROS6.slice(0, fsp - fracLen);
    }
    const sign = neg && (total !== 0 || !fracZero) ? '-' : '';
    return sign + pad2(h) + ':' + pad2(mi) + ':' + pad2(sec) + frac;
  };
}

// ---------------------------------------------------------------------------------------------
// Strings

/** Any NUL or surrogate code unit (precompiled; `test` allocates nothing). */
const NUL_OR_SURROGATE_RE = /[\u0000\uD800-\uDFFF]/;
const SURROGATE_RE = /[\uD800-\uDFFF]/;

/** Whether every surrogate in s is part of a pair. */
function wellFormed(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return false;
    const d = s.charCodeAt(i + 1);
    if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/** JSON scalar → its JSON text; null for values a string column cannot take. */
function scalarText(raw: number | boolean): string | null {
  if (typeof raw === 'boolean') return raw ? 'true' : 'false';
  return Number.isFinite(raw) ? String(raw) : null;
}

function charCaster(length: number, sql: string): Caster {
  const fTooLong = failure(
    'CAST_TOO_LONG',
    `is longer than ${length} character${length === 1 ? '' : 's'}, which ${sql} cannot hold; declare a larger length or TEXT`,
  );
  const fNul = failure('CAST_INVALID', 'contains a NUL character, which string columns refuse; remove it');
  const fSurrogate = failure('CAST_INVALID', 'is not valid Unicode (an unpaired surrogate); fix the text encoding');
  const fNotFinite = failure('CAST_NOT_FINITE', 'is NaN or infinite, which has no JSON text; leave the cell empty for NULL');
  const fInvalid = failure('CAST_INVALID', 'is not a string or scalar');

  const slow = (s: string): CellValue | CastFailure => {
    let count = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0) return fNul;
      if (c >= 0xd800 && c <= 0xdfff) {
        if (c >= 0xdc00) return fSurrogate;
        const d = s.charCodeAt(i + 1);
        if (!(d >= 0xdc00 && d <= 0xdfff)) return fSurrogate;
        i++;
      }
      count++;
    }
    return count > length ? fTooLong : s;
  };

  return (raw) => {
    const s = rawText(raw, fNotFinite, fInvalid);
    if (typeof s !== 'string') return s;
    if (s.length <= length && !NUL_OR_SURROGATE_RE.test(s)) return s;
    return slow(s);
  };
}

/** A string column's raw cell as text: strings as they are, JSON scalars as their JSON text, null as NULL. */
function rawText(raw: unknown, fNotFinite: CastFailure, fInvalid: CastFailure): string | null | CastFailure {
  if (typeof raw === 'string') return raw;
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number' || typeof raw === 'boolean') return scalarText(raw) ?? fNotFinite;
  return fInvalid;
}

function textCaster(maxBytes: number, name: string): Caster {
  const next = name === 'TINYTEXT' ? 'TEXT' : name === 'TEXT' ? 'MEDIUMTEXT' : 'LONGTEXT';
  const fTooLong = failure('CAST_TOO_LONG', `is longer than ${maxBytes} bytes of UTF-8, which ${name} cannot hold; declare ${next}`);
  const fSurrogate = failure('CAST_INVALID', 'is not valid Unicode (an unpaired surrogate); fix the text encoding');
  const fNotFinite = failure('CAST_NOT_FINITE', 'is NaN or infinite, which has no JSON text; leave the cell empty for NULL');
  const fInvalid = failure('CAST_INVALID', 'is not a string or scalar');
  // A UTF-16 code unit is at most 3 UTF-8 bytes (a surrogate pair, 2 units, is 4 bytes).
  const safeUnits = Math.floor(maxBytes / 3);

  return (raw) => {
    const s = rawText(raw, fNotFinite, fInvalid);
    if (typeof s !== 'string') return s;
    if (SURROGATE_RE.test(s) && !wellFormed(s)) return fSurrogate;
    if (s.length > safeUnits && Buffer.byteLength(s, 'utf8') > maxBytes) return fTooLong;
    return s;
  };
}
