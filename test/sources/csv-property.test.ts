import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCsv } from '../../src/sources/csv.js';
import { IngestError, IngestErrors } from '../../src/errors.js';
import { casterFor, isCastFailure } from '../../src/records/cast.js';
import { parseSqlType } from '../../src/config/sql-type.js';
import type { SourcePlan, SqlType } from '../../src/config/types.js';
import { pick, prng } from '../support/prng.js';
import { tempDir } from '../support/tmp.js';

const ALPHABET = ['a', 'Z', '0', ' ', ',', '"', '\n', '\r\n', '\\', ';', "'", 'é', '漢', '😀', '\t', '\\n', '""'];

function field(r: () => number): string {
  const n = Math.floor(r() * 8);
  let s = '';
  for (let i = 0; i < n; i++) s += pick(r, ALPHABET);
  return s;
}

/** RFC 4180 writing: quote when needed, double the quotes. */
function quote(s: string): string {
  return /[",\r\n]/.test(s) || s === '' ? `"${s.replaceAll('"', '""')}"` : s;
}

async function read(file: string, wanted: string[]): Promise<string[][]> {
  const plan: SourcePlan = { kind: 'csv', path: file, configured: 'f.csv', delimiter: ',', quote: '"', escape: '"' };
  const src = await openCsv(plan, wanted);
  const out: string[][] = [];
  for await (const rec of src.records) out.push(rec.cells.map((c) => String(c)));
  return out;
}

describe('CSV path, property-based', () => {
  it('whatever the cells hold, a correctly quoted CSV reads back exactly (200 random files)', async () => {
    const dir = await tempDir();
    const r = prng(20261124);
    for (let k = 0; k < 200; k++) {
      const cols = 1 + Math.floor(r() * 4);
      const header = Array.from({ length: cols }, (_, i) => `c${i}`);
      const rows: string[][] = Array.from({ length: 1 + Math.floor(r() * 6) }, () => header.map((): string => field(r)));
      // A record of only empty fields on its own line would be an empty line: keep one field non-empty.
      for (const row of rows) if (!row.some((c) => c.length > 0)) row[0] = 'x';
      const eol = r() < 0.5 ? '\n' : '\r\n';
      const text = [header.join(','), ...rows.map((row) => row.map(quote).join(','))].join(eol) + eol;
      const file = path.join(dir, `f${k}.csv`);
      await writeFile(file, (r() < 0.3 ? '\uFEFF' : '') + text);
      expect(await read(file, header)).toEqual(rows);
    }
  });

  it('random bytes never crash the reader: records or a coded IngestError (300 random files)', async () => {
    const dir = await tempDir();
    const r = prng(7);
    for (let k = 0; k < 300; k++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256)));
      const file = path.join(dir, `g${k}.csv`);
      await writeFile(file, Buffer.concat([Buffer.from('a,b\n'), bytes]));
      try {
        await read(file, ['a']);
      } catch (err) {
        const e = err instanceof IngestErrors ? err.errors[0] : err;
        expect(e).toBeInstanceOf(IngestError);
      }
    }
  });

  it('cells read from random CSVs cast without throwing, and failures never echo the cell', async () => {
    const types = ['INT', 'DOUBLE', 'FLOAT', 'DECIMAL(8,3)', 'DATE', 'DATETIME', 'BOOLEAN', 'VARCHAR(5)', 'TIME'].map(
      (t) => parseSqlType(t) as SqlType,
    );
    const casters = types.map((t) => casterFor(t));
    const r = prng(99);
    for (let k = 0; k < 20_000; k++) {
      const cell = field(r) + (r() < 0.5 ? String(Math.floor(r() * 1e6)) : '');
      for (const cast of casters) {
        const v = cast(cell);
        if (isCastFailure(v) && cell.trim().length > 3) expect(v.message).not.toContain(cell.trim());
      }
    }
  });
});
