import { describe, expect, it } from 'vitest';
import type { SqlType } from '../../src/config/types.js';
import { casterFor } from '../../src/records/cast.js';
import { castTable } from '../support/cast-table.js';

const varchar = (length: number): SqlType => ({ kind: 'varchar', length, sql: `VARCHAR(${length})` });
const char = (length: number): SqlType => ({ kind: 'char', length, sql: `CHAR(${length})` });
const TINYTEXT: SqlType = { kind: 'text', name: 'TINYTEXT', maxBytes: 255, sql: 'TINYTEXT' };
const TEXT: SqlType = { kind: 'text', name: 'TEXT', maxBytes: 65_535, sql: 'TEXT' };

const EMOJI = '👍'; // one code point, two UTF-16 units, four UTF-8 bytes
const FAMILY = '👨‍👩‍👧'; // five code points (three emoji joined by two ZWJ)

describe('VARCHAR', () => {
  castTable(varchar(5), [
    [null, null],
    [undefined, null],
    ['', ''],
    [' ', ' '],
    ['  a  ', '  a  '],
    ['00123', '00123'],
    ['007', '007'],
    ['"q"', '"q"'],
    ["it's", "it's"],
    ['abcde', 'abcde'],
    ['abcdef', 'CAST_TOO_LONG'],
    ['ééééé', 'ééééé'],
    ['éééééé', 'CAST_TOO_LONG'],
    [EMOJI.repeat(5), EMOJI.repeat(5)], // 10 UTF-16 units, 5 code points
    [EMOJI.repeat(6), 'CAST_TOO_LONG'],
    [FAMILY, FAMILY],
    [FAMILY + 'x', 'CAST_TOO_LONG'],
    ['a\u0000b', 'CAST_INVALID'],
    ['\u0000', 'CAST_INVALID'],
    ['ab\uD800', 'CAST_INVALID'], // unpaired high surrogate
    ['\uDC00ab', 'CAST_INVALID'], // unpaired low surrogate
    [EMOJI.repeat(3) + '\u0000', 'CAST_INVALID'],
    ['a\r\nb', 'a\r\nb'],
    [12, '12'],
    [-0.5, '-0.5'],
    [1e21, '1e+21'],
    [123456, 'CAST_TOO_LONG'],
    [true, 'true'],
    [false, 'false'],
    [Number.NaN, 'CAST_NOT_FINITE'],
  ]);

  castTable(varchar(64), [
    ['C:\\new', 'C:\\new'],
    ['C:\\new\\table.csv', 'C:\\new\\table.csv'],
    ['a\\tb\\n\\\\', 'a\\tb\\n\\\\'],
    ['0000012345', '0000012345'],
    ['+0049 30 1234', '+0049 30 1234'],
    ['1.50', '1.50'],
    ['NaN', 'NaN'],
    ['NULL', 'NULL'],
    ['\\N', '\\N'],
  ]);

  castTable(varchar(1), [
    [EMOJI, EMOJI],
    ['ab', 'CAST_TOO_LONG'],
    ['x', 'x'],
  ]);

  it('returns the very same string (no copy) on the fast path', () => {
    const s = 'hello';
    expect(casterFor(varchar(10))(s)).toBe(s);
  });
});

describe('CHAR', () => {
  castTable(char(3), [
    ['', ''],
    ['abc', 'abc'],
    ['abcd', 'CAST_TOO_LONG'],
    ['001', '001'],
    [`${EMOJI}${EMOJI}${EMOJI}`, `${EMOJI}${EMOJI}${EMOJI}`],
    ['a\u0000', 'CAST_INVALID'],
  ]);
  castTable(char(0), [
    ['', ''],
    ['a', 'CAST_TOO_LONG'],
  ]);
});

describe('TEXT types', () => {
  castTable(TINYTEXT, [
    [null, null],
    ['', ''],
    ['C:\\new', 'C:\\new'],
    ['a'.repeat(255), 'a'.repeat(255)],
    ['a'.repeat(256), 'CAST_TOO_LONG'],
    ['é'.repeat(127), 'é'.repeat(127)], // 254 bytes
    ['é'.repeat(128), 'CAST_TOO_LONG'], // 256 bytes, only 128 characters
    [EMOJI.repeat(63), EMOJI.repeat(63)], // 252 bytes
    [EMOJI.repeat(64), 'CAST_TOO_LONG'], // 256 bytes
    ['€'.repeat(85), '€'.repeat(85)], // 255 bytes
    ['€'.repeat(86), 'CAST_TOO_LONG'],
    ['a\u0000b', 'a\u0000b'], // TEXT stores NUL
    ['x\uD83D', 'CAST_INVALID'],
    [42, '42'],
    [true, 'true'],
  ]);
  castTable(TEXT, [
    ['x'.repeat(65_535), 'x'.repeat(65_535)],
    ['x'.repeat(65_536), 'CAST_TOO_LONG'],
    [EMOJI.repeat(16_383), EMOJI.repeat(16_383)],
    [EMOJI.repeat(16_384), 'CAST_TOO_LONG'],
  ]);
});
