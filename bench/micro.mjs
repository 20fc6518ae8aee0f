#!/usr/bin/env node
// Micro-measurements behind the recommendations in BENCHMARKS.md: the cost per row of each piece
// of the tabular hot path, in isolation, on the benchmark's own 200k-row CSV, and a prototype of
// the recommended write path (CSV → checked values → TSV stream → LOAD DATA LOCAL INFILE).
//
//   node --expose-gc bench/micro.mjs [--rows 200000] [--skip-mysql] [--skip-images]
//
// Generates the datasets if missing (same cache as bench/run.mjs). Talks to 127.0.0.1 only.
import { createReadStream } from 'node:fs';
import { createCipheriv, createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse';
import mysql from 'mysql2/promise';
import { format as sqlFormat } from 'mysql2';
import { v4 as uuidv4 } from 'uuid';
import { ensureImages, ensureTabular, LOAD_COLUMNS, TABULAR_COLUMNS } from './lib/datasets.mjs';
import { cpuSecondsOf, findMysqld } from './lib/measure.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.join(REPO, 'bench', '.data');
const { values: opts } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    'skip-mysql': { type: 'boolean', default: false },
    'skip-images': { type: 'boolean', default: false },
  },
});
const ROWS = Number(opts.rows);
const data = ensureTabular(DATA, ROWS, (m) => process.stderr.write(`[micro] ${m}\n`));
const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
const MYSQLD = findMysqld();
const mysqldCpu = () => cpuSecondsOf(MYSQLD);

const results = [];
async function measure(name, fn, n = ROWS) {
  if (global.gc) global.gc();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const r = { name, ms: Math.round(ms), us_per_row: +((ms * 1000) / n).toFixed(2), cpu_ms: Math.round((c.user + c.system) / 1000) };
  results.push(r);
  process.stdout.write(JSON.stringify(r) + '\n');
  return out;
}

// --- 1. CSV parsing (pass 1 and pass 2 each do this) ---------------------------------------------
async function csvParse(info) {
  const parser = parse({ bom: true, info, skip_empty_lines: true, relax_column_count: false });
  createReadStream(data.csv).pipe(parser);
  let n = 0;
  for await (const rec of parser) n += info ? rec.record.length : rec.length;
  return n;
}
await measure('csv-parse info:true, async iterator (as src/sources/csv.ts)', () => csvParse(true));
await measure('csv-parse info:false, async iterator', () => csvParse(false));

/** Quote-free fast path: lines and commas only (a real one falls back to csv-parse on a quote). */
async function* fastLines(file) {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + chunk;
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      rest = text;
      continue;
    }
    rest = text.slice(end + 1);
    yield text.slice(0, end).split('\n');
  }
  if (rest) yield [rest];
}
await measure('fast path: split lines + split(",") per 1 MiB chunk, one await per chunk', async () => {
  let n = 0;
  let header = true;
  for await (const lines of fastLines(data.csv)) {
    for (const line of lines) {
      if (header) {
        header = false;
        continue;
      }
      n += line.split(',').length;
    }
  }
  return n;
});

// --- 2. per-row work of the write pass -----------------------------------------------------------
await measure('uuid v4() (npm uuid) × rows', () => {
  let s = 0;
  for (let i = 0; i < ROWS; i++) s += uuidv4().length;
  return s;
});
await measure('crypto.randomUUID() × rows', () => {
  let s = 0;
  for (let i = 0; i < ROWS; i++) s += randomUUID().length;
  return s;
});

// Rows as the write pass holds them: numbers (cast) plus text columns.
const rows = [];
{
  let header = true;
  for await (const lines of fastLines(data.csv)) {
    for (const line of lines) {
      if (header) {
        header = false;
        continue;
      }
      const cells = line.split(',');
      rows.push({ text: cells, values: cells.map(Number), label: cells[cells.length - 1], dataId: randomUUID() });
    }
  }
}
const INGESTOR = randomUUID();

