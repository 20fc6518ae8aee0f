import { mkdir, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { WriteStream } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { IngestError } from '../../src/errors.js';
import type { CellValue } from '../../src/records/cast.js';
import type { CheckedCells } from '../../src/records/record-checker.js';
import { RowSpool, type SpooledRow } from '../../src/run/row-spool.js';
import { parseTsvLine, tsvLine } from '../../src/sinks/mysql/tsv.js';
import type { RowEncoder } from '../../src/sinks/types.js';
import { pick, prng } from '../support/prng.js';
import { tempDir } from '../support/tmp.js';

/** The encoding MysqlSink uses: label, filename, extension, annotation, then the features. */
const encoder: RowEncoder = {
  encodeRow: (r) => tsvLine([r.label, r.filename, r.extension, r.annotation, ...r.values]),
};

function cells(row: number, label: string | null, dataIdSource: string | null, values: CellValue[], annotation: string | null = null): CheckedCells {
  return { row, values, label, labelNumber: Number.NaN, dataIdSource, fileReference: null, extras: [], annotation };
}

/** Text fields that break naive line/field formats, and multi-byte text. */
const AWKWARD: readonly (string | null)[] = [
  null,
  '',
  '\\N',
  '\\\\N',
  'N',
  '\\',
  'ends with \\',
  '\\t is not a tab',
  'a\tb',
  'line\nbreak',
  'cr\rhere',
  'crlf\r\n',
  '\n',
  '\t',
  'nul\u0000byte',
  '"quoted", with comma',
  '猫と犬の物語',
  '🐱🐶🦊',
  'ü€𝄞 mixed ascii',
  '   spaces   ',
];

/** A string of `n` random pieces, mostly multi-byte, so 64 KiB read chunks end inside characters. */
function awkwardText(rand: () => number, n: number): string {
  const pieces = ['猫', '🐱', '€', 'é', '\t', '\n', '\r', '\\', 'N', '\\N', 'x', ' ', '"', '𝄞'];
  let s = '';
  for (let i = 0; i < n; i++) s += pick(rand, pieces);
  return s;
}

function randomField(rand: () => number): string | null {
  return rand() < 0.5 ? pick(rand, AWKWARD) : awkwardText(rand, Math.floor(rand() * 12));
}

function randomValue(rand: () => number): CellValue {
  const r = rand();
  if (r < 0.15) return null;
  if (r < 0.35) return Math.floor(rand() * 2e9) - 1e9;
  if (r < 0.45) return rand() * 1e6;
  return randomField(rand) ?? '';
}

const asText = (v: CellValue): string | null => (v === null ? null : String(v));

async function spoolFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith('.spool')).sort();
}

async function readAll(spool: RowSpool): Promise<SpooledRow[]> {
  const out: SpooledRow[] = [];
  for await (const rows of spool.readChunks()) for (const r of rows) out.push(r);
  return out;
}

