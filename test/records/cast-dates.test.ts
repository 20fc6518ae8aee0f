import { describe, expect, it } from 'vitest';
import type { SqlType } from '../../src/config/types.js';
import { parseTimestampMs, type CastFailure } from '../../src/records/cast.js';
import { castTable, type Row } from '../support/cast-table.js';

const DATE: SqlType = { kind: 'date', sql: 'DATE' };
const datetime = (fsp = 0): SqlType => ({ kind: 'datetime', fsp, sql: fsp > 0 ? `DATETIME(${fsp})` : 'DATETIME' });
const timestamp = (fsp = 0): SqlType => ({ kind: 'timestamp', fsp, sql: fsp > 0 ? `TIMESTAMP(${fsp})` : 'TIMESTAMP' });
const time = (fsp = 0): SqlType => ({ kind: 'time', fsp, sql: fsp > 0 ? `TIME(${fsp})` : 'TIME' });

const NULLS: readonly Row[] = [
  [null, null],
  [undefined, null],
  ['', null],
  ['   ', 'CAST_INVALID'],
];

/** Day/month-first and slash/dot forms: refused as ambiguous by every date-ish type. */
const AMBIGUOUS: readonly Row[] = [
  ['01/02/2024', 'CAST_AMBIGUOUS_DATE'],
  ['1/2/24', 'CAST_AMBIGUOUS_DATE'],
  ['02-01-2024', 'CAST_AMBIGUOUS_DATE'],
  ['2024/01/02', 'CAST_AMBIGUOUS_DATE'],
  ['02.01.2024', 'CAST_AMBIGUOUS_DATE'],
  ['2-1-24', 'CAST_AMBIGUOUS_DATE'],
  ['12/31/2024', 'CAST_AMBIGUOUS_DATE'],
];

describe('DATE', () => {
  castTable(DATE, [
    ...NULLS,
    ...AMBIGUOUS,
    ['2024-01-02', '2024-01-02'],
    [' 2024-01-02 ', '2024-01-02'],
    ['2024-02-29', '2024-02-29'],
    ['2000-02-29', '2000-02-29'],
    ['1000-01-01', '1000-01-01'],
    ['9999-12-31', '9999-12-31'],
    ['0999-12-31', 'CAST_OVERFLOW'],
    ['0000-01-01', 'CAST_OVERFLOW'],
    ['2023-02-29', 'CAST_INVALID'],
    ['1900-02-29', 'CAST_INVALID'],
    ['2024-04-31', 'CAST_INVALID'],
    ['2024-13-01', 'CAST_INVALID'],
    ['2024-00-10', 'CAST_INVALID'],
    ['2024-01-00', 'CAST_INVALID'],
    ['2024-1-2', 'CAST_INVALID'],
    ['20240102', 'CAST_INVALID'],
    ['2024-01-02T00:00:00', 'CAST_INVALID'],
    ['2024-01-02 10:00', 'CAST_INVALID'],
    ['Jan 2, 2024', 'CAST_INVALID'],
    ['yesterday', 'CAST_INVALID'],
    ['2024-01-0x', 'CAST_INVALID'],
    [20240102, 'CAST_INVALID'],
    [true, 'CAST_INVALID'],
  ]);
});

