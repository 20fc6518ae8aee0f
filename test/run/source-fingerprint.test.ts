import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log/logger.js';
import { checkPass } from '../../src/run/check-pass.js';
import { SourceFingerprint } from '../../src/run/source-fingerprint.js';
import type { RawCell } from '../../src/sources/types.js';
import { tempFiles } from '../support/tmp.js';

/** The fingerprint of earlier versions, written out independently: `cells` must keep giving it. */
function legacyCellsHash(records: readonly (readonly RawCell[])[], invalid: readonly number[]): string {
  const h = createHash('sha256');
  let keys = '';
  for (const cells of records) {
    for (const c of cells) {
      if (typeof c === 'string') keys += `s${c.length}:${c}`;
      else if (c === null || c === undefined) keys += 'n;';
      else keys += `${typeof c === 'number' ? 'd' : 'b'}${String(c)};`;
    }
    keys += '\n';
  }
  return h.update(keys).update(JSON.stringify(invalid)).digest('hex');
}

const YAML = (source: string, extra = '') =>
  `apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: fp\nintent: train\ncategory: tabular_classification\n${source}\nschema:\n  x: DOUBLE\nlabel: y\n${extra}`;

async function fingerprintOf(files: Record<string, string>, yaml: string, fingerprint?: 'bytes' | 'cells') {
  const dir = await tempFiles({ ...files, 'i.yaml': yaml });
  const { plan } = await loadPlan(path.join(dir, 'i.yaml'), { storageRoot: dir });
  const check = await checkPass(plan, { logger: createLogger({ level: 'silent' }), resuming: true, ...(fingerprint ? { fingerprint } : {}) });
  return { check, dir };
}

describe('source fingerprint', () => {
  it('cells: the fingerprint earlier versions recorded, over records of every cell type, in chunks', () => {
    const records: RawCell[][] = Array.from({ length: 5000 }, (_, i) => [`v${i}`, i % 3 ? i * 1.5 : null, i % 2 === 0, undefined, '', `s${'é'.repeat(i % 40)}`]);
    const fp = new SourceFingerprint('cells');
    for (const r of records) fp.addRecord(r);
    expect(fp.digest(new Set([9, 3]))).toBe(legacyCellsHash(records, [3, 9]));
  });

  it('bytes: sha256 of every byte given, then the rows left out; records are ignored', () => {
    const fp = new SourceFingerprint('bytes');
    fp.addRecord(['ignored']);
    fp.addBytes(Buffer.from('a,b\n'));
    fp.addBytes(Buffer.from('1,2\n'));
    expect(fp.digest(new Set([2]))).toBe(createHash('sha256').update('a,b\n1,2\n').update('[2]').digest('hex'));
  });

  it('a check pass fingerprints the CSV file byte for byte by default, and its records with `cells`', async () => {
    const csv = 'x,y\n' + Array.from({ length: 30_000 }, (_, i) => `${i}.25,${i % 2 ? 'a' : 'b'}`).join('\n') + '\n';
    const { check, dir } = await fingerprintOf({ 'd.csv': csv }, YAML('csv: d.csv'));
    expect(check.sourceHashKind).toBe('bytes');
    const bytes = await readFile(path.join(dir, 'd.csv'));
    expect(bytes.length).toBeGreaterThan(128 * 1024); // several read chunks
    expect(check.sourceHash).toBe(createHash('sha256').update(bytes).update('[]').digest('hex'));

    const cells = await fingerprintOf({ 'd.csv': csv }, YAML('csv: d.csv'), 'cells');
    expect(cells.check.sourceHashKind).toBe('cells');
    const records = csv.trim().split('\n').slice(1).map((l) => l.split(','));
    expect(cells.check.sourceHash).toBe(legacyCellsHash(records, []));
  });

  it('bytes: every byte once, also with a BOM, CRLF and a switch from the fast path to csv-parse after several chunks', async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => (i === 30_000 ? `${i}.5,"quoted, é"` : `${i}.5,${i % 2 ? 'ü' : 'b'}`));
    const csv = '\ufeffx,y\r\n' + lines.join('\r\n') + '\r\n';
    const { check, dir } = await fingerprintOf({ 'd.csv': csv }, YAML('csv: d.csv'));
    expect(check.total).toBe(40_000);
    const bytes = await readFile(path.join(dir, 'd.csv'));
    expect(bytes.length).toBeGreaterThan(3 * 64 * 1024);
    expect(check.sourceHash).toBe(createHash('sha256').update(bytes).update('[]').digest('hex'));
  });

  it('bytes: a change that leaves every cell equal still changes the fingerprint; the same bytes give the same one', async () => {
    const a = await fingerprintOf({ 'd.csv': 'x,y\n1.5,a\n2.5,b\n' }, YAML('csv: d.csv'));
    const same = await fingerprintOf({ 'd.csv': 'x,y\n1.5,a\n2.5,b\n' }, YAML('csv: d.csv'));
    const quoted = await fingerprintOf({ 'd.csv': 'x,y\n1.5,"a"\n2.5,b\n' }, YAML('csv: d.csv'));
    const quotedCells = await fingerprintOf({ 'd.csv': 'x,y\n1.5,"a"\n2.5,b\n' }, YAML('csv: d.csv'), 'cells');
    const plainCells = await fingerprintOf({ 'd.csv': 'x,y\n1.5,a\n2.5,b\n' }, YAML('csv: d.csv'), 'cells');
    expect(same.check.sourceHash).toBe(a.check.sourceHash);
    expect(quoted.check.sourceHash).not.toBe(a.check.sourceHash);
    expect(quotedCells.check.sourceHash).toBe(plainCells.check.sourceHash);
  });

  it('a JSON source is fingerprinted byte for byte too; the invalid rows are part of it', async () => {
    const json = JSON.stringify([{ x: 1.5, y: 'a' }, { x: 'oops', y: 'b' }, { x: 3, y: 'a' }]);
    const { check } = await fingerprintOf({ 'd.json': json }, YAML('json: d.json', 'spec:\n  on_invalid_row: quarantine\n  max_invalid_rows: 1\n'));
    expect(check.invalidRows).toEqual(new Set([2]));
    expect(check.sourceHash).toBe(createHash('sha256').update(json).update('[2]').digest('hex'));
  });

  it('a plan with record processors is fingerprinted over its records (the processors’ output)', async () => {
    const processor = 'export class Upper { process(r) { r.y = String(r.y).toUpperCase(); return r; } }\n';
    const csv = 'x,y\n1.5,a\n2.5,b\n';
    const { check } = await fingerprintOf({ 'd.csv': csv, 'p.mjs': processor }, YAML('csv: d.csv', 'spec:\n  processors:\n    - script: p.mjs\n      class: Upper\n'));
    expect(check.sourceHashKind).toBe('cells');
    expect(check.sourceHash).toBe(legacyCellsHash([['1.5', 'A'], ['2.5', 'B']], []));
  });
});
