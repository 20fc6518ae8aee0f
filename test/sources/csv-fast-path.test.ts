/**
 * The CSV reader's fast path (src/sources/plain-csv.ts) against csv-parse itself: for any text —
 * clean, quoted, with stray CRs, mixed line endings, empty lines, a BOM, ragged rows, quotes that
 * start mid-file, records across read chunks — the reader gives exactly the records csv-parse gives
 * for the whole file, or the same error at the same line.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CsvError, parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { IngestError, IngestErrors } from '../../src/errors.js';
import type { SourcePlan } from '../../src/config/types.js';
import { openCsv, MAX_CSV_RECORD_CHARS } from '../../src/sources/csv.js';
import { PlainCsvSplitter } from '../../src/sources/plain-csv.js';
import { pick, prng } from '../support/prng.js';
import { tempDir } from '../support/tmp.js';

type Outcome = { records: string[][] } | { error: string; line: number | undefined };

function plan(file: string, delimiter = ',', quote = '"'): SourcePlan {
  return { kind: 'csv', path: file, configured: 'f.csv', delimiter, quote, escape: quote };
}

/** What csv-parse makes of the whole text, with the reader's options. */
function reference(text: string, delimiter: string, quote: string): Outcome {
  try {
    const rows = parse(text, {
      bom: true,
      delimiter,
      quote,
      escape: quote,
      skip_empty_lines: true,
      relax_column_count: false,
      max_record_size: MAX_CSV_RECORD_CHARS,
    }) as string[][];
    if (rows.length === 0) return { error: 'SOURCE_EMPTY', line: undefined };
    return { records: rows.slice(1) };
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const code =
      err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' || err.code === 'CSV_RECORD_INCONSISTENT_COLUMNS'
        ? 'CSV_RAGGED_ROW'
        : err.code === 'CSV_MAX_RECORD_SIZE'
          ? 'SOURCE_TOO_LARGE'
          : 'CSV_SYNTAX';
    return { error: code, line: (err as unknown as { lines: number }).lines };
  }
}

/** What the reader gives: every record (all header columns, in order), or its error. */
async function viaReader(file: string, header: string[], delimiter: string, quote: string): Promise<Outcome> {
  const records: string[][] = [];
  try {
    const src = await openCsv(plan(file, delimiter, quote), header);
    for await (const r of src.records) records.push(r.cells.map((c) => String(c)));
    return { records };
  } catch (err) {
    if (err instanceof IngestErrors) return { error: err.errors[0]!.code, line: err.errors[0]!.context.line };
    if (err instanceof IngestError) return { error: err.code, line: err.context.line };
    throw err;
  }
}

const PLAIN = ['a', 'Z', '7', '0.5', ' ', 'é', '漢', '😀', '\\', '\t', ';', "'"];
const AWKWARD = ['"', '""', '\r', '\n', '\r\n', ','];

function cell(r: () => number, awkward: number): string {
  const n = Math.floor(r() * 6);
  let s = '';
  for (let i = 0; i < n; i++) s += r() < awkward ? pick(r, AWKWARD) : pick(r, PLAIN);
  return s;
}

/** A random CSV text: mostly clean lines, with now and then a quoted cell, a stray CR, a mixed line ending, an empty line, a ragged row. */
function randomCsv(r: () => number, rows: number): { text: string; header: string[] } {
  const cols = 1 + Math.floor(r() * 5);
  const header = Array.from({ length: cols }, (_, i) => `c${i}`);
  const eol = r() < 0.5 ? '\n' : '\r\n';
  const awkward = pick(r, [0, 0, 0.002, 0.02, 0.2]);
  let text = r() < 0.2 ? '\uFEFF' : '';
  if (r() < 0.1) text += eol;
  text += header.join(',') + eol;
  for (let i = 0; i < rows; i++) {
    const n = r() < 0.01 ? cols + pick(r, [-1, 1]) : cols;
    const cells = Array.from({ length: Math.max(1, n) }, (): string => {
      const c = cell(r, awkward);
      return r() < 0.02 ? `"${c.replaceAll('"', '""')}"` : c;
    });
    if (!cells.some((c) => c.length > 0)) cells[0] = 'x';
    text += cells.join(',');
    const roll = r();
    text += roll < 0.003 ? pick(r, ['\n', '\r\n', '\r']) : eol;
    if (r() < 0.01) text += eol;
  }
  if (r() < 0.3) text = text.replace(/(\r\n|\n)$/, '');
  return { text, header };
}