describe('DATETIME', () => {
  castTable(datetime(), [
    ...NULLS,
    ...AMBIGUOUS,
    ['01/02/2024 10:00', 'CAST_AMBIGUOUS_DATE'],
    ['02-01-2024T10:00:00', 'CAST_AMBIGUOUS_DATE'],
    ['2024-01-02', '2024-01-02 00:00:00'],
    ['2024-01-02 03:04:05', '2024-01-02 03:04:05'],
    ['  2024-01-02 03:04:05\t', '2024-01-02 03:04:05'],
    ['2024-01-02T03:04:05', '2024-01-02 03:04:05'],
    ['2024-01-02T03:04', '2024-01-02 03:04:00'],
    ['2024-01-02 03:04', '2024-01-02 03:04:00'],
    ['2024-01-02T03:04:05Z', '2024-01-02 03:04:05'],
    ['2024-01-02T03:04:05+00:00', '2024-01-02 03:04:05'],
    ['2024-01-02T03:04:05+02:00', '2024-01-02 01:04:05'],
    ['2024-01-02T03:04:05+0200', '2024-01-02 01:04:05'],
    ['2024-01-02T03:04:05-05:30', '2024-01-02 08:34:05'],
    ['2024-01-01T01:00:00+02:00', '2023-12-31 23:00:00'],
    ['2024-02-28T23:30:00-01:00', '2024-02-29 00:30:00'],
    ['2024-01-02T03:04Z', '2024-01-02 03:04:00'],
    ['2024-01-02T03:04:05.000', '2024-01-02 03:04:05'],
    ['2024-01-02T03:04:05.5', 'CAST_PRECISION_LOSS'],
    ['2024-01-02T03:04:05.000001', 'CAST_PRECISION_LOSS'],
    ['1000-01-01 00:00:00', '1000-01-01 00:00:00'],
    ['9999-12-31 23:59:59', '9999-12-31 23:59:59'],
    ['9999-12-31T23:00:00-05:00', 'CAST_OVERFLOW'],
    ['1000-01-01T00:30:00+01:00', 'CAST_OVERFLOW'],
    ['0999-12-31 23:59:59', 'CAST_OVERFLOW'],
    ['2024-01-02 24:00:00', 'CAST_INVALID'],
    ['2024-01-02 23:60:00', 'CAST_INVALID'],
    ['2024-01-02 23:59:60', 'CAST_INVALID'],
    ['2024-02-30 10:00:00', 'CAST_INVALID'],
    ['2024-01-02T03:04:05+24:00', 'CAST_INVALID'],
    ['2024-01-02T03:04:05+05', 'CAST_INVALID'],
    ['2024-01-02T03:04:05 +05:00', 'CAST_INVALID'],
    ['2024-01-02T03:04:05.', 'CAST_INVALID'],
    ['2024-01-02T3:04:05', 'CAST_INVALID'],
    ['2024-01-02T', 'CAST_INVALID'],
    ['2024-01-02X03:04:05', 'CAST_INVALID'],
    ['2024-01-02 03:04:05 PM', 'CAST_INVALID'],
    ['2024-01-02T03:04:05z', 'CAST_INVALID'],
    [1704164645, 'CAST_INVALID'],
  ]);

  castTable(datetime(3), [
    ['2024-01-02 03:04:05', '2024-01-02 03:04:05.000'],
    ['2024-01-02 03:04:05.5', '2024-01-02 03:04:05.500'],
    ['2024-01-02 03:04:05.123', '2024-01-02 03:04:05.123'],
    ['2024-01-02 03:04:05.123000', '2024-01-02 03:04:05.123'],
    ['2024-01-02 03:04:05.1234', 'CAST_PRECISION_LOSS'],
    ['2024-01-02T03:04:05.25+01:00', '2024-01-02 02:04:05.250'],
    ['2024-01-02', '2024-01-02 00:00:00.000'],
  ]);

  castTable(datetime(6), [
    ['2024-01-02 03:04:05.123456', '2024-01-02 03:04:05.123456'],
    ['2024-01-02 03:04:05.1234567', 'CAST_PRECISION_LOSS'],
    ['2024-01-02 03:04:05.1234560', '2024-01-02 03:04:05.123456'],
  ]);
});

describe('TIMESTAMP', () => {
  castTable(timestamp(), [
    ...NULLS,
    ...AMBIGUOUS,
    ['2024-01-02 03:04:05', '2024-01-02 03:04:05'],
    ['2024-01-02T03:04:05+01:00', '2024-01-02 02:04:05'],
    ['1970-01-01 00:00:01', '1970-01-01 00:00:01'],
    ['1970-01-01 00:00:00', 'CAST_OVERFLOW'],
    ['1970-01-01', 'CAST_OVERFLOW'],
    ['1970-01-01T01:00:00+01:00', 'CAST_OVERFLOW'],
    ['1970-01-01T01:00:01+01:00', '1970-01-01 00:00:01'],
    ['1970-01-01T00:00:01-01:00', '1970-01-01 01:00:01'],
    ['2038-01-19 03:14:07', '2038-01-19 03:14:07'],
    ['2038-01-19 03:14:08', 'CAST_OVERFLOW'],
    ['2038-01-19T04:14:07+01:00', '2038-01-19 03:14:07'],
    ['2038-01-19T03:14:07-00:01', 'CAST_OVERFLOW'],
    ['1969-12-31 23:59:59', 'CAST_OVERFLOW'],
    ['1000-01-01 00:00:00', 'CAST_OVERFLOW'],
    ['2100-01-01', 'CAST_OVERFLOW'],
  ]);
  castTable(timestamp(6), [
    ['2038-01-19 03:14:07.999999', '2038-01-19 03:14:07.999999'],
    ['2024-01-02 03:04:05.000001', '2024-01-02 03:04:05.000001'],
  ]);
});