describe('RowSpool', () => {
  it('round-trips 50k rows with awkward labels, ids and values, in order, with their row numbers', async () => {
    const dir = path.join(await tempDir('tb-spool-'), 'nested', 'spool');
    const spool = await RowSpool.create(dir, 'tbl', 'run-1', encoder);
    const rand = prng(20240601);
    const expected: { row: number; label: string | null; id: string | null; values: CellValue[]; annotation: string | null }[] = [];
    let row = 0;
    let waited = 0;
    for (let i = 0; i < 50_000; i++) {
      // Gaps in the row numbers, as quarantined rows leave them.
      row += 1 + (rand() < 0.1 ? Math.floor(rand() * 5) : 0);
      const label = i < AWKWARD.length ? AWKWARD[i]! : randomField(rand);
      const id = i < AWKWARD.length ? AWKWARD[AWKWARD.length - 1 - i]! : randomField(rand);
      const values = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => randomValue(rand));
      const annotation = rand() < 0.1 ? randomField(rand) : null;
      expected.push({ row, label, id, values, annotation });
      const full = spool.add(cells(row, label, id, values, annotation));
      if (full) {
        waited++;
        await full;
      }
    }
    await spool.finish();
    expect(spool.rows).toBe(50_000);
    // More than one flush of 256 KiB happened on the way (backpressure path taken).
    expect(waited).toBeGreaterThan(1);

    // The file is big enough to be read in several chunks, and some chunk boundary (the read
    // stream's 64 KiB) falls inside a multi-byte UTF-8 character.
    const bytes = await readFile(spool.file);
    expect(bytes.length).toBeGreaterThan(4 * 65536);
    let splitChars = 0;
    for (let at = 65536; at < bytes.length; at += 65536) if ((bytes[at]! & 0xc0) === 0x80) splitChars++;
    expect(splitChars).toBeGreaterThan(0);
    // One line per row: no field leaked a raw newline.
    expect(bytes.toString('utf8').split('\n')).toHaveLength(50_001);

    const got = await readAll(spool);
    expect(got).toHaveLength(expected.length);
    for (let i = 0; i < expected.length; i++) {
      const e = expected[i]!;
      const g = got[i]!;
      if (g.row !== e.row || g.label !== e.label || g.dataIdSource !== e.id) {
        expect({ i, row: g.row, label: g.label, id: g.dataIdSource }).toEqual({ i, row: e.row, label: e.label, id: e.id });
      }
      const decoded = parseTsvLine(g.encoded);
      const want = [e.label, null, null, e.annotation, ...e.values.map(asText)];
      if (JSON.stringify(decoded) !== JSON.stringify(want)) expect({ i, decoded }).toEqual({ i, decoded: want });
    }

    // A second read gives the same rows (the file is not consumed).
    const again = await readAll(spool);
    expect(again.length).toBe(expected.length);
    expect(again[again.length - 1]).toEqual(got[got.length - 1]);

    await spool.remove();
    expect(await spoolFiles(dir)).toEqual([]);
  });

  it('keeps each awkward value exactly, one row per value', async () => {
    const dir = await tempDir('tb-spool-');
    const spool = await RowSpool.create(dir, 'small', 'r', encoder);
    AWKWARD.forEach((v, i) => spool.add(cells(i + 1, v, v, [v, i, -1.5, null])));
    await spool.finish();
    const got = await readAll(spool);
    expect(got.map((r) => r.row)).toEqual(AWKWARD.map((_, i) => i + 1));
    expect(got.map((r) => r.label)).toEqual(AWKWARD);
    expect(got.map((r) => r.dataIdSource)).toEqual(AWKWARD);
    expect(got.map((r) => parseTsvLine(r.encoded))).toEqual(AWKWARD.map((v, i) => [v, null, null, null, v, String(i), '-1.5', null]));
    // null and the literal text \N stay distinct, and so do null and ''.
    expect(got[0]!.label).toBeNull();
    expect(got[1]!.label).toBe('');
    expect(got[2]!.label).toBe('\\N');
    await spool.remove();
  });

  it('a tapped spool hands each encoding to the listener and keeps only row, data_id source and label', async () => {
    const dir = await tempDir('tb-spool-');
    const spool = await RowSpool.create(dir, 'tapped', 'r', encoder);
    const heard: [number, string | null, string][] = [];
    spool.tap((row, source, encoded) => {
      heard.push([row, source, encoded]);
      return undefined;
    });
    expect(spool.holdsRows).toBe(false);
    AWKWARD.forEach((v, i) => spool.add(cells(i + 1, v, v, [v, i])));
    await spool.finish();
    expect(heard.map(([row, source, encoded]) => [row, source, parseTsvLine(encoded)])).toEqual(
      AWKWARD.map((v, i) => [i + 1, v, [v, null, null, null, v, String(i)]]),
    );
    const got = await readAll(spool);
    expect(got).toEqual(AWKWARD.map((v, i) => ({ row: i + 1, dataIdSource: v, label: v, encoded: '' })));
    await spool.remove();
  });

  it('a spool cannot be tapped once it holds rows (they would have no encoding anywhere)', async () => {
    const dir = await tempDir('tb-spool-');
    const spool = await RowSpool.create(dir, 'late', 'r', encoder);
    spool.add(cells(1, 'a', null, [1]));
    expect(() => spool.tap(() => undefined)).toThrow(IngestError);
    expect(spool.holdsRows).toBe(true);
    await spool.remove();
  });

  it('an empty spool reads back as no rows', async () => {
    const dir = await tempDir('tb-spool-');
    const spool = await RowSpool.create(dir, 'empty', 'r', encoder);
    await spool.finish();
    expect(spool.rows).toBe(0);
    expect(await readAll(spool)).toEqual([]);
    await spool.remove();
  });

  it('a truncated spool is refused, not read as fewer rows', async () => {
    const dir = await tempDir('tb-spool-');
    const spool = await RowSpool.create(dir, 'cut', 'r', encoder);
    for (let i = 1; i <= 10; i++) spool.add(cells(i, `label ${i}`, null, [i]));
    await spool.finish();
    const size = (await stat(spool.file)).size;
    await truncate(spool.file, size - 3);
    const err = await readAll(spool).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect((err as IngestError).code).toBe('INTERNAL');
    await spool.remove();
  });

  it('create makes the directory and a file only its owner can read', async () => {
    const dir = path.join(await tempDir('tb-spool-'), 'a', 'b');
    const spool = await RowSpool.create(dir, 'secret', 'run-9', encoder);
    expect(spool.file).toBe(path.join(dir, 'secret.run-9.spool'));
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    // Only the spool directory is private: the parents it made (e.g. .tracebloc-ingest, which holds reports) are not.
    expect((await stat(path.dirname(dir))).mode & 0o777).not.toBe(0o700);
    expect((await stat(spool.file)).mode & 0o777).toBe(0o600);
    spool.add(cells(1, 'x', null, ['value']));
    await spool.finish();
    // Still owner-only after writing.
    expect((await stat(spool.file)).mode & 0o777).toBe(0o600);
    await spool.remove();
  });

  it('create removes the stale spools of the same table only', async () => {
    const dir = await tempDir('tb-spool-');
    await mkdir(path.join(dir, 'sub.spool'), { recursive: true });
    const others = ['t10.run-a.spool', 't2.run-b.spool', 't1.notes.txt', 'other.spool', 'xt1.run.spool', 'T1.run.spool'];
    const stale = ['t1.old-run.spool', 't1.another.spool', 't1.run-1.spool'];
    for (const name of [...others, ...stale]) await writeFile(path.join(dir, name), 'leftover\n');

    const spool = await RowSpool.create(dir, 't1', 'run-1', encoder);
    const names = (await readdir(dir)).sort();
    expect(names).toEqual([...others, 'sub.spool', 't1.run-1.spool'].sort());
    // The fresh file replaced the leftover of the same name: it starts empty.
    expect((await stat(spool.file)).size).toBe(0);
    spool.add(cells(7, 'l', 'id', [1]));
    await spool.finish();
    expect((await readAll(spool)).map((r) => r.row)).toEqual([7]);
    await spool.remove();
    expect((await readdir(dir)).sort()).toEqual([...others, 'sub.spool'].sort());
    for (const name of others) expect(await readFile(path.join(dir, name), 'utf8')).toBe('leftover\n');
  });

  it('remove deletes the file and never throws: twice, before finish, or when the file is already gone', async () => {
    const dir = await tempDir('tb-spool-');
    const done = await RowSpool.create(dir, 'a', 'r', encoder);
    done.add(cells(1, 'x', null, [1]));
    await done.finish();
    await expect(done.remove()).resolves.toBeUndefined();
    await expect(done.remove()).resolves.toBeUndefined();

    // Still open, with rows pending (a run that failed during the check pass).
    const open = await RowSpool.create(dir, 'b', 'r', encoder);
    open.add(cells(1, 'x', null, [1]));
    await expect(open.remove()).resolves.toBeUndefined();
    await expect(open.remove()).resolves.toBeUndefined();

    // Removed by someone else already.
    const gone = await RowSpool.create(dir, 'c', 'r', encoder);
    await gone.finish();
    await rm(gone.file);
    await expect(gone.remove()).resolves.toBeUndefined();

    expect(await spoolFiles(dir)).toEqual([]);
  });

  it('a failed write surfaces as SPOOL_FAILED (no value in the message)', async () => {
    const dir = await tempDir('tb-spool-');
    const spool = await RowSpool.create(dir, 'broken', 'r', encoder);
    spool.add(cells(1, 'secret-label', 'secret-id', ['secret-value']));
    // Simulate the volume failing under the open file (ENOSPC): the stream errors and closes its fd.
    const out = (spool as unknown as { out: WriteStream }).out;
    const closed = new Promise<void>((resolve) => out.once('close', () => resolve()));
    out.destroy(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    await closed;

    // Rows keep arriving until a flush: that flush refuses.
    let err: unknown = null;
    try {
      for (let i = 2; i < 100_000; i++) {
        const full = spool.add(cells(i, 'secret-label', 'secret-id', ['secret-value', 'x'.repeat(50)]));
        if (full) await full;
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IngestError);
    expect((err as IngestError).code).toBe('SPOOL_FAILED');
    expect((err as IngestError).message).toContain('ENOSPC');
    expect((err as IngestError).message).not.toContain('secret');
    expect((err as IngestError).context.file).toBe(spool.file);
    // finish refuses the same way.
    const atFinish = await spool.finish().catch((e: unknown) => e);
    expect((atFinish as IngestError).code).toBe('SPOOL_FAILED');
    await spool.remove();
    expect(await spoolFiles(dir)).toEqual([]);
  });

  it('a write failing while the spool waits for the disk, and a spool file gone before the write pass, are SPOOL_FAILED too', async () => {
    const dir = await tempDir('tb-spool-');
    const spool = await RowSpool.create(dir, 'late', 'r', encoder);
    const out = (spool as unknown as { out: WriteStream }).out;
    // Fill past the flush threshold; the flush's write is larger than the stream buffer, so it waits for 'drain'.
    let waiting: Promise<void> | undefined;
    for (let i = 1; waiting === undefined; i++) waiting = spool.add(cells(i, 'secret-label', null, ['x'.repeat(200)]));
    out.destroy(Object.assign(new Error('i/o error'), { code: 'EIO' }));
    const err = await waiting.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect((err as IngestError).code).toBe('SPOOL_FAILED');
    expect((err as IngestError).message).toContain('EIO');
    expect((err as IngestError).message).not.toContain('secret');
    await spool.remove();

    const gone = await RowSpool.create(dir, 'gone', 'r', encoder);
    gone.add(cells(1, 'l', null, ['v']));
    await gone.finish();
    await rm(gone.file);
    const readErr = await (async () => {
      for await (const _ of gone.readChunks()) void _;
    })().catch((e: unknown) => e);
    expect((readErr as IngestError).code).toBe('SPOOL_FAILED');
    expect((readErr as IngestError).message).toContain('ENOENT');
  });

  it('an unusable spool directory is SPOOL_FAILED at create', async () => {
    const dir = await tempDir('tb-spool-');
    const notADir = path.join(dir, 'file');
    await writeFile(notADir, 'x');
    const err = await RowSpool.create(path.join(notADir, 'spool'), 't', 'r', encoder).catch((e: unknown) => e);
    expect((err as IngestError).code).toBe('SPOOL_FAILED');
  });
});
