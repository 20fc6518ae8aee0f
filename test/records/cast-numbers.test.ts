import { describe, expect, it } from 'vitest';
import type { SqlType } from '../../src/config/types.js';
import { casterFor, isCastFailure } from '../../src/records/cast.js';
import { castTable, type Row } from '../support/cast-table.js';

type IntName = Extract<SqlType, { kind: 'int' }>['name'];

const int = (name: IntName, unsigned = false): SqlType => ({ kind: 'int', name, unsigned, sql: unsigned ? `${name} UNSIGNED` : name });
const float = (name: 'FLOAT' | 'DOUBLE', unsigned = false): SqlType => ({
  kind: 'float',
  name,
  unsigned,
  sql: unsigned ? `${name} UNSIGNED` : name,
});
const decimal = (precision: number, scale: number, unsigned = false): SqlType => ({
  kind: 'decimal',
  precision,
  scale,
  unsigned,
  sql: `DECIMAL(${precision},${scale})${unsigned ? ' UNSIGNED' : ''}`,
});
const BOOLEAN: SqlType = { kind: 'boolean', sql: 'BOOLEAN' };

const NULLS: readonly Row[] = [
  [null, null],
  [undefined, null],
  ['', null],
  [' ', 'CAST_INVALID'],
  ['\t \r\n', 'CAST_INVALID'],
];

describe('integers', () => {
  castTable(int('INT'), [
    ...NULLS,
    ['0', 0],
    ['42', 42],
    ['+42', 42],
    ['-42', -42],
    ['-0', 0],
    ['007', 7],
    ['  12  ', 12],
    ['\t12\r', 12],
    ['3.0', 3],
    ['3.00', 3],
    ['-3.0', -3],
    ['3.', 3],
    ['-0.0', 0],
    ['3.5', 'CAST_PRECISION_LOSS'],
    ['0.1', 'CAST_PRECISION_LOSS'],
    ['1e3', 'CAST_INVALID'],
    ['1E3', 'CAST_INVALID'],
    ['.0', 'CAST_INVALID'],
    ['.5', 'CAST_INVALID'],
    ['+', 'CAST_INVALID'],
    ['-', 'CAST_INVALID'],
    ['1 2', 'CAST_INVALID'],
    ['12abc', 'CAST_INVALID'],
    ['0x10', 'CAST_INVALID'],
    ['1,000', 'CAST_INVALID'],
    ['1_000', 'CAST_INVALID'],
    ['--1', 'CAST_INVALID'],
    ['NaN', 'CAST_NOT_FINITE'],
    ['nan', 'CAST_NOT_FINITE'],
    ['Infinity', 'CAST_NOT_FINITE'],
    ['-inf', 'CAST_NOT_FINITE'],
    ['2147483647', 2147483647],
    ['-2147483648', -2147483648],
    ['2147483648', 'CAST_OVERFLOW'],
    ['-2147483649', 'CAST_OVERFLOW'],
    ['00000000000000000000002147483647', 2147483647],
    ['99999999999999999999999', 'CAST_OVERFLOW'],
    [7, 7],
    [-7, -7],
    [-0, 0],
    [3.5, 'CAST_PRECISION_LOSS'],
    [2147483648, 'CAST_OVERFLOW'],
    [Number.NaN, 'CAST_NOT_FINITE'],
    [Number.POSITIVE_INFINITY, 'CAST_NOT_FINITE'],
    [true, 'CAST_INVALID'],
    [false, 'CAST_INVALID'],
  ]);

  castTable(int('INT', true), [
    ['4294967295', 4294967295],
    ['4294967296', 'CAST_OVERFLOW'],
    ['-1', 'CAST_OVERFLOW'],
    ['-0', 0],
    [-1, 'CAST_OVERFLOW'],
  ]);

  castTable(int('TINYINT'), [
    ['127', 127],
    ['-128', -128],
    ['128', 'CAST_OVERFLOW'],
    ['-129', 'CAST_OVERFLOW'],
  ]);
  castTable(int('TINYINT', true), [
    ['255', 255],
    ['256', 'CAST_OVERFLOW'],
    ['-1', 'CAST_OVERFLOW'],
  ]);
  castTable(int('SMALLINT'), [
    ['32767', 32767],
    ['-32768', -32768],
    ['32768', 'CAST_OVERFLOW'],
    ['-32769', 'CAST_OVERFLOW'],
  ]);
  castTable(int('SMALLINT', true), [
    ['65535', 65535],
    ['65536', 'CAST_OVERFLOW'],
  ]);
  castTable(int('MEDIUMINT'), [
    ['8388607', 8388607],
    ['-8388608', -8388608],
    ['8388608', 'CAST_OVERFLOW'],
    ['-8388609', 'CAST_OVERFLOW'],
  ]);
  castTable(int('MEDIUMINT', true), [
    ['16777215', 16777215],
    ['16777216', 'CAST_OVERFLOW'],
  ]);

  castTable(int('BIGINT'), [
    ['9223372036854775807', '9223372036854775807'],
    ['-9223372036854775808', '-9223372036854775808'],
    ['9223372036854775808', 'CAST_OVERFLOW'],
    ['-9223372036854775809', 'CAST_OVERFLOW'],
    ['+0009223372036854775807', '9223372036854775807'],
    ['9223372036854775807.000', '9223372036854775807'],
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['9007199254740992', '9007199254740992'],
    ['9007199254740993', '9007199254740993'],
    ['999999999999999', 999999999999999],
    ['1234567890123456', 1234567890123456],
    ['123456789012345678901', 'CAST_OVERFLOW'],
    [9007199254740991, 9007199254740991],
    [2 ** 62, 'CAST_PRECISION_LOSS'],
    [2 ** 63, 'CAST_PRECISION_LOSS'], // could have been 9223372036854775807 before JSON.parse rounded it
    [2 ** 64, 'CAST_OVERFLOW'],
    [1e30, 'CAST_OVERFLOW'],
  ]);

  castTable(int('BIGINT', true), [
    ['18446744073709551615', '18446744073709551615'],
    ['18446744073709551616', 'CAST_OVERFLOW'],
    ['-1', 'CAST_OVERFLOW'],
    ['-9223372036854775808', 'CAST_OVERFLOW'],
    ['0', 0],
  ]);
});