describe('TIME', () => {
  castTable(time(), [
    ...NULLS,
    ['03:04:05', '03:04:05'],
    ['3:04:05', '03:04:05'],
    ['03:04', '03:04:00'],
    [' 03:04:05 ', '03:04:05'],
    ['-03:04:05', '-03:04:05'],
    ['-00:00:00', '00:00:00'],
    ['838:59:59', '838:59:59'],
    ['-838:59:59', '-838:59:59'],
    ['839:00:00', 'CAST_OVERFLOW'],
    ['999:00:00', 'CAST_OVERFLOW'],
    ['100:00:00', '100:00:00'],
    ['03:04:05.000', '03:04:05'],
    ['03:04:05.5', 'CAST_PRECISION_LOSS'],
    ['03:60:00', 'CAST_INVALID'],
    ['03:04:60', 'CAST_INVALID'],
    ['1000:00:00', 'CAST_INVALID'],
    ['03:4:05', 'CAST_INVALID'],
    ['03', 'CAST_INVALID'],
    [':04:05', 'CAST_INVALID'],
    ['03:04:05.', 'CAST_INVALID'],
    ['03:04:05 PM', 'CAST_INVALID'],
    ['+03:04:05', 'CAST_INVALID'],
    ['3h', 'CAST_INVALID'],
    [30405, 'CAST_INVALID'],
  ]);
  castTable(time(2), [
    ['03:04:05', '03:04:05.00'],
    ['03:04:05.5', '03:04:05.50'],
    ['-03:04:05.25', '-03:04:05.25'],
    ['03:04:05.125', 'CAST_PRECISION_LOSS'],
    ['838:59:59.00', '838:59:59.00'],
    ['838:59:59.01', 'CAST_OVERFLOW'],
    ['-00:00:00.50', '-00:00:00.50'],
  ]);
});

describe('parseTimestampMs', () => {
  const cases: readonly (readonly [string, number | CastFailure['code']])[] = [
    ['1970-01-01', 0],
    ['1970-01-01 00:00:00', 0],
    ['1970-01-01T00:00:01Z', 1000],
    ['1970-01-01T00:00:00.123456Z', 123],
    ['1970-01-01T00:00:00.5', 500],
    ['1970-01-01T01:00:00+01:00', 0],
    ['1970-01-01T00:00:00-0130', 5_400_000],
    ['2024-01-02T03:04:05Z', Date.UTC(2024, 0, 2, 3, 4, 5)],
    ['2024-02-29', Date.UTC(2024, 1, 29)],
    ['1969-12-31 23:59:59', -1000],
    ['1600-03-01', Date.UTC(1600, 2, 1)],
    ['9999-12-31 23:59:59.999', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    ['', 'CAST_INVALID'],
    ['  ', 'CAST_INVALID'],
    ['2023-02-29', 'CAST_INVALID'],
    ['01/02/2024', 'CAST_AMBIGUOUS_DATE'],
    ['02-01-2024 10:00', 'CAST_AMBIGUOUS_DATE'],
    ['soon', 'CAST_INVALID'],
  ];
  it.each(cases)('%s', (raw, want) => {
    const got = parseTimestampMs(raw);
    expect(typeof got === 'number' ? got : got.code).toBe(want);
  });

  it('agrees with Date.parse on ISO forms with an offset', () => {
    for (const s of ['2024-06-30T12:34:56.789+05:45', '2001-09-09T01:46:40Z', '1999-12-31T23:59:59-08:00']) {
      expect(parseTimestampMs(s)).toBe(Date.parse(s));
    }
  });
});
