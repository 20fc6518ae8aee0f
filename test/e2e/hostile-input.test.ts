import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../support/cli.js';
import { useServices } from '../support/e2e.js';
import { tempDir } from '../support/tmp.js';

/**
 * Hostile and broken input: each case must end with a clear, coded error that locates the
 * problem, echoes no cell value, and leaves nothing behind (no table, no files, no backend call).
 */
const TOKEN = 'hostile-token';
const SECRET = 'S3CR3T-CELL';
const svc = useServices('hostile', TOKEN);
let root: string;
let jpeg: Buffer;

beforeAll(async () => {
  root = await tempDir('tb-hostile-');
  jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#336699' } }).jpeg().toBuffer();
});

/** `run` of `config` with `dir` as storage root, against this file's database and backend. */
function runIn(dir: string, config: string): Promise<CliRun> {
  return runCli(['run', config, '--storage-root', dir, '--out', path.join(dir, 'out')], { env: svc.env() });
}

type Files = Record<string, string | Buffer>;

interface Case {
  name: string;
  files: Files;
  /** Extra YAML lines; the default is a tabular_classification config over d.csv with schema x INT, y label. */
  config?: string;
  exit: number;
  code: string;
  where?: string[];
}

const tabular = (table: string, extra = 'schema:\n  x: INT\nlabel: y\n', source = 'csv: d.csv') =>
  `apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: ${table}\nintent: train\ncategory: tabular_classification\n${source}\n${extra}`;
const images = (table: string) =>
  `apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: ${table}\nintent: train\ncategory: image_classification\ncsv: d.csv\nimages: images/\nlabel: y\nspec:\n  file_options:\n    target_size: [32, 32]\n    extension: .jpg\n`;

/** A PNG whose header declares `w`×`h` pixels but holds almost nothing: a decompression bomb's header. */
function pngHeader(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', Buffer.alloc(0)), chunk('IEND', Buffer.alloc(0))]);
}

const CASES: Case[] = [
  { name: 'ragged row', files: { 'd.csv': 'x,y\n1,a\n2,b,extra\n' }, exit: 3, code: 'CSV_RAGGED_ROW', where: [':3'] },
  { name: 'unclosed quote', files: { 'd.csv': `x,y\n1,"${SECRET}\n2,b\n` }, exit: 3, code: 'CSV_SYNTAX' },
  { name: 'NUL byte in a cell', files: { 'd.csv': `x,y,z\n1,a,${SECRET}\u0000\n` }, config: 'schema:\n  x: INT\n  z: VARCHAR(40)\nlabel: y\n', exit: 3, code: 'CAST_INVALID', where: ['row 1', 'column "z"'] },
  { name: 'NUL byte in the header', files: { 'd.csv': 'x,y,b\u0000d\n1,a,2\n' }, exit: 3, code: 'CSV_HEADER_INVALID' },
  { name: 'bytes that are not UTF-8', files: { 'd.csv': Buffer.concat([Buffer.from('x,y\n1,a\n2,'), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]) }, exit: 3, code: 'SOURCE_ENCODING', where: [':3'] },
  { name: 'duplicate header', files: { 'd.csv': 'x,y,x\n1,a,2\n' }, exit: 3, code: 'CSV_HEADER_INVALID' },
  { name: 'empty header name', files: { 'd.csv': 'x,y,\n1,a,2\n' }, exit: 3, code: 'CSV_HEADER_INVALID' },
  { name: 'NaN', files: { 'd.csv': 'x,y,f\n1,a,NaN\n' }, config: 'schema:\n  x: INT\n  f: DOUBLE\nlabel: y\n', exit: 3, code: 'CAST_NOT_FINITE', where: ['row 1', 'column "f"'] },
  { name: 'Infinity', files: { 'd.csv': 'x,y,f\n1,a,2\n2,b,-Infinity\n' }, config: 'schema:\n  x: INT\n  f: DOUBLE\nlabel: y\n', exit: 3, code: 'CAST_NOT_FINITE', where: ['row 2'] },
  { name: '1e400', files: { 'd.csv': 'x,y,f\n1,a,1e400\n' }, config: 'schema:\n  x: INT\n  f: DOUBLE\nlabel: y\n', exit: 3, code: 'CAST_OVERFLOW', where: ['row 1', 'column "f"'] },
  { name: 'ambiguous date', files: { 'd.csv': 'x,y,d\n1,a,2024-01-02\n2,b,03/04/2024\n' }, config: 'schema:\n  x: INT\n  d: DATE\nlabel: y\n', exit: 3, code: 'CAST_AMBIGUOUS_DATE', where: ['row 2', 'column "d"'] },
  { name: 'empty CSV', files: { 'd.csv': '' }, exit: 3, code: 'SOURCE_EMPTY' },
  { name: 'header only', files: { 'd.csv': 'x,y\n' }, exit: 3, code: 'SOURCE_EMPTY' },
  { name: 'a 65-character column name', files: { 'd.csv': 'x,y\n1,a\n' }, config: `schema:\n  ${'c'.repeat(65)}: INT\nlabel: y\n`, exit: 2, code: 'CONFIG_INVALID', where: ['ingest.yaml:'] },
  { name: 'a 100 MB single field', files: {}, exit: 3, code: 'SOURCE_TOO_LARGE' },
  { name: '../ file reference', files: { 'd.csv': 'filename,y\n../outside.jpg,a\n', 'outside.jpg': Buffer.alloc(0) }, config: 'images', exit: 3, code: 'FILE_OUTSIDE_ROOT', where: ['row 1', 'column "filename"'] },
  { name: 'absolute file reference', files: { 'd.csv': 'filename,y\n/etc/hostname.jpg,a\n' }, config: 'images', exit: 3, code: 'FILE_OUTSIDE_ROOT', where: ['row 1'] },
  { name: 'symlink pointing out of the PVC', files: { 'd.csv': 'filename,y\nlink.jpg,a\n' }, config: 'images', exit: 3, code: 'FILE_OUTSIDE_ROOT', where: ['row 1', 'link.jpg'] },
  { name: 'zero-byte image', files: { 'd.csv': 'filename,y\nzero.jpg,a\n', 'images/zero.jpg': Buffer.alloc(0) }, config: 'images', exit: 3, code: 'FILE_DECODE', where: ['row 1', 'zero.jpg'] },
  { name: 'truncated image', files: { 'd.csv': 'filename,y\ncut.jpg,a\n' }, config: 'images', exit: 3, code: 'FILE_DECODE', where: ['row 1', 'cut.jpg'] },
  { name: 'decompression bomb', files: { 'd.csv': 'filename,y\nbomb.png,a\n', 'images/bomb.png': pngHeader(60_000, 60_000) }, config: 'images-png', exit: 3, code: 'FILE_TOO_LARGE', where: ['row 1', 'bomb.png'] },
];