describe('FLOAT and DOUBLE', () => {
  const common: readonly Row[] = [
    ...NULLS,
    ['0', 0],
    ['-0', 0],
    ['-0.0e5', 0],
    ['1.5', 1.5],
    ['-.5', -0.5],
    ['.5', 0.5],
    ['+2.', 2],
    ['1e-3', 0.001],
    ['1E+3', 1000],
    ['2.5e-3', 0.0025],
    ['  1.25  ', 1.25],
    ['0.1', 0.1],
    ['245000.5', 245000.5],
    ['1e38', 1e38],
    ['NaN', 'CAST_NOT_FINITE'],
    ['nan', 'CAST_NOT_FINITE'],
    ['-NaN', 'CAST_NOT_FINITE'],
    ['Infinity', 'CAST_NOT_FINITE'],
    ['-Infinity', 'CAST_NOT_FINITE'],
    ['inf', 'CAST_NOT_FINITE'],
    ['+INF', 'CAST_NOT_FINITE'],
    ['1e400', 'CAST_OVERFLOW'],
    ['-1e400', 'CAST_OVERFLOW'],
    ['0x10', 'CAST_INVALID'],
    ['1e', 'CAST_INVALID'],
    ['e3', 'CAST_INVALID'],
    ['.', 'CAST_INVALID'],
    ['1.2.3', 'CAST_INVALID'],
    ['1,5', 'CAST_INVALID'],
    ['12abc', 'CAST_INVALID'],
    ['0b101', 'CAST_INVALID'],
    ['1_000.5', 'CAST_INVALID'],
    ['١٢', 'CAST_INVALID'], // non-ASCII digits
    [1.5, 1.5],
    [-0, 0],
    [Number.NaN, 'CAST_NOT_FINITE'],
    [Number.NEGATIVE_INFINITY, 'CAST_NOT_FINITE'],
    [true, 'CAST_INVALID'],
  ];

  castTable(float('FLOAT'), [
    ...common,
    ['1234567.89', 'CAST_PRECISION_LOSS'],
    ['123456789', 'CAST_PRECISION_LOSS'],
    ['16777217', 'CAST_PRECISION_LOSS'],
    ['16777216', 16777216],
    ['123456700', 123456700],
    ['0.30000000000000004', 'CAST_PRECISION_LOSS'],
    ['3.4e38', 3.4e38],
    ['3.402823e38', 3.402823e38],
    ['3.4028234e38', 'CAST_PRECISION_LOSS'], // float32 max is 3.40282347e38
    ['3.4028235e38', 'CAST_OVERFLOW'], // above FLT_MAX as a double: MySQL refuses it
    ['3.4e39', 'CAST_OVERFLOW'],
    ['-3.4e39', 'CAST_OVERFLOW'],
    ['1e-38', 1e-38],
    ['1e-45', 1e-45], // float32 subnormal 1.4e-45 still rounds to 1e-45
    ['1.2e-45', 'CAST_PRECISION_LOSS'],
    ['1e-50', 'CAST_PRECISION_LOSS'], // underflows to 0
    ['0.100000001490116119384765625', 0.100000001490116119384765625], // the exact float32 nearest 0.1
    ['0.10000000149011612', 0.10000000149011612],
    ['1.5000000', 1.5],
    ['770.4678344726562', 770.4678344726562], // float32 exactly ...2562_5: a tie, both neighbours survive
    ['770.4678344726563', 770.4678344726563],
    ['770.4678344726561', 'CAST_PRECISION_LOSS'],
    [0.1, 0.1],
    [16777217, 'CAST_PRECISION_LOSS'],
    [3.4e39, 'CAST_OVERFLOW'],
  ]);

  castTable(float('DOUBLE'), [
    ...common,
    ['1234567.89', 1234567.89],
    ['123456789', 123456789],
    ['16777217', 16777217],
    ['0.30000000000000004', 0.30000000000000004],
    ['0.30000000000000000001', 'CAST_PRECISION_LOSS'],
    ['9007199254740993', 'CAST_PRECISION_LOSS'],
    ['9007199254740992', 9007199254740992],
    ['0.10000000000000001', 0.1], // 17 digits, same double as 0.1
    // Exact ties: the double is exactly ...115.625; String() gives .62 (half to even), toPrecision .63.
    ['220556491111115.62', 220556491111115.62],
    ['220556491111115.63', 220556491111115.62],
    ['220556491111115.61', 'CAST_PRECISION_LOSS'],
    ['1.7976931348623157e308', 1.7976931348623157e308],
    ['1.8e308', 'CAST_OVERFLOW'],
    ['5e-324', 5e-324],
    ['1e-324', 'CAST_PRECISION_LOSS'], // underflows to 0
    ['1e-400', 'CAST_PRECISION_LOSS'],
    ['2.2250738585072014e-308', 2.2250738585072014e-308],
    ['1e-310', 1e-310], // subnormal, still exact to one digit
    ['3.4e39', 3.4e39],
    [1.7976931348623157e308, 1.7976931348623157e308],
    [0.30000000000000004, 0.30000000000000004],
  ]);

  castTable(float('DOUBLE', true), [
    ['1.5', 1.5],
    ['0', 0],
    ['-0', 0],
    ['-0.0', 0],
    ['-1.5', 'CAST_OVERFLOW'],
    ['-1e-300', 'CAST_OVERFLOW'],
    [-1, 'CAST_OVERFLOW'],
  ]);
  castTable(float('FLOAT', true), [
    ['-2', 'CAST_OVERFLOW'],
    [-2, 'CAST_OVERFLOW'],
    ['2', 2],
  ]);

  it('FLOAT refuses with the documented message', () => {
    const v = casterFor(float('FLOAT'))('1234567.89');
    expect(v).toStrictEqual({ code: 'CAST_PRECISION_LOSS', message: 'needs more precision than FLOAT keeps; declare DOUBLE or DECIMAL' });
  });

  it('FLOAT returns the value written, not the float32 rounding of it', () => {
    expect(casterFor(float('FLOAT'))('0.1')).toBe(0.1);
    expect(casterFor(float('FLOAT'))('245000.5')).toBe(245000.5);
  });
});

