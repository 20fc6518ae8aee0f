// The machine's limits, measured in the same run as the ingestor, on the same rows and files.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import sharp from 'sharp';
import { LOAD_COLUMNS } from './datasets.mjs';

const q = (name) => '`' + name.replaceAll('`', '``') + '`';

/**
 * Makes sure the server accepts LOAD DATA LOCAL INFILE. Returns a note when the setting had to be
 * changed (SET GLOBAL local_infile = 1; acceptable on a benchmark/test server only).
 */
export async function ensureLocalInfile(conn) {
  const [rows] = await conn.query("SHOW GLOBAL VARIABLES LIKE 'local_infile'");
  const value = String(rows[0]?.Value ?? 'OFF').toUpperCase();
  if (value === 'ON' || value === '1') return { localInfile: 'ON', changed: false };
  await conn.query('SET GLOBAL local_infile = 1');
  return { localInfile: 'ON', changed: true };
}

/**
 * `LOAD DATA LOCAL INFILE` of `tsv` (same rows, same columns as the ingestor writes: label,
 * data_intent, data_id, …, features) into a table created by the ingestor's own DDL, in a fresh
 * database. One statement, autocommit (one transaction). Returns seconds and rows/s.
 */
export async function loadDataLimit({ mysqlSettings, database, createTableSql, table, tsv, rows }) {
  const conn = await mysql.createConnection({
    ...mysqlSettings,
    charset: 'utf8mb4_general_ci',
    timezone: 'Z',
    infileStreamFactory: () => createReadStream(tsv, { highWaterMark: 1 << 20 }),
  });
  try {
    const infile = await ensureLocalInfile(conn);
    await conn.query(`CREATE DATABASE ${q(database)} CHARACTER SET utf8mb4`);
    await conn.changeUser({ database });
    await conn.query("SET time_zone = '+00:00'");
    await conn.query(createTableSql);
    const sql =
      `LOAD DATA LOCAL INFILE 'bench.tsv' INTO TABLE ${q(table)} CHARACTER SET utf8mb4 ` +
      `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${LOAD_COLUMNS.map(q).join(', ')})`;
    const t0 = performance.now();
    const [result] = await conn.query({ sql });
    const seconds = (performance.now() - t0) / 1000;
    if (result.affectedRows !== rows) {
      throw new Error(`LOAD DATA loaded ${result.affectedRows} rows, expected ${rows}`);
    }
    if (result.warningStatus) throw new Error(`LOAD DATA produced ${result.warningStatus} warnings`);
    return { seconds, rowsPerS: rows / seconds, infile };
  } finally {
    await conn.query(`DROP DATABASE IF EXISTS ${q(database)}`).catch(() => undefined);
    await conn.end().catch(() => undefined);
  }
}

/**
 * For each image: sharp header probe (`metadata()`) then `fs.copyFile` into `destination`, with
 * `concurrency` images in flight (default: the number of cores). Returns seconds and images/s.
 */
export async function imageLimit({ files, names, destination, concurrency }) {
  await mkdir(destination, { recursive: true });
  let next = 0;
  let pixels = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= files.length) return;
      const meta = await sharp(files[i]).metadata();
      pixels += meta.width * meta.height;
      await copyFile(files[i], path.join(destination, names[i]), constants.COPYFILE_EXCL);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  if (pixels <= 0) throw new Error('image limit: no pixels read');
  return { seconds, rowsPerS: files.length / seconds };
}