async function prepare(c: Case, i: number): Promise<{ dir: string; table: string; config: string }> {
  const table = `h${i}`;
  const dir = path.join(root, table);
  await mkdir(path.join(dir, 'images'), { recursive: true });
  for (const [rel, content] of Object.entries(c.files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  if (c.name === 'a 100 MB single field') {
    await writeFile(path.join(dir, 'd.csv'), `x,y\n1,"${'z'.repeat(100 * 1024 * 1024)}"\n`);
  }
  if (c.name === 'symlink pointing out of the PVC') {
    await writeFile(path.join(root, 'outside-pvc.jpg'), jpeg);
    await symlink(path.join(root, 'outside-pvc.jpg'), path.join(dir, 'images', 'link.jpg'));
  }
  if (c.name === 'truncated image') await writeFile(path.join(dir, 'images', 'cut.jpg'), jpeg.subarray(0, jpeg.length - 100));
  let yaml: string;
  if (c.config === 'images') yaml = images(table);
  else if (c.config === 'images-png') yaml = images(table).replace('extension: .jpg', 'extension: .png').replace('target_size: [32, 32]', 'exact_size: false');
  else yaml = tabular(table, c.config);
  const config = path.join(dir, 'ingest.yaml');
  await writeFile(config, yaml);
  return { dir, table, config };
}

describe('hostile and broken input fails before anything is written', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', async (_name, c, i) => {
    const { dir, table, config } = await prepare(c, i);
    const before = svc.backend.requests.length;
    const r = await runIn(dir, config);
    expect(r.code, r.stderr).toBe(c.exit);
    expect(r.stderr).toContain(`[${c.code}]`);
    for (const w of c.where ?? []) expect(r.stderr).toContain(w);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(await svc.db.tableExists(table)).toBe(false);
    expect(svc.backend.requests.length).toBe(before);
    expect((await readdir(dir)).filter((e) => e === table || e === 'out')).toEqual([]);
  });

  it('a header that looks like SQL is only ever an identifier', async () => {
    const dir = path.join(root, 'sqlish');
    await mkdir(dir, { recursive: true });
    const column = 'a; DROP TABLE tracebloc_ingest_runs; --';
    await writeFile(path.join(dir, 'd.csv'), `"${column}",y\n1,a\n2,b\n`);
    const config = path.join(dir, 'ingest.yaml');
    await writeFile(config, tabular('sqlish', `schema:\n  "${column}": INT\nlabel: y\n`));
    const r = await runIn(dir, config);
    expect(r.code, r.stderr).toBe(0);
    const rows = await svc.db.query<Record<string, unknown>>(`SELECT \`${column}\` AS v FROM sqlish ORDER BY id`);
    expect(rows.map((x) => x['v'])).toEqual([1, 2]);
    expect(await svc.db.tableExists('tracebloc_ingest_runs')).toBe(true);
  });

  it('a backtick in a column name is refused by validate', async () => {
    const dir = path.join(root, 'backtick');
    await mkdir(dir, { recursive: true });
    const config = path.join(dir, 'ingest.yaml');
    await writeFile(config, tabular('backtick', 'schema:\n  "x`y": INT\nlabel: y\n'));
    const r = await runCli(['validate', config]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/schema/');
  });

  it('a UTF-8 BOM and CRLF line ends are handled, not refused', async () => {
    const dir = path.join(root, 'bomcrlf');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'd.csv'), '\uFEFFx,y\r\n1,a\r\n2,b\r\n');
    const config = path.join(dir, 'ingest.yaml');
    await writeFile(config, tabular('bomcrlf'));
    const r = await runIn(dir, config);
    expect(r.code, r.stderr).toBe(0);
    const rows = await svc.db.query<{ x: number; label: string }>('SELECT x, label FROM bomcrlf ORDER BY id');
    expect(rows).toEqual([
      { x: 1, label: 'a' },
      { x: 2, label: 'b' },
    ]);
  });
});
