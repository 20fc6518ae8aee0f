import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openJson } from '../../src/sources/json.js';
import { JsonSplitter } from '../../src/sources/json-splitter.js';
import type { SourcePlan } from '../../src/config/types.js';
import { IngestError, IngestErrors } from '../../src/errors.js';
import type { RawRecord } from '../../src/sources/types.js';
import { tempFiles } from '../support/tmp.js';

async function jsonPlan(content: string): Promise<SourcePlan> {
  const dir = await tempFiles({ 'data.json': content });
  return { kind: 'json', path: path.join(dir, 'data.json'), configured: 'data.json', delimiter: ',', quote: '"', escape: '"' };
}

async function readAll(plan: SourcePlan, wanted: string[]): Promise<RawRecord[]> {
  const source = await openJson(plan, wanted);
  const out: RawRecord[] = [];
  for await (const r of source.records) out.push(r);
  return out;
}

describe('JSON splitter (the pure core)', () => {
  const tricky = '[ {"a": "x]}{,\\"y", "b": [1, {"c": 2}]},\n {"a": "\\\\"} ]';

  it('cuts an array into element texts, whatever the chunking', () => {
    for (const size of [1, 2, 3, 7, 1000]) {
      const splitter = new JsonSplitter('f.json');
      const out = [];
      for (let i = 0; i < tricky.length; i += size) out.push(...splitter.push(tricky.slice(i, i + size)));
      splitter.end();
      expect(out.map((e) => JSON.parse(e.text) as unknown)).toEqual([{ a: 'x]}{,"y', b: [1, { c: 2 }] }, { a: '\\' }]);
      expect(out.map((e) => [e.index, e.line])).toEqual([
        [1, 1],
        [2, 2],
      ]);
    }
  });

  it('accepts one top-level object and an empty array', () => {
    const one = new JsonSplitter('f');
    expect(one.push(' {"a":1} ').map((e) => e.text)).toEqual(['{"a":1}']);
    one.end();
    const none = new JsonSplitter('f');
    expect(none.push('[ ]')).toEqual([]);
    none.end();
  });

  it.each([
    ['"just a string"', 'JSON_SYNTAX'],
    ['[1, 2]', 'JSON_SYNTAX'],
    ['[{"a":1} {"a":2}]', 'JSON_SYNTAX'],
    ['[{"a":1}] trailing', 'JSON_SYNTAX'],
    ['[{"a":1}', 'JSON_SYNTAX'],
    ['', 'SOURCE_EMPTY'],
  ])('refuses %j', (text, code) => {
    const s = new JsonSplitter('f');
    let err: unknown;
    try {
      s.push(text);
      s.end();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IngestError);
    expect((err as IngestError).code).toBe(code);
  });
});

describe('JSON source', () => {
  it('streams records with cells in the asked order; nested values as JSON text', async () => {
    const rows = await readAll(await jsonPlan('[{"x": 1, "y": "a", "z": {"k": [1,2]}}, {"x": null, "y": true}]'), ['z', 'x', 'y']);
    expect(rows).toEqual([
      { row: 1, line: 1, cells: ['{"k":[1,2]}', 1, 'a'] },
      { row: 2, line: 1, cells: [undefined, null, true] },
    ]);
  });

  it('names a column missing from the first object', async () => {
    const err = await openJson(await jsonPlan('[{"x": 1}]'), ['x', 'y']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestErrors);
    expect((err as IngestErrors).errors[0]!.code).toBe('COLUMN_MISSING');
  });

  it('refuses an element that is not valid JSON, with its row', async () => {
    const plan = await jsonPlan('[{"x": 1}, {"x": 01}]');
    const err = await readAll(plan, ['x']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect((err as IngestError).code).toBe('JSON_SYNTAX');
    expect((err as IngestError).context.row).toBe(2);
  });
});