describe('DECIMAL', () => {
  castTable(decimal(10, 2), [
    ...NULLS,
    ['0', '0'],
    ['-0', '0'],
    ['-0.00', '0'],
    ['12.34', '12.34'],
    ['-12.34', '-12.34'],
    ['+12.34', '12.34'],
    ['012.30', '12.3'],
    ['12.300000', '12.3'],
    ['12.', '12'],
    ['.5', '0.5'],
    ['-.05', '-0.05'],
    ['  7  ', '7'],
    ['12345678.99', '12345678.99'],
    ['123456789.99', 'CAST_OVERFLOW'],
    ['12345678', '12345678'],
    ['000000000012345678', '12345678'],
    ['123456789', 'CAST_OVERFLOW'],
    ['1.234', 'CAST_PRECISION_LOSS'],
    ['1.2300', '1.23'],
    ['0.001', 'CAST_PRECISION_LOSS'],
    ['1e3', '1000'],
    ['1.5e2', '150'],
    ['1.25E-1', 'CAST_PRECISION_LOSS'],
    ['125e-2', '1.25'],
    ['0.0125e2', '1.25'],
    ['1e8', 'CAST_OVERFLOW'],
    ['1e7', '10000000'],
    ['1e999999999999', 'CAST_OVERFLOW'],
    ['1e-999999999999', 'CAST_PRECISION_LOSS'],
    ['0e999999999999', '0'],
    ['NaN', 'CAST_NOT_FINITE'],
    ['Infinity', 'CAST_NOT_FINITE'],
    ['1,5', 'CAST_INVALID'],
    ['abc', 'CAST_INVALID'],
    ['0x1F', 'CAST_INVALID'],
    [12.34, '12.34'],
    [1e-7, 'CAST_PRECISION_LOSS'],
    [1e21, 'CAST_OVERFLOW'],
    [0.1, '0.1'],
    [Number.NaN, 'CAST_NOT_FINITE'],
    [true, 'CAST_INVALID'],
  ]);
  castTable(decimal(3, 3), [
    ['0.999', '0.999'],
    ['1.000', 'CAST_OVERFLOW'],
    ['-0.5', '-0.5'],
  ]);
  castTable(decimal(65, 30), [
    ['12345678901234567890123456789012345.123456789012345678901234567890', '12345678901234567890123456789012345.12345678901234567890123456789'],
    ['123456789012345678901234567890123456', 'CAST_OVERFLOW'],
    [1e21, '1000000000000000000000'],
    [1e-7, '0.0000001'],
    ['-1.5e-29', '-0.000000000000000000000000000015'],
  ]);
  castTable(decimal(5, 0, true), [
    ['5', '5'],
    ['-5', 'CAST_OVERFLOW'],
    ['-0', '0'],
    ['99999', '99999'],
    ['100000', 'CAST_OVERFLOW'],
    ['1.5', 'CAST_PRECISION_LOSS'],
  ]);
});

