import type { Plan } from '../../config/types.js';
import { PLATFORM_COLUMNS } from '../../config/platform-layout.js';

/** Quotes a MySQL identifier (names were validated: no NUL, at most 64 characters). */
export function quoteId(name: string): string {
  return '`' + name.replaceAll('`', '``') + '`';
}

/** Platform columns the server fills itself. */
const SERVER_FILLED: ReadonlySet<string> = new Set(['id', 'created_at', 'updated_at', 'status']);

/** The platform columns a run writes, in insert order: label, data_intent, data_id, filename, extension, annotation, ingestor_id. */
export const PLATFORM_INSERT_COLUMNS: readonly string[] = PLATFORM_COLUMNS.filter((c) => !SERVER_FILLED.has(c));

export function createDatabaseSql(database: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteId(database)} CHARACTER SET utf8mb4`;
}

export function createTableSql(plan: Plan, options: { ifNotExists?: boolean } = {}): string {
  const features = plan.columns.map((c) => `  ${quoteId(c.name)} ${c.type.sql} NULL`);
  return [
    `CREATE TABLE ${options.ifNotExists ? 'IF NOT EXISTS ' : ''}${quoteId(plan.table)} (`,
    [
      '  `id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY',
      '  `created_at` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP',
      '  `updated_at` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP',
      '  `status` INT DEFAULT 0',
      `  \`label\` ${plan.longLabel ? 'TEXT' : 'VARCHAR(255)'} NULL`,
      '  `data_intent` VARCHAR(100) NULL',
      // Binary collation: two source ids differing only in case are two records.
      '  `data_id` VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL',
      '  `filename` VARCHAR(255) NULL',
      '  `extension` VARCHAR(10) NULL',
      '  `annotation` TEXT NULL',
      '  `ingestor_id` VARCHAR(255) NULL',
      ...features,
      '  UNIQUE KEY `uq_data_id` (`data_id`)',
    ].join(',\n'),
    ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
  ].join('\n');
}

/**
 * Column orders of a write. `rows`: an OutRow's fields in PLATFORM_INSERT_COLUMNS order, then the
 * features. `encoded`: the data_id and the run's constants first, then the columns of an encoded
 * row (MysqlSink.encodeRow), so a batch line is the data_id and a fixed prefix before the row's text.
 */
export type ColumnOrder = 'rows' | 'encoded';

/** The platform columns an encoded row holds, in order. */
export const ENCODED_ROW_COLUMNS: readonly string[] = ['label', 'filename', 'extension', 'annotation'];

function insertColumns(plan: Plan, order: ColumnOrder): string {
  const platform = order === 'rows' ? PLATFORM_INSERT_COLUMNS : ['data_id', 'data_intent', 'ingestor_id', ...ENCODED_ROW_COLUMNS];
  return [...platform, ...plan.columns.map((c) => c.name)].map(quoteId).join(', ');
}

/** `INSERT … VALUES ?` for mysql2's nested-array expansion. */
export function insertSql(plan: Plan, order: ColumnOrder = 'rows'): string {
  return `INSERT INTO ${quoteId(plan.table)} (${insertColumns(plan, order)}) VALUES ?`;
}

/** `LOAD DATA LOCAL INFILE` of tab-separated rows (see tsv.ts) into the same columns. */
export function loadDataSql(plan: Plan, order: ColumnOrder = 'rows'): string {
  return `LOAD DATA LOCAL INFILE 'batch.tsv' INTO TABLE ${quoteId(plan.table)} CHARACTER SET utf8mb4
    FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${insertColumns(plan, order)})`;
}

export const RUNS_TABLE = 'tracebloc_ingest_runs';
export const META_TABLE = 'tracebloc_ingest_meta';

/** Columns of the run-record table after its first five, in the order they were added to it (an older table lacks the later ones). */
export const RUNS_TABLE_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['correlation_id', 'VARCHAR(64) NULL'],
  ['config_hash', 'CHAR(64) NULL'],
  ['finished_at', 'DATETIME(3) NULL'],
  ['total_records', 'BIGINT NULL'],
  ['inserted', 'BIGINT NULL'],
  ['sent', 'BIGINT NULL'],
  ['skipped', 'BIGINT NULL'],
  ['file_failures', 'BIGINT NULL'],
  ['failed_inserts', 'BIGINT NULL'],
  ['summary', 'LONGTEXT NULL'],
  ['batch_size', 'INT NULL'],
  ['source_hash', 'CHAR(64) NULL'],
  ['batches_committed', 'INT NOT NULL DEFAULT 0'],
  ['batches_sent', 'INT NOT NULL DEFAULT 0'],
  ['registered_at', 'DATETIME(3) NULL'],
  // 'run': data_ids keyed by the run's id; NULL (runs recorded by earlier versions): by source_hash.
  ['id_scope', 'VARCHAR(16) NULL'],
  // What source_hash was taken over: 'bytes' (the source file); NULL (earlier versions): its records' cells.
  ['source_hash_kind', 'VARCHAR(16) NULL'],
];

/**
 * The run-record table with every column: a fresh database gets it in one statement. A table that
 * existed already (an older version made it) gets the columns it lacks one by one (`RUNS_TABLE_COLUMNS`).
 */
export const RUNS_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${quoteId(RUNS_TABLE)} (
  \`ingestor_id\` VARCHAR(255) NOT NULL PRIMARY KEY,
  \`table_name\` VARCHAR(64) NOT NULL,
  \`task\` VARCHAR(64) NULL,
  \`started_at\` DATETIME(3) NULL,
  \`status\` VARCHAR(32) NULL,
${RUNS_TABLE_COLUMNS.map(([name, type]) => `  ${quoteId(name)} ${type},\n`).join('')}  KEY \`ix_table_name\` (\`table_name\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;

export const META_TABLE_SQL = `CREATE TABLE IF NOT EXISTS ${quoteId(META_TABLE)} (
  \`table_name\` VARCHAR(64) NOT NULL PRIMARY KEY,
  \`salt\` CHAR(64) NULL,
  \`created_at\` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`;
