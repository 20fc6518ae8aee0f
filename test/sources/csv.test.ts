import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openCsv } from '../../src/sources/csv.js';
import type { SourcePlan } from '../../src/config/types.js';
import { IngestError, IngestErrors } from '../../src/errors.js';
import type { RawRecord } from '../../src/sources/types.js';
import { tempFiles } from '../support/tmp.js';

async function csvPlan(content: string | Uint8Array, options: Partial<SourcePlan> = {}): Promise<SourcePlan> {
  const dir = await tempFiles({ 'data.csv': content });
  return { kind: 'csv', path: path.join(dir, 'data.csv'), configured: 'data.csv', delimiter: ',', quote: '"', escape: '"', ...options };
}

async function readAll(plan: SourcePlan, wanted: string[]): Promise<RawRecord[]> {
  const source = await openCsv(plan, wanted);
  const out: RawRecord[] = [];
  for await (const r of source.records) out.push(r);
  return out;
}

async function failure(p: Promise<unknown>): Promise<IngestError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof IngestErrors) return err.errors[0]!;
  if (err instanceof IngestError) return err;
  throw new Error(`expected an IngestError, got ${String(err)}`);
}

describe('CSV source', () => {
  it('yields cells in the order asked for, with row and line numbers', async () => {
    const rows = await readAll(await csvPlan('a,b,c\n1,2,3\n4,5,6\n'), ['c', 'a']);
    expect(rows).toEqual([
      { row: 1, cells: ['3', '1'] },
      { row: 2, cells: ['6', '4'] },
    ]);
  });

  it('drops a UTF-8 BOM and handles CRLF line ends', async () => {
    const rows = await readAll(await csvPlan('\uFEFFname,v\r\nx,1\r\ny,2\r\n'), ['name', 'v']);
    expect(rows.map((r) => r.cells)).toEqual([
      ['x', '1'],
      ['y', '2'],
    ]);
  });

  it('keeps backslashes as data (no escape surprises) and unescapes doubled quotes', async () => {
    const rows = await readAll(await csvPlan('p,q\n"C:\\new\\table","say ""hi"""\n'), ['p', 'q']);
    expect(rows[0]!.cells).toEqual(['C:\\new\\table', 'say "hi"']);
  });

  it('keeps newlines inside quoted fields; errors after them name the right line', async () => {
    const rows = await readAll(await csvPlan('a,b\n"x\ny",1\nz,2\n'), ['a', 'b']);
    expect(rows[0]).toEqual({ row: 1, cells: ['x\ny', '1'] });
    const err = await failure(readAll(await csvPlan('a,b\n"x\ny",1\nz,2,3\n'), ['a']));
    expect(err.context.line).toBe(4);
  });

  it('honours a configured delimiter and quote', async () => {
    const rows = await readAll(await csvPlan("a;b\n'x;y';2\n", { delimiter: ';', quote: "'", escape: "'" }), ['a', 'b']);
    expect(rows[0]!.cells).toEqual(['x;y', '2']);
  });

  it('refuses a ragged row with its line', async () => {
    const err = await failure(readAll(await csvPlan('a,b\n1,2\n3,4,5\n'), ['a']));
    expect(err.code).toBe('CSV_RAGGED_ROW');
    expect(err.context.line).toBe(3);
  });

  it('refuses an unclosed quote', async () => {
    const err = await failure(readAll(await csvPlan('a,b\n"1,2\n3,4\n'), ['a']));
    expect(err.code).toBe('CSV_SYNTAX');
  });

  it('refuses bytes that are not UTF-8, naming the line', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n1,2\n3,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
    const err = await failure(readAll(await csvPlan(bytes), ['a']));
    expect(err.code).toBe('SOURCE_ENCODING');
    expect(err.context.line).toBe(3);
  });

  it('refuses an empty file', async () => {
    const err = await failure(readAll(await csvPlan(''), ['a']));
    expect(err.code).toBe('SOURCE_EMPTY');
  });

  it('refuses duplicate and empty header names, all at once', async () => {
    const err = await openCsv(await csvPlan('a,,a\n1,2,3\n'), ['a']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestErrors);
    expect((err as IngestErrors).errors.map((e) => e.code)).toEqual(['CSV_HEADER_INVALID', 'CSV_HEADER_INVALID']);
  });

  it('names a missing column and points at a case-only near miss', async () => {
    const err = await failure(readAll(await csvPlan('Price,b\n1,2\n'), ['price']));
    expect(err.code).toBe('COLUMN_MISSING');
    expect(err.context.field).toBe('price');
    expect(err.message).toContain('"Price"');
  });

  it('a header-only file has no records', async () => {
    expect(await readAll(await csvPlan('a,b\n'), ['a'])).toEqual([]);
  });

  it('refuses the source file missing', async () => {
    const plan = await csvPlan('a\n1\n');
    const err = await failure(readAll({ ...plan, path: plan.path + '.missing' }, ['a']));
    expect(err.code).toBe('SOURCE_UNREADABLE');
  });
});
