import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../src/config/plan.js';
import { validateConfig } from '../../src/config/validate.js';
import type { CellValue } from '../../src/records/cast.js';
import { RecordChecker } from '../../src/records/record-checker.js';
import { MysqlSink } from '../../src/sinks/mysql/mysql-sink.js';
import { parseTsvLine, tsvLine, tsvRows, tsvValue } from '../../src/sinks/mysql/tsv.js';
import { pick, prng } from '../support/prng.js';

const PIECES = ['\\', '\t', '\n', '\r', '\0', '\\N', 'N', '\\n', '\\t', '\\0', '\\\\', 'a', 'Z', ' ', '"', "'", ',', '猫', '🐱', '€', '𝄞'];

function randomString(rand: () => number): string {
  let s = '';
  const n = Math.floor(rand() * 8);
  for (let i = 0; i < n; i++) s += pick(rand, PIECES);
  return s;
}

function randomValue(rand: () => number): CellValue {
  const r = rand();
  if (r < 0.1) return null;
  if (r < 0.15) return '';
  if (r < 0.2) return '\\N';
  if (r < 0.3) return Math.floor(rand() * 2 ** 53) * (rand() < 0.5 ? -1 : 1);
  if (r < 0.4) return (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
  return randomString(rand);
}

const asText = (v: CellValue): string | null => (v === null ? null : typeof v === 'number' ? String(v) : v);

describe('tsvValue', () => {
  it('escapes backslash, tab, newline, CR and NUL; NULL is \\N; numbers are their String()', () => {
    expect(tsvValue(null)).toBe('\\N');
    expect(tsvValue('')).toBe('');
    expect(tsvValue('\\N')).toBe('\\\\N');
    expect(tsvValue('a\\b\tc\nd\re\0f')).toBe('a\\\\b\\tc\\nd\\re\\0f');
    expect(tsvValue('plain text 猫')).toBe('plain text 猫');
    expect(tsvValue(-1.5e-7)).toBe('-1.5e-7');
    expect(tsvValue(42)).toBe('42');
  });
});

describe('tsvLine / parseTsvLine', () => {
  it('round-trips random rows: values come back as text, null as null', () => {
    const rand = prng(0x7a5f);
    for (let n = 0; n < 5000; n++) {
      const values = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => randomValue(rand));
      const line = tsvLine(values);
      expect(line).not.toMatch(/[\n\r\0]/);
      expect(line.split('\t')).toHaveLength(values.length);
      const back = parseTsvLine(line);
      if (JSON.stringify(back) !== JSON.stringify(values.map(asText))) {
        expect({ seed: 0x7a5f, n, back }).toEqual({ seed: 0x7a5f, n, back: values.map(asText) });
      }
    }
  });

  it('keeps every special character, alone and in runs', () => {
    const specials = ['\\', '\t', '\n', '\r', '\0'];
    const values: CellValue[] = [
      ...specials,
      ...specials.map((c) => c + c + c),
      specials.join(''),
      '\\N',
      '\\\\N',
      'N',
      '',
      null,
      'ends with backslash\\',
      '\\t literally',
    ];
    const line = tsvLine(values);
    expect(line).not.toContain('\n');
    expect(parseTsvLine(line)).toEqual(values);
  });

  it('distinguishes null, the empty string and the text \\N', () => {
    expect(parseTsvLine(tsvLine([null, '', '\\N']))).toEqual([null, '', '\\N']);
  });

  it('tsvRows is the lines of tsvLine, each ended by one newline', () => {
    const rand = prng(99);
    const rows = Array.from({ length: 50 }, () => Array.from({ length: 3 }, () => randomValue(rand)));
    const text = Buffer.concat(tsvRows(rows)).toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).toEqual(rows.map((r) => tsvLine(r)));
    expect(lines.map(parseTsvLine)).toEqual(rows.map((r) => r.map(asText)));
  });
});