describe('CSV fast path = csv-parse', () => {
  it('gives the same records or the same error at the same line (400 random small files)', async () => {
    const dir = await tempDir();
    const r = prng(20261130);
    let plainOnly = 0;
    let handedOver = 0;
    for (let k = 0; k < 400; k++) {
      const { text, header } = randomCsv(r, 1 + Math.floor(r() * 40));
      const file = path.join(dir, `s${k}.csv`);
      await writeFile(file, text);
      if (!text.includes('"') && !text.includes('\r')) plainOnly++;
      // The fast path read some lines, then csv-parse the rest (a quote after the header line).
      if (text.indexOf('"') > text.indexOf('\n') + 1 && text.indexOf('\n') > 0) handedOver++;
      const want = reference(text, ',', '"');
      const got = await viaReader(file, header, ',', '"');
      expect(got, `file ${k}`).toEqual(want);
    }
    expect(plainOnly).toBeGreaterThan(50);
    expect(handedOver).toBeGreaterThan(50);
  });

  it('also across read chunks: large files whose first quote or stray CR comes late (24 files of 0.2–1 MB)', async () => {
    const dir = await tempDir();
    const r = prng(99);
    for (let k = 0; k < 24; k++) {
      const { text, header } = randomCsv(r, 4000 + Math.floor(r() * 20000));
      const file = path.join(dir, `l${k}.csv`);
      await writeFile(file, text);
      expect(await viaReader(file, header, ',', '"'), `file ${k}`).toEqual(reference(text, ',', '"'));
    }
  });

  it('honours other delimiters and quote characters', async () => {
    const dir = await tempDir();
    const cases: Array<[string, string, string]> = [
      ['a;b\n1;2\n3;"x;y"\n', ';', '"'],
      ["a|b\r\n1|'x|y'\r\n2|z\r\n", '|', "'"],
      ['a\tb\n1\t2\n', '\t', '"'],
      ['a::b\n1::2\n3::4::5\n', '::', '"'],
    ];
    for (const [i, [text, delimiter, quote]] of cases.entries()) {
      const file = path.join(dir, `d${i}.csv`);
      await writeFile(file, text);
      const header = text.split(/\r?\n/)[0]!.split(delimiter);
      expect(await viaReader(file, header, delimiter, quote)).toEqual(reference(text, delimiter, quote));
    }
  });
});

describe('record arrays', () => {
  it('`batches` gives the records `records` gives, row numbers and cells, across read chunks and after a hand-over to csv-parse', async () => {
    const dir = await tempDir();
    const header = ['a', 'b', 'c'];
    let checked = 0;
    for (let k = 0; k < 4; k++) {
      // 20k clean rows (several read chunks); in two of the files a quoted cell at row 12,000 hands the rest to csv-parse.
      const lines = [header.join(',')];
      for (let i = 1; i <= 20_000; i++) lines.push(k % 2 === 1 && i === 12_000 ? `${i},"x,y",z` : `${i},${i * 3}.5,w${k}`);
      const text = lines.join(k < 2 ? '\n' : '\r\n') + '\n';
      const file = path.join(dir, `b${k}.csv`);
      await writeFile(file, text);
      const want = reference(text, ',', '"');
      if (!('records' in want)) throw new Error('the test file must be valid');
      const one = await openCsv(plan(file), header);
      const viaRecords: Array<[number, string[]]> = [];
      for await (const rec of one.records) viaRecords.push([rec.row, rec.cells.map(String)]);
      const two = await openCsv(plan(file), header);
      const viaBatches: Array<[number, string[]]> = [];
      let arrays = 0;
      for await (const batch of two.batches!) {
        arrays++;
        for (const rec of batch) viaBatches.push([rec.row, rec.cells.map(String)]);
      }
      expect(viaBatches).toEqual(viaRecords);
      expect(viaBatches.map(([, cells]) => cells)).toEqual(want.records);
      expect(viaBatches).toHaveLength(20_000);
      // Records are handed on by the read chunk, on the fast path and after a hand-over to csv-parse alike.
      expect(arrays).toBeLessThan(viaBatches.length / 10);
      checked++;
    }
    expect(checked).toBe(4);
  });
});

describe('PlainCsvSplitter', () => {
  it('splits clean lines, skips empty ones, counts physical lines, and stops at a quote, a stray CR or a changed line ending', () => {
    const split = (text: string, final = true) => {
      const s = new PlainCsvSplitter({ delimiter: ',', quote: '"' });
      const out: string[][] = [];
      const res = s.split(text, final, out);
      return { ...res, out, lines: s.lines, rd: s.recordDelimiter };
    };
    expect(split('\uFEFFa,b\n\n1,2\n3,4')).toEqual({ consumed: 13, stop: false, raggedLine: -1, out: [['a', 'b'], ['1', '2'], ['3', '4']], lines: 4, rd: '\n' });
    expect(split('a,b\r\n1,2\r\n')).toMatchObject({ stop: false, out: [['a', 'b'], ['1', '2']], rd: '\r\n' });
    expect(split('a,b\n1,"2"\n')).toMatchObject({ consumed: 4, stop: true, out: [['a', 'b']] });
    expect(split('a,b\n1,x\ry\n')).toMatchObject({ consumed: 4, stop: true });
    expect(split('a,b\r\n1,2\n')).toMatchObject({ consumed: 5, stop: true });
    expect(split('a,b\n1,2\r\n')).toMatchObject({ consumed: 4, stop: true });
    expect(split('a,b\n1\n')).toMatchObject({ raggedLine: 2, out: [['a', 'b']] });
    // Not final: the incomplete last line waits for more text.
    expect(split('a,b\n1,', false)).toMatchObject({ consumed: 4, stop: false, out: [['a', 'b']] });
  });
});
