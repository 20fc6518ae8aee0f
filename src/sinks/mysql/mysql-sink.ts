import { setTimeout as sleep } from 'node:timers/promises';
import type { RowDataPacket } from 'mysql2/promise';
import { IngestError } from '../../errors.js';
import type { Plan } from '../../config/types.js';
import type { OutRow, RowSink, RunInfo, RunOutcome } from '../types.js';
import { connectOnce, waitForMysql, type Connection } from './connect.js';
import {
  createDatabaseSql,
  createTableSql,
  insertSql,
  META_TABLE_SQL,
  quoteId,
  RUNS_TABLE,
  RUNS_TABLE_COLUMNS,
  RUNS_TABLE_SQL,
} from './ddl.js';
import type { MysqlSettings } from './settings.js';
import { isAmbiguousCommit, isTransientMysqlError, mysqlErrorLabel } from './transient.js';

export interface MysqlSinkOptions {
  /** Attempts per batch on transient errors (deadlock, lost connection …). */
  maxAttempts?: number;
  /** First backoff delay in ms; doubles per attempt. */
  baseDelayMs?: number;
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; code: string }) => void;
}

/**
 * Writes rows to the cluster-local MySQL: one transaction per batch, multi-row INSERT, retries of
 * transient failures (a batch whose commit may have landed is checked, never inserted twice).
 */
export class MysqlSink implements RowSink {
  readonly kind = 'mysql' as const;
  readonly where: string;
  private conn: Connection | null = null;
  private run: RunInfo | null = null;
  private readonly sql: string;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(
    private readonly plan: Plan,
    private readonly settings: MysqlSettings,
    private readonly options: MysqlSinkOptions = {},
  ) {
    this.where = `mysql://${settings.host}:${settings.port}/${settings.database}.${plan.table}`;
    this.sql = insertSql(plan);
    this.maxAttempts = options.maxAttempts ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 250;
  }

  async preflight(): Promise<void> {
    this.conn = await waitForMysql(this.settings, this.options.signal);
    await this.refuseNonEmptyTable();
  }

  /** A table that holds rows is a dataset: never appended to or replaced by a new run. */
  private async refuseNonEmptyTable(): Promise<void> {
    const rows = await this.select<{ n: number }>(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [this.settings.database, this.plan.table],
    );
    if (Number(rows[0]?.n ?? 0) === 0) return;
    const count = await this.select<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${quoteId(this.settings.database)}.${quoteId(this.plan.table)}`,
    );
    if (Number(count[0]?.n ?? 0) > 0) {
      throw new IngestError(
        'TABLE_NOT_EMPTY',
        `table ${this.plan.table} already holds a dataset; delete it first (tracebloc data delete) or choose another table name`,
        { file: this.where },
      );
    }
  }

  async open(run: RunInfo): Promise<void> {
    this.run = run;
    const conn = await this.connection();
    await conn.query(createDatabaseSql(this.settings.database));
    await conn.changeUser({ database: this.settings.database });
    await conn.query(RUNS_TABLE_SQL);
    await this.ensureRunColumns(conn);
    await conn.query(META_TABLE_SQL);
    // An empty leftover table (a crash between CREATE and the first commit) is recreated.
    await this.refuseNonEmptyTable();
    await conn.query(`DROP TABLE IF EXISTS ${quoteId(this.plan.table)}`);
    await conn.query(createTableSql(this.plan));
    await conn.query(
      `INSERT INTO ${quoteId(RUNS_TABLE)} (ingestor_id, table_name, task, started_at, status, correlation_id, config_hash)
       VALUES (?, ?, ?, ?, 'running', ?, ?)`,
      [run.ingestorId, this.plan.table, this.plan.category, run.startedAt, run.correlationId, this.plan.configHash],
    );
  }

  async write(rows: readonly OutRow[]): Promise<void> {
    if (rows.length === 0) return;
    const run = this.run;
    if (run === null) throw new IngestError('INTERNAL', 'write before open');
    const values = rows.map((r) => [
      r.label,
      this.plan.intent,
      r.dataId,
      r.filename,
      r.extension,
      r.annotation,
      run.ingestorId,
      ...r.values,
    ]);
    let ambiguous = false;
    for (let attempt = 1; ; attempt++) {
      try {
        const conn = await this.connection();
        if (ambiguous && (await this.landed(conn, rows))) return;
        await conn.beginTransaction();
        await conn.query(this.sql, [values]);
        await conn.commit();
        return;
      } catch (err) {
        ambiguous ||= isAmbiguousCommit(err);
        await this.discardConnection(err);
        const code = mysqlErrorLabel(err);
        if (!isTransientMysqlError(err) || attempt >= this.maxAttempts || this.options.signal?.aborted) {
          throw new IngestError('MYSQL_FAILED', `inserting a batch into ${this.plan.table} failed (${code})`, {
            status: code,
          });
        }
        this.options.onRetry?.({ attempt, code });
        await sleep(this.baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  async finish(outcome: RunOutcome): Promise<void> {
    if (this.run === null) return;
    const c = outcome.counters;
    const conn = await this.connection();
    await conn.query(
      `UPDATE ${quoteId(RUNS_TABLE)} SET status = ?, finished_at = ?, total_records = ?, inserted = ?, sent = ?,
         skipped = ?, file_failures = ?, failed_inserts = ?, summary = ? WHERE ingestor_id = ?`,
      [
        outcome.status,
        new Date(),
        c['total'] ?? 0,
        c['inserted'] ?? 0,
        c['sent'] ?? 0,
        c['skipped'] ?? 0,
        c['fileFailures'] ?? 0,
        c['failedInserts'] ?? 0,
        JSON.stringify(outcome.summary),
        this.run.ingestorId,
      ],
    );
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = null;
    if (conn) await conn.end().catch(() => conn.destroy());
  }

  private async connection(): Promise<Connection> {
    if (this.conn === null) {
      this.conn = await connectOnce(this.settings, this.run ? this.settings.database : undefined);
    }
    return this.conn;
  }

  private async discardConnection(err: unknown): Promise<void> {
    const conn = this.conn;
    if (conn === null) return;
    if ((err as { fatal?: boolean }).fatal) {
      this.conn = null;
      conn.destroy();
      return;
    }
    await conn.rollback().catch(() => {
      this.conn = null;
      conn.destroy();
    });
  }

  /** After an ambiguous commit: did the batch land? (data_id is unique, the batch is atomic.) */
  private async landed(conn: Connection, rows: readonly OutRow[]): Promise<boolean> {
    const [found] = await conn.query<RowDataPacket[]>(
      `SELECT 1 FROM ${quoteId(this.plan.table)} WHERE data_id = ? LIMIT 1`,
      [rows[0]!.dataId],
    );
    return found.length > 0;
  }

  private async ensureRunColumns(conn: Connection): Promise<void> {
    const [existing] = await conn.query<RowDataPacket[]>(
      'SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [this.settings.database, RUNS_TABLE],
    );
    const have = new Set(existing.map((r) => String(r['name']).toLowerCase()));
    for (const [name, type] of RUNS_TABLE_COLUMNS) {
      if (!have.has(name)) await conn.query(`ALTER TABLE ${quoteId(RUNS_TABLE)} ADD COLUMN ${quoteId(name)} ${type}`);
    }
  }

  private async select<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    // COUNT(*) is a BIGINT: with bigNumberStrings it arrives as a string; callers use Number().
    const conn = await this.connection();
    const [rows] = await conn.query<RowDataPacket[]>(sql, params);
    return rows as unknown as T[];
  }
}