// data_id derivation (src/keys/data-id.ts: HMAC-SHA256 over the row number and every cell)
const SALT = Buffer.from(randomBytes(32).toString('hex'));
await measure('data_id: createHmac per row, update(row) + one update per cell, digest (as src/keys/data-id.ts)', () => {
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    const mac = createHmac('sha256', SALT);
    mac.update(String(i + 1));
    for (const cell of rows[i].text) mac.update(`\u001f${cell}`);
    n += mac.digest()[0];
  }
  return n;
});
await measure('data_id: createHmac per row, ONE update with the joined identity string', () => {
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    n += createHmac('sha256', SALT).update(`${i + 1}\u001f${rows[i].text.join('\u001f')}`).digest()[0];
  }
  return n;
});
await measure('data_id: AES-128-ECB of the row numbers, one cipher call per 1000 rows, + UUID text (keyed permutation: unique by construction)', () => {
  const key = createHash('sha256').update(SALT).digest().subarray(0, 16);
  const HEXB = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
  let n = 0;
  for (let start = 0; start < rows.length; start += 1000) {
    const count = Math.min(1000, rows.length - start);
    const blocks = Buffer.alloc(count * 16);
    for (let j = 0; j < count; j++) blocks.writeBigUInt64BE(BigInt(start + j + 1), j * 16 + 8);
    const cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
    const out = Buffer.concat([cipher.update(blocks), cipher.final()]);
    for (let j = 0; j < count; j++) {
      const o = j * 16;
      const h = (k) => HEXB[out[o + k]];
      const id = `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${HEXB[(out[o + 6] & 0x0f) | 0x80]}${h(7)}-${HEXB[(out[o + 8] & 0x3f) | 0x80]}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
      n += id.length;
    }
  }
  return n;
});
await measure('data_id: HMAC key schedule once (inner/outer SHA-256 states copied per row), same bytes as HMAC', () => {
  // HMAC(K, m) = H((K^opad) || H((K^ipad) || m)); the two keyed states are computed once.
  const block = Buffer.alloc(64);
  SALT.copy(block);
  const ipad = Buffer.from(block.map((b) => b ^ 0x36));
  const opad = Buffer.from(block.map((b) => b ^ 0x5c));
  const inner0 = createHash('sha256').update(ipad);
  const outer0 = createHash('sha256').update(opad);
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    const inner = inner0.copy().update(`${i + 1}\u001f${rows[i].text.join('\u001f')}`).digest();
    n += outer0.copy().update(inner).digest()[0];
  }
  return n;
});
const insertSql = `INSERT INTO t (${LOAD_COLUMNS.map((c) => '`' + c + '`').join(', ')}) VALUES ?`;
await measure('mysql2 format() of 1000-row INSERT + Buffer.byteLength (as MysqlSink.write)', () => {
  let bytes = 0;
  for (let i = 0; i < rows.length; i += 1000) {
    const values = rows.slice(i, i + 1000).map((r) => [r.label, 'train', r.dataId, null, null, null, INGESTOR, ...r.values]);
    bytes += Buffer.byteLength(sqlFormat(insertSql, [values]));
  }
  return bytes;
});
await measure('TSV lines from the checked source text (LOAD DATA payload), Buffer.from per 1000 rows', () => {
  let bytes = 0;
  for (let i = 0; i < rows.length; i += 1000) {
    let s = '';
    const end = Math.min(rows.length, i + 1000);
    for (let j = i; j < end; j++) {
      const r = rows[j];
      s += `${r.label}\ttrain\t${r.dataId}\t\\N\t\\N\t\\N\t${INGESTOR}\t${r.text.join('\t')}\n`;
    }
    bytes += Buffer.from(s).length;
  }
  return bytes;
});
await measure('backend body: JSON.stringify of 1000 {data_id,…} objects (as BackendClient.sendRows)', () => {
  let bytes = 0;
  for (let i = 0; i < rows.length; i += 1000) {
    const body = rows.slice(i, i + 1000).map((r) => ({ data_id: r.dataId, data_intent: 'train', label: 3, is_sample: false, injestor_id: INGESTOR }));
    bytes += JSON.stringify(body).length;
  }
  return bytes;
});
await measure('backend body: template string per row (ids are [0-9a-f-], labels numbers)', () => {
  let bytes = 0;
  for (let i = 0; i < rows.length; i += 1000) {
    let s = '[';
    const end = Math.min(rows.length, i + 1000);
    for (let j = i; j < end; j++) {
      s += `${j > i ? ',' : ''}{"data_id":"${rows[j].dataId}","data_intent":"train","label":3,"is_sample":false,"injestor_id":"${INGESTOR}"}`;
    }
    bytes += (s + ']').length;
  }
  return bytes;
});

// --- 3. prototype: CSV → check → TSV stream → LOAD DATA (one pass, no INSERT text) ----------------
// Rows go to the server in ~1000-row chunks with a turn of the event loop between them, so the
// client's parsing (one core) overlaps the server's loading (the other core).
async function* tsvChunks(rowsPerChunk) {
  let header = true;
  for await (const lines of fastLines(data.csv)) {
    if (header) {
      lines.shift();
      header = false;
    }
    for (let i = 0; i < lines.length; i += rowsPerChunk) {
      let s = '';
      const end = Math.min(lines.length, i + rowsPerChunk);
      for (let j = i; j < end; j++) {
        const cells = lines[j].split(',');
        for (const c of cells) if (c === '' || !Number.isFinite(Number(c))) throw new Error('bad cell');
        s += `${cells[cells.length - 1]}\ttrain\t${randomUUID()}\t\\N\t\\N\t\\N\t${INGESTOR}\t${cells.join('\t')}\n`;
      }
      yield Buffer.from(s);
      await new Promise(setImmediate);
    }
  }
}

if (!opts['skip-mysql']) {
  const { loadPlan } = await import(path.join(REPO, 'dist', 'config', 'load-config.js'));
  const { createTableSql } = await import(path.join(REPO, 'dist', 'sinks', 'mysql', 'ddl.js'));
  const { writeFileSync, mkdirSync, rmSync } = await import('node:fs');
  const dir = path.join(DATA, 'micro');
  mkdirSync(dir, { recursive: true });
  const yaml = path.join(dir, 'ingest.yaml');
  writeFileSync(
    yaml,
    ['apiVersion: tracebloc.io/v1', 'kind: IngestConfig', 'table: bench_tabular', 'intent: train', 'category: tabular_regression',
      'csv: /data/shared/x.csv', 'schema:', ...TABULAR_COLUMNS.map((c) => `  ${c}: DOUBLE`), 'label:', '  column: target', '  policy: bucket', ''].join('\n'),
  );
  const { plan } = await loadPlan(yaml, { storageRoot: dir });
  const cols = LOAD_COLUMNS.map((c) => '`' + c + '`').join(', ');
  const sql = `LOAD DATA LOCAL INFILE 'stream' INTO TABLE \`bench_tabular\` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${cols})`;

  const variants = [
    ['LOAD DATA of the pre-built TSV file (the limit)', () => createReadStream(data.tsv, { highWaterMark: 1 << 20 })],
    ['prototype: fast parse + Number() check + TSV built on the fly → LOAD DATA, 1000-row chunks', () => Readable.from(tsvChunks(1000))],
    ['same, 10000-row chunks (less overlap)', () => Readable.from(tsvChunks(10_000))],
  ];
  for (const [name, factory] of variants) {
    const database = `bench_micro_${randomBytes(3).toString('hex')}`;
    const conn = await mysql.createConnection({ ...MYSQL, charset: 'utf8mb4_general_ci' });
    try {
      await conn.query(`CREATE DATABASE \`${database}\``);
      await conn.changeUser({ database });
      await conn.query(createTableSql(plan));
      const d0 = mysqldCpu();
      await measure(name, async () => {
        const [r] = await conn.query({ sql, infileStreamFactory: factory });
        if (r.affectedRows !== ROWS) throw new Error(`loaded ${r.affectedRows}`);
      });
      const d1 = mysqldCpu();
      if (d0 !== null) results[results.length - 1].mysqld_cpu_ms = Math.round((d1 - d0) * 1000);
      process.stdout.write(JSON.stringify({ name: '  … mysqld CPU meanwhile', cpu_ms: results[results.length - 1].mysqld_cpu_ms }) + '\n');
    } finally {
      await conn.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
      await conn.end();
    }
  }

  // The INSERT fallback's ceiling: the same rows as pre-built 1000-row INSERT statements (client
  // formatting excluded), one transaction each, back to back on one connection.
  {
    const database = `bench_micro_${randomBytes(3).toString('hex')}`;
    const conn = await mysql.createConnection({ ...MYSQL, charset: 'utf8mb4_general_ci' });
    try {
      await conn.query(`CREATE DATABASE \`${database}\``);
      await conn.changeUser({ database });
      await conn.query(createTableSql(plan));
      const statements = [];
      const insert = `INSERT INTO \`bench_tabular\` (${cols}) VALUES ?`;
      for (let i = 0; i < rows.length; i += 1000) {
        statements.push(sqlFormat(insert, [rows.slice(i, i + 1000).map((r) => [r.label, 'train', r.dataId, null, null, null, INGESTOR, ...r.text])]));
      }
      const d0 = mysqldCpu();
      await measure('multi-row INSERT ceiling: pre-built 1000-row statements, one transaction each, one connection', async () => {
        for (const q of statements) {
          await conn.query('BEGIN');
          await conn.query(q);
          await conn.query('COMMIT');
        }
      });
      const d1 = mysqldCpu();
      if (d0 !== null) results[results.length - 1].mysqld_cpu_ms = Math.round((d1 - d0) * 1000);
      process.stdout.write(JSON.stringify({ name: '  … mysqld CPU meanwhile', cpu_ms: results[results.length - 1].mysqld_cpu_ms }) + '\n');
    } finally {
      await conn.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
      await conn.end();
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

// --- 4. images: header probe vs full decode vs copy (the 768×768 set) ----------------------------
if (!opts['skip-images']) {
  const { default: sharp } = await import('sharp');
  const { copyFile, mkdir, rm } = await import('node:fs/promises');
  const { constants } = await import('node:fs');
  const set = await ensureImages(DATA, 'fixed', 2000, (m) => process.stderr.write(`[micro] ${m}\n`));
  const pool = async (n, fn) => {
    let next = 0;
    await Promise.all(Array.from({ length: n }, async () => {
      for (let i = next++; i < set.files.length; i = next++) await fn(i);
    }));
  };
  process.stdout.write(JSON.stringify({ name: 'sharp.concurrency() (libvips threads per image op)', value: sharp.concurrency() }) + '\n');
  for (const n of [2, 4]) {
    await measure(`images: sharp metadata() (header probe), ${n} in flight`, () => pool(n, (i) => sharp(set.files[i]).metadata()), set.files.length);
  }
  for (const n of [2, 4]) {
    await measure(`images: full decode sharp(...).raw().toBuffer(), ${n} in flight`, () => pool(n, (i) => sharp(set.files[i]).raw().toBuffer()), set.files.length);
  }
  await measure('images: full decode, sharp failOn:"truncated" + .stats() (checks every pixel), 2 in flight', () => pool(2, (i) => sharp(set.files[i], { failOn: 'truncated' }).stats()), set.files.length);
  const dest = path.join(DATA, 'micro-copy');
  for (const [label, n, mode] of [['copyFile', 2, 0], ['copyFile', 4, 0], ['copyFile', 8, 0], ['copyFile COPYFILE_FICLONE (reflink where the fs can)', 4, constants.COPYFILE_FICLONE]]) {
    await rm(dest, { recursive: true, force: true });
    await mkdir(dest, { recursive: true });
    await measure(`images: ${label}, ${n} in flight`, () => pool(n, (i) => copyFile(set.files[i], path.join(dest, set.names[i]), mode)), set.files.length);
  }
  await rm(dest, { recursive: true, force: true });
}