describe('MysqlSink.encoder', () => {
  const yaml = `apiVersion: tracebloc.io/v1
kind: IngestConfig
category: tabular_classification
table: enc
intent: train
csv: a.csv
schema:
  i: INT
  big: BIGINT UNSIGNED
  f: FLOAT
  d: DOUBLE
  dec: DECIMAL(10,2)
  b: BOOLEAN
  day: DATE
  dt: DATETIME(3)
  ts: TIMESTAMP
  t: TIME
  c: CHAR(5)
  v: VARCHAR(50)
  txt: TEXT
label: y
`;
  const plan = resolvePlan(validateConfig(yaml, 'enc.yaml').config, { configPath: 'enc.yaml', configText: yaml, storageRoot: '/tmp' });
  // The constructor only prepares statements: nothing connects.
  const sink = new MysqlSink(plan, { host: '127.0.0.1', port: 3306, user: 'nobody', password: '', database: 'unused', waitSeconds: 0 });

  const pads = ['', ' ', '\t', '\n', '\r\n', ' \t '];
  // An empty cell is NULL; a blank one is refused: only non-empty cells get padding.
  const padded = (rand: () => number, s: string) => (s === '' ? s : pick(rand, pads) + s + pick(rand, pads));
  const int = (rand: () => number, span: number) => String(Math.floor(rand() * span) - Math.floor(span / 2));
  const raw: Record<string, (rand: () => number) => string> = {
    i: (rand) => padded(rand, pick(rand, [int(rand, 2e9), '3.0', '-2147483648', ''])),
    big: (rand) => padded(rand, pick(rand, ['18446744073709551615', '9007199254740993', int(rand, 1e6).replace('-', '')])),
    f: (rand) => padded(rand, pick(rand, [(rand() * 1000).toFixed(2), '1e-3', '-0', '2.5E+3'])),
    d: (rand) => padded(rand, pick(rand, [String(rand() * 1e6), '1e-300', '-0.0', '0.1', '123456789012345'])),
    dec: (rand) => padded(rand, pick(rand, [(rand() * 1e6).toFixed(2), '1e2', '-0.50', '007.1'])),
    b: (rand) => padded(rand, pick(rand, ['yes', 'No', '1', '0', 't', 'FALSE'])),
    day: (rand) => padded(rand, pick(rand, ['2020-02-29', '1999-12-31', '1000-01-01'])),
    dt: (rand) => padded(rand, pick(rand, ['2020-02-29T10:11:12.5+02:00', '2021-01-01 00:00', '2021-06-01T23:59:59.123Z'])),
    ts: (rand) => padded(rand, pick(rand, ['2020-02-29 10:11:12Z', '2001-09-09T01:46:40-0130'])),
    t: (rand) => padded(rand, pick(rand, ['-12:30:00.000', '838:59:59', '7:05'])),
    c: (rand) => [...randomString(rand).replaceAll('\0', '')].slice(0, 5).join(''),
    v: (rand) => randomString(rand).replaceAll('\0', ''),
    txt: (rand) => randomString(rand),
  };

  it('writes what tsvLine writes for every checked row: padding never reaches the line unescaped', () => {
    const checker = new RecordChecker(plan);
    expect(checker.wanted).toEqual([...plan.columns.map((c) => c.name), 'y']);
    const rand = prng(0x5eed);
    let checked = 0;
    for (let row = 1; row <= 3000; row++) {
      const cells = [...plan.columns.map((c) => raw[c.name]!(rand)), randomString(rand) + 'y'];
      const result = checker.check({ row, cells });
      if (Array.isArray(result)) throw new Error(`row ${row}: ${result.map((e) => `${e.code} ${e.context.field}`).join(', ')}`);
      checked++;
      const line = sink.encoder.encodeRow({ label: result.label, filename: null, extension: null, annotation: result.annotation, values: result.values });
      const want = tsvLine([result.label, null, null, result.annotation, ...result.values]);
      if (line !== want) expect({ row, line }).toEqual({ row, line: want });
      expect(line.split('\t')).toHaveLength(4 + plan.columns.length);
    }
    expect(checked).toBe(3000);
  });
});