describe('BOOLEAN', () => {
  castTable(BOOLEAN, [
    ...NULLS,
    ['true', 1],
    ['TRUE', 1],
    ['True', 1],
    ['false', 0],
    ['FALSE', 0],
    ['1', 1],
    ['0', 0],
    ['yes', 1],
    ['YES', 1],
    ['no', 0],
    ['No', 0],
    ['t', 1],
    ['T', 1],
    ['f', 0],
    ['F', 0],
    ['y', 1],
    ['n', 0],
    [' true ', 1],
    ['2', 'CAST_INVALID'],
    ['-1', 'CAST_INVALID'],
    ['1.0', 'CAST_INVALID'],
    ['tru', 'CAST_INVALID'],
    ['truee', 'CAST_INVALID'],
    ['on', 'CAST_INVALID'],
    ['\u0011', 'CAST_INVALID'],
    ['\u0014rue', 'CAST_INVALID'],
    [true, 1],
    [false, 0],
    [1, 1],
    [0, 0],
    [2, 'CAST_INVALID'],
    [0.5, 'CAST_INVALID'],
  ]);
});

describe('isCastFailure', () => {
  it('tells values from failures', () => {
    expect(isCastFailure(null)).toBe(false);
    expect(isCastFailure(0)).toBe(false);
    expect(isCastFailure('')).toBe(false);
    expect(isCastFailure({ code: 'CAST_INVALID', message: 'x' })).toBe(true);
  });

  it('failures are frozen and shared (no allocation per failed cell)', () => {
    const c = casterFor(int('INT'));
    const a = c('abc');
    const b = c('xyz');
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
  });
});
