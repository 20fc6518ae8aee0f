import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Readable } from 'node:stream';
import { Utf8Pieces } from '../../bytes/utf8-pieces.js';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { CellValue } from '../../records/cast.js';
import { parseTsvLine, tsvRowEncoder, tsvRows, tsvValue } from './tsv.js';
import { IngestError } from '../../errors.js';
import type { Plan } from '../../config/types.js';
import type {
  BatchProgress,
  EncodedBatch,
  OpenedStage,
  OutRow,
  PriorRun,
  RowEncoder,
  RowSink,
  RowStage,
  RunIdentity,
  RunInfo,
  RunOutcome,
} from '../types.js';
import { connectOnce, waitForMysql, type Connection } from './connect.js';
import { packetSized, StreamedLoads } from './streamed-load.js';
import {
  createDatabaseSql,
  createTableSql,
  type ColumnOrder,
  insertSql,
  loadDataSql,
  META_TABLE,
  META_TABLE_SQL,
  quoteId,
  RUNS_TABLE,
  RUNS_TABLE_COLUMNS,
  RUNS_TABLE_SQL,
} from './ddl.js';
import type { MysqlSettings } from './settings.js';
import { isAmbiguousCommit, isTransientMysqlError, mysqlErrorLabel } from './transient.js';

/**
 * How batches are written. `auto` (default): LOAD DATA LOCAL INFILE from memory (the server's
 * fastest path), falling back to multi-row INSERT for good if the server or client refuses local
 * infile (MySQL 8 disables it by default). `insert`: always INSERT.
 */
export type WriteMethod = 'auto' | 'insert';

/** Server answers meaning "LOAD DATA LOCAL is not allowed here". */
const LOCAL_INFILE_REFUSED = new Set([1148, 3948, 2068]);

export interface MysqlSinkOptions {
  writeMethod?: WriteMethod;
  /** Attempts per statement group on transient errors (deadlock, lost connection …). */
  maxAttempts?: number;
  /** First backoff delay in ms; doubles per attempt. */
  baseDelayMs?: number;
  signal?: AbortSignal;
  onRetry?: (info: { attempt: number; code: string }) => void;
  /** Called once when the server refuses LOAD DATA LOCAL and writes fall back to INSERT. */
  onFallback?: (errno: number) => void;
  /** Called when the server refuses to commit the staged rows (they are then written batch by batch). */
  onStageRefused?: (code: string) => void;
  /** A LOAD DATA of the stage left without rows this long is ended (default STATEMENT_IDLE_MS; see StreamedLoads). */
  stageIdleMs?: number;
}

/** A connection the sink opens on demand and drops after a fatal error. */
interface ConnectionSlot {
  conn: Connection | null;
}

/** One batch, in whichever form it came: its LOAD DATA text and, for the INSERT fallback, its values. */
interface BatchData {
  readonly count: number;
  /** Checked after an ambiguous commit: the batch landed if its first row is there. */
  readonly firstDataId: string;
  /** The LOAD DATA text, in one or more buffers. */
  readonly tsv: () => readonly Buffer[];
  /** The INSERT fallback's rows, `per` at a time (one statement each). */
  readonly insertChunks: (per: number) => Iterable<CellValue[][]>;
  readonly order: ColumnOrder;
}

/**
 * Writes rows to the cluster-local MySQL: one transaction per batch (multi-row INSERT plus the
 * run's progress counter), retries of transient failures (a batch whose commit may have landed is
 * checked, never inserted twice), and the run record in `tracebloc_ingest_runs`.
 */
export class MysqlSink implements RowSink {
  readonly kind = 'mysql' as const;
  readonly where: string;
  /** Batches, the run record and everything else, one statement group after another (see inLane). */
  private readonly main: ConnectionSlot = { conn: null };
  /**
   * `batches_sent` marks. On their own connection so a mark never waits behind the next batch's
   * transaction (nor lands inside it): the next batch is written while the previous one is sent.
   */
  private readonly marks: ConnectionSlot = { conn: null };
  private run: RunInfo | null = null;
  /**
   * The check pass's rows (see `stage`): an open transaction on a connection of its own, committed by
   * `open`, and the table salt their data_ids were made with.
   */
  private staging: { conn: Connection; usable: boolean; salt: string; loads: StreamedLoads } | null = null;
  /** The opening of the stage, once `stage` was called (one per sink; never rejects): `open` and `close` wait for it first. */
  private stageOpening: Promise<unknown> | null = null;
  /** The database exists (connections may select it). */
  private databaseReady = false;
  /** Creating the database and the bookkeeping tables (prepareDatabase), once asked. */
  private preparing: Promise<void> | null = null;
  private readonly sql: string;
  private readonly loadSql: string;
  private readonly insertEncodedSql: string;
  private readonly loadEncodedSql: string;
  private useLoadData: boolean;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(
    private readonly plan: Plan,
    private readonly settings: MysqlSettings,
    private readonly options: MysqlSinkOptions = {},
  ) {
    this.where = `mysql://${settings.host}:${settings.port}/${settings.database}.${plan.table}`;
    this.sql = insertSql(plan);
    this.loadSql = loadDataSql(plan);
    this.insertEncodedSql = insertSql(plan, 'encoded');
    this.loadEncodedSql = loadDataSql(plan, 'encoded');
    this.encoder = tsvRowEncoder(plan);
    this.useLoadData = (options.writeMethod ?? 'auto') === 'auto';
    this.maxAttempts = options.maxAttempts ?? 6;
    this.baseDelayMs = options.baseDelayMs ?? 250;
  }

  async preflight(identity: RunIdentity): Promise<PriorRun | null> {
    this.main.conn = await waitForMysql(this.settings, this.options.signal);
    const rows = await this.tableRows();
    const prior = await this.latestRun(rows);
    const sameIngest =
      prior !== null &&
      prior.configHash === identity.configHash &&
      (identity.correlationId === null || prior.correlationId === null || prior.correlationId === identity.correlationId);
    if (rows === 0) {
      // Nothing committed yet. An unfinished attempt of this very ingest may still have copied
      // files of its first batch: continue it rather than start over on a non-empty destination.
      // Only an attempt that committed nothing: if the table was emptied after batches were
      // committed (a deleted dataset), those batches are gone and this is a fresh start.
      return sameIngest && !prior.run.registered && prior.run.batchesCommitted === 0 ? prior.run : null;
    }
    if (!sameIngest) {
      throw new IngestError(
        'TABLE_NOT_EMPTY',
        `table ${this.plan.table} already holds a dataset from another ingest; delete it first (tracebloc data delete) or choose another table name`,
        { file: this.where },
      );
    }
    return prior.run;
  }

  /**
   * Loads the check pass's rows as they come (`RowStage`), into the dataset table created empty now,
   * inside one transaction on a connection of its own: nobody sees them until `open` commits them
   * together with the run's record, so a refused run leaves nothing (the transaction is rolled back
   * and the empty table dropped), and a killed one neither (the server rolls the transaction back; the
   * empty table left is recreated by the next run). MySQL then loads while the source is checked.
   * Fresh runs only, and only while LOAD DATA LOCAL is allowed.
   */
  stage(run: { readonly ingestorId: string }): { readonly opening: Promise<OpenedStage | null> } | null {
    if (!this.useLoadData || this.stageOpening !== null) return null;
    const opening = this.openStage(run);
    this.stageOpening = opening.catch(() => undefined);
    return { opening };
  }

  private async openStage(run: { readonly ingestorId: string }): Promise<OpenedStage | null> {
    await this.prepareDatabase();
    const conn = await connectOnce(this.settings, this.settings.database);
    let salt: string;
    try {
      salt = await this.tableSalt(conn);
      if ((await this.tableRows()) > 0) {
        await conn.end();
        return null;
      }
      // A transaction of a vanished client may still hold the table: the DROP gives up after
      // LOCK_WAIT_SECONDS (set on every connection), and then the run does not stage.
      await conn.query(`DROP TABLE IF EXISTS ${quoteId(this.plan.table)}`);
      await conn.query(createTableSql(this.plan));
      await conn.beginTransaction();
    } catch (err) {
      conn.destroy();
      throw err;
    }
    const loads = new StreamedLoads(conn, this.loadEncodedSql, (result, rows) => this.checkLoaded(conn, result, rows, 'the stage', 'the stage is undone'), this.options.stageIdleMs);
    this.staging = { conn, usable: true, salt, loads };
    const stage: RowStage = {
      encode: (dataIds, rows) => this.encodeRows(run.ingestorId, dataIds, rows),
      load: (batch) => this.loadStaged(batch),
      seal: () => this.sealStage(),
      discard: (how) => this.discardStage(how),
    };
    return { stage, salt };
  }

  /** The stage's rows go into one LOAD DATA for as long as batches keep coming (StreamedLoads). */
  private async loadStaged(batch: EncodedBatch): Promise<void> {
    const staging = this.staging;
    if (staging === null || !staging.usable || staging.loads.sealed) throw new IngestError('INTERNAL', 'the stage is not open');
    try {
      await staging.loads.push(batch.payload, batch.count);
    } catch (err) {
      staging.usable = false;
      throw stageFailure(err);
    }
  }

  /** See RowStage.seal: ends the stage's LOAD DATA and checks that the server took every row. */
  private async sealStage(): Promise<void> {
    const staging = this.staging;
    if (staging === null || !staging.usable) throw new IngestError('INTERNAL', 'the stage is not open');
    if (staging.loads.sealed) return;
    try {
      await staging.loads.seal();
    } catch (err) {
      staging.usable = false;
      throw stageFailure(err);
    }
  }

  /** See RowStage.discard; nothing once `open` committed the stage. */
  private async discardStage(how: 'undo' | 'abandon'): Promise<void> {
    const staging = this.staging;
    if (staging === null) return;
    this.staging = null;
    const { conn } = staging;
    if (how === 'abandon') {
      // A load waiting for room fails at once: the destroyed connection never answers it.
      staging.loads.abort();
      conn.destroy();
      return;
    }
    try {
      // A LOAD DATA still reading its data ends first (the connection serves one statement at a time).
      await staging.loads.stop();
      await conn.rollback();
      await conn.query(`DROP TABLE IF EXISTS ${quoteId(this.plan.table)}`);
      await conn.end();
    } catch {
      conn.destroy();
    }
  }

  /** See RowSink.prepare. */
  prepare(): Promise<void> {
    return this.prepareDatabase();
  }

  /**
   * The database and the bookkeeping tables, created where missing. Once per sink, shared by whoever
   * asks first (the stage, `prepare` during the check pass, `open`); a caller that joins an attempt
   * that fails gets its failure (already retried: `retrying`), one that comes after it tries again.
   */
  private prepareDatabase(): Promise<void> {
    this.preparing ??= this.createBookkeeping().catch((err: unknown) => {
      this.preparing = null;
      throw err;
    });
    return this.preparing;
  }

  private async createBookkeeping(): Promise<void> {
    await this.retrying(async (conn) => {
      await conn.query(createDatabaseSql(this.settings.database));
      this.databaseReady = true;
      // USE, not COM_CHANGE_USER: that would reset the session (time zone, strict mode, lock wait) connectOnce set.
      await conn.query(`USE ${quoteId(this.settings.database)}`);
      await conn.query(RUNS_TABLE_SQL);
      await this.ensureRunColumns(conn);
      await conn.query(META_TABLE_SQL);
    });
  }

  async open(run: RunInfo): Promise<{ salt: string; staged?: boolean }> {
    // A stage still opening (its DDL) finishes before the table is used.
    await this.stageOpening;
    this.run = run;
    await this.prepareDatabase();
    if (run.staged && !run.resume && this.staging?.usable) {
      // The salt the committed rows' data_ids were made with, checked against the table's in the commit.
      const salt = this.staging.salt;
      if (await this.commitStage(run, run.staged.batches)) return { salt, staged: true };
    }
    // A stage not used (abandoned, refused at commit, or the run was not staged after all) is undone first.
    await this.discardStage('undo');
    let salt = '';
    // Retried like every other statement group: a lock wait or a lost connection is transient.
    await this.retrying(
      async (conn) => {
        if (run.resume) {
          // The table may be missing if the earlier attempt died between its run row and its first batch.
          await conn.query(createTableSql(this.plan, { ifNotExists: true }));
          await conn.query(`UPDATE ${quoteId(RUNS_TABLE)} SET status = 'running', finished_at = NULL WHERE ingestor_id = ?`, [
            run.ingestorId,
          ]);
        } else {
          // An empty leftover table (a crash between CREATE and the first commit) is recreated.
          if ((await this.tableRows()) > 0) {
            throw new IngestError('TABLE_NOT_EMPTY', `table ${this.plan.table} filled up while this run was checking its data`, {
              file: this.where,
            });
          }
          await conn.query(`DROP TABLE IF EXISTS ${quoteId(this.plan.table)}`);
          await conn.query(createTableSql(this.plan));
          await this.insertRunRecord(conn, run, 0);
        }
        salt = await this.tableSalt(conn);
      },
      undefined,
      `creating table ${this.plan.table}`,
    );
    return { salt };
  }

  /**
   * Commits the staged rows with the run's record (all their batches committed): both become visible
   * at once. False when the server refused the commit (too large a transaction for a cluster's
   * write-set limit, say), or when the table's salt is no longer the one the staged data_ids were
   * made with (someone changed tracebloc_ingest_meta during the run): rolled back, the caller writes
   * the rows batch by batch, with ids from the salt as it is. A connection lost during the commit is
   * an error: whether it landed is only known to the next attempt's preflight.
   */
  private async commitStage(run: RunInfo, batches: number): Promise<boolean> {
    const staging = this.staging!;
    const { conn } = staging;
    if (!staging.loads.sealed) {
      // Not sealed by the caller: sealed here, and a stage missing rows is refused like a failed commit.
      try {
        await this.sealStage();
      } catch (err) {
        this.options.onStageRefused?.(err instanceof IngestError ? String(err.context.status ?? err.code) : mysqlErrorLabel(err));
        return false;
      }
    }
    try {
      // Read in the stage's transaction with a shared lock: the salt cannot change until it commits.
      if ((await this.storedSalt(conn, 'LOCK IN SHARE MODE')) !== staging.salt) {
        this.options.onStageRefused?.('SALT_CHANGED');
        return false;
      }
      await this.insertRunRecord(conn, run, batches);
      await conn.commit();
    } catch (err) {
      if (isAmbiguousCommit(err)) {
        this.staging = null;
        conn.destroy();
        throw new IngestError('MYSQL_FAILED', `committing the staged rows failed (${mysqlErrorLabel(err)})`, { status: mysqlErrorLabel(err) });
      }
      this.options.onStageRefused?.(mysqlErrorLabel(err));
      return false;
    }
    this.staging = null;
    await conn.end().catch(() => conn.destroy());
    return true;
  }

  /** The record of a fresh run (its data_ids keyed by its id: id_scope 'run'). */
  private async insertRunRecord(conn: Connection, run: RunInfo, batchesCommitted: number): Promise<void> {
    await conn.query(
      `INSERT INTO ${quoteId(RUNS_TABLE)}
         (ingestor_id, table_name, task, started_at, status, correlation_id, config_hash, batch_size, source_hash, source_hash_kind, batches_committed, id_scope)
       VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, 'run')`,
      [
        run.ingestorId,
        this.plan.table,
        this.plan.category,
        run.startedAt,
        run.correlationId,
        this.plan.configHash,
        run.batchSize,
        run.sourceHash,
        run.sourceHashKind === 'cells' ? null : run.sourceHashKind,
        batchesCommitted,
      ],
    );
  }

  /**
   * Public operations run one after another on the one connection (a lane): a progress update
   * issued while a batch's transaction is open must not land inside that transaction.
   */
  private lane: Promise<unknown> = Promise.resolve();

  private inLane<T>(op: () => Promise<T>): Promise<T> {
    const next = this.lane.then(op, op);
    this.lane = next.catch(() => undefined);
    return next;
  }

  write(rows: readonly OutRow[], batch: number): Promise<void> {
    return this.inLane(() => {
      const run = this.requireRun();
      const valuesOf = (r: OutRow): CellValue[] => [r.label, this.plan.intent, r.dataId, r.filename, r.extension, r.annotation, run.ingestorId, ...r.values];
      const insertChunks = function* (per: number): Iterable<CellValue[][]> {
        for (let i = 0; i < rows.length; i += per) yield rows.slice(i, i + per).map(valuesOf);
      };
      return this.writeBatch(
        { count: rows.length, firstDataId: rows[0]?.dataId ?? '', tsv: () => tsvRows(rows.map(valuesOf)), insertChunks, order: 'rows' },
        batch,
      );
    });
  }

  /** Rows encoded once in the check pass: label, filename, extension, annotation, features (ENCODED_ROW_COLUMNS). */
  readonly encoder: RowEncoder;

  encodeBatch(dataIds: readonly string[], rows: readonly string[]): EncodedBatch {
    return this.encodeRows(this.requireRun().ingestorId, dataIds, rows);
  }

  private encodeRows(ingestorId: string, dataIds: readonly string[], rows: readonly string[]): EncodedBatch {
    const constants = `\t${tsvValue(this.plan.intent)}\t${tsvValue(ingestorId)}\t`;
    const payload = new Utf8Pieces();
    // data_ids are escaped too: under `data_id: {strategy: column}` they are source values.
    for (let i = 0; i < rows.length; i++) payload.add(tsvValue(dataIds[i]!) + constants + rows[i]! + '\n');
    return { count: rows.length, firstDataId: dataIds[0] ?? '', payload: payload.take() };
  }

  writeEncoded(batch: EncodedBatch, index: number): Promise<void> {
    return this.inLane(() => {
      // The INSERT fallback (no LOAD DATA LOCAL): the same lines, split back into values.
      const insertChunks = function* (per: number): Iterable<CellValue[][]> {
        let chunk: CellValue[][] = [];
        for (const part of batch.payload) {
          for (const line of part.toString('utf8').split('\n')) {
            if (line.length === 0) continue;
            chunk.push(parseTsvLine(line));
            if (chunk.length >= per) {
              yield chunk;
              chunk = [];
            }
          }
        }
        if (chunk.length > 0) yield chunk;
      };
      return this.writeBatch(
        { count: batch.count, firstDataId: batch.firstDataId, tsv: () => batch.payload, insertChunks, order: 'encoded' },
        index,
      );
    });
  }

  private requireRun(): RunInfo {
    if (this.run === null) throw new IngestError('INTERNAL', 'write before open');
    return this.run;
  }

  private async writeBatch(data: BatchData, batch: number): Promise<void> {
    if (data.count === 0) return;
    const run = this.requireRun();
    let ambiguous = false;
    await this.retrying(
      async (conn) => {
        if (ambiguous && (await this.landed(conn, data.firstDataId))) return;
        await conn.beginTransaction();
        await this.insertRows(conn, data);
        // The progress counter commits with the rows: a retry knows exactly which batches landed.
        await conn.query(`UPDATE ${quoteId(RUNS_TABLE)} SET batches_committed = ? WHERE ingestor_id = ?`, [
          batch + 1,
          run.ingestorId,
        ]);
        await conn.commit();
      },
      (err) => {
        ambiguous ||= isAmbiguousCommit(err);
      },
      `inserting a batch into ${this.plan.table}`,
    );
  }

  /**
   * Inserts one batch inside the open transaction: LOAD DATA LOCAL (loadData: exactly `data.count`
   * clean rows or the batch fails and is rolled back), or INSERT once the server refuses it.
   */
  private async insertRows(conn: Connection, data: BatchData): Promise<void> {
    if (this.useLoadData) {
      try {
        const sql = data.order === 'rows' ? this.loadSql : this.loadEncodedSql;
        await this.loadData(conn, sql, data.tsv(), data.count, 'a batch', 'the batch was rolled back');
        return;
      } catch (err) {
        const errno = (err as { errno?: number }).errno;
        if (errno === undefined || !LOCAL_INFILE_REFUSED.has(errno)) throw err;
        this.useLoadData = false;
        this.options.onFallback?.(errno);
        await conn.rollback();
        await conn.beginTransaction();
      }
    }
    // One statement per `batchSize` rows: a group of batches is one transaction, not one statement
    // (a statement must stay under the server's max_allowed_packet, and memory with it).
    const per = Math.max(1, this.run?.batchSize ?? data.count);
    for (const values of data.insertChunks(per)) {
      await conn.query(data.order === 'rows' ? this.sql : this.insertEncodedSql, [values]);
    }
  }

  /**
   * One LOAD DATA LOCAL of `payload`. LOAD DATA turns duplicate keys and conversion problems into
   * warnings, so anything but exactly `count` clean rows is an error (MYSQL_FAILED with the first
   * warning's code), and the caller undoes `what` (`consequence` says how): nothing is silently
   * dropped or altered.
   */
  private async loadData(conn: Connection, sql: string, payload: readonly Buffer[], count: number, what: string, consequence: string): Promise<void> {
    const [result] = await conn.query<ResultSetHeader>({ sql, infileStreamFactory: () => Readable.from(packetSized(payload)) });
    await this.checkLoaded(conn, result, count, what, consequence);
  }

  /** Anything but exactly `count` clean rows from a LOAD DATA is an error (see loadData). */
  private async checkLoaded(conn: Connection, result: ResultSetHeader, count: number, what: string, consequence: string): Promise<void> {
    if (result.affectedRows === count && result.warningStatus === 0) return;
    const [warnings] = await conn.query<RowDataPacket[]>('SHOW WARNINGS LIMIT 1');
    const code = warnings[0]?.['Code'];
    throw new IngestError(
      'MYSQL_FAILED',
      `the server accepted ${result.affectedRows} of ${count} rows of ${what} (${code !== undefined ? `warning ${String(code)}` : 'no warning'}); ${consequence}`,
      { status: code !== undefined ? Number(code) : undefined },
    );
  }

  /** Marks in flight, one after another on the marks connection. */
  private markLane: Promise<unknown> = Promise.resolve();

  markProgress(progress: BatchProgress): Promise<void> {
    if ('batchesSent' in progress) {
      const op = () => this.recordSent(progress.batchesSent);
      const next = this.markLane.then(op, op);
      this.markLane = next.catch(() => undefined);
      return next;
    }
    // Registration comes after every batch: on the main lane, after the marks.
    return this.inLane(async () => {
      await this.markLane;
      const run = this.run;
      if (run === null) return;
      await this.retrying(async (conn) => {
        await conn.query(`UPDATE ${quoteId(RUNS_TABLE)} SET registered_at = ? WHERE ingestor_id = ?`, [new Date(), run.ingestorId]);
      });
    });
  }

  private async recordSent(batchesSent: number): Promise<void> {
    const run = this.run;
    if (run === null) return;
    await this.retrying(
      async (conn) => {
        await conn.query(`UPDATE ${quoteId(RUNS_TABLE)} SET batches_sent = GREATEST(batches_sent, ?) WHERE ingestor_id = ?`, [
          batchesSent,
          run.ingestorId,
        ]);
      },
      undefined,
      'recording a sent batch',
      this.marks,
    );
  }

  finish(outcome: RunOutcome): Promise<void> {
    return this.inLane(async () => {
      await this.markLane;
      await this.recordOutcome(outcome);
    });
  }

  private async recordOutcome(outcome: RunOutcome): Promise<void> {
    const run = this.run;
    if (run === null) return;
    const c = outcome.counters;
    await this.retrying(async (conn) => {
      await conn.query(
        `UPDATE ${quoteId(RUNS_TABLE)} SET status = ?, finished_at = ?, total_records = ?, inserted = ?, sent = ?,
           skipped = ?, file_failures = ?, failed_inserts = ?, summary = ? WHERE ingestor_id = ?`,
        [
          outcome.status,
          new Date(),
          c.total,
          c.inserted,
          c.sent,
          c.skipped,
          c.fileFailures,
          c.failedInserts,
          JSON.stringify(outcome.summary),
          run.ingestorId,
        ],
      );
    });
  }

  close(): Promise<void> {
    return this.inLane(async () => {
      // A stage still opening is abandoned once it has opened (its connection would keep the process alive).
      await this.stageOpening;
      await this.discardStage('abandon');
      await this.markLane;
      for (const slot of [this.main, this.marks]) {
        const conn = slot.conn;
        slot.conn = null;
        if (conn) await conn.end().catch(() => conn.destroy());
      }
    });
  }

  /**
   * Runs `work` on a live connection, retrying transient failures (deadlock, lock wait, lost
   * connection, server restart) with exponential backoff; anything else, or running out of
   * attempts, is MYSQL_FAILED with the server's code (never its message, which may quote data).
   */
  private async retrying(
    work: (conn: Connection) => Promise<void>,
    onError?: (err: unknown) => void,
    what = 'a MySQL statement',
    slot: ConnectionSlot = this.main,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await work(await this.connection(slot));
        return;
      } catch (err) {
        onError?.(err);
        await this.discardConnection(slot, err);
        const code = mysqlErrorLabel(err);
        if (err instanceof IngestError) throw err;
        if (!isTransientMysqlError(err) || attempt >= this.maxAttempts || this.options.signal?.aborted) {
          throw new IngestError('MYSQL_FAILED', `${what} failed (${code})`, { status: code });
        }
        this.options.onRetry?.({ attempt, code });
        await sleep(this.baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  /** Rows in the dataset table; 0 when it does not exist. */
  private async tableRows(): Promise<number> {
    const exists = await this.select<{ n: number }>(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [this.settings.database, this.plan.table],
    );
    // COUNT(*) is a BIGINT: with bigNumberStrings it arrives as a string.
    if (Number(exists[0]?.n ?? 0) === 0) return 0;
    const count = await this.select<{ n: number }>(
      `SELECT COUNT(*) AS n FROM ${quoteId(this.settings.database)}.${quoteId(this.plan.table)}`,
    );
    return Number(count[0]?.n ?? 0);
  }

  /** The newest run recorded for this table (read defensively: an older runs table may lack columns). */
  private async latestRun(
    rows: number,
  ): Promise<{ run: PriorRun; configHash: string | null; correlationId: string | null } | null> {
    const exists = await this.select<{ n: number }>(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [this.settings.database, RUNS_TABLE],
    );
    if (Number(exists[0]?.n ?? 0) === 0) return null;
    const found = await this.select<Record<string, unknown>>(
      `SELECT * FROM ${quoteId(this.settings.database)}.${quoteId(RUNS_TABLE)} WHERE table_name = ? ORDER BY started_at DESC LIMIT 1`,
      [this.plan.table],
    );
    const r = found[0];
    if (r === undefined) return null;
    const text = (v: unknown) => (typeof v === 'string' ? v : null);
    return {
      configHash: text(r['config_hash']),
      correlationId: text(r['correlation_id']),
      run: {
        ingestorId: String(r['ingestor_id']),
        status: String(r['status'] ?? 'unknown'),
        batchSize: Number(r['batch_size'] ?? 0),
        sourceHash: text(r['source_hash']),
        sourceHashKind: r['source_hash_kind'] === 'bytes' ? 'bytes' : 'cells',
        batchesCommitted: Number(r['batches_committed'] ?? 0),
        batchesSent: Number(r['batches_sent'] ?? 0),
        registered: r['registered_at'] !== null && r['registered_at'] !== undefined,
        rows,
        idScope: r['id_scope'] === 'run' ? 'run' : 'source',
      },
    };
  }

  /** The per-table secret behind deterministic data_ids; created once, kept in tracebloc_ingest_meta. */
  private async tableSalt(conn: Connection): Promise<string> {
    const fresh = randomBytes(32).toString('hex');
    await conn.query(`INSERT IGNORE INTO ${quoteId(META_TABLE)} (table_name, salt) VALUES (?, ?)`, [this.plan.table, fresh]);
    await conn.query(`UPDATE ${quoteId(META_TABLE)} SET salt = ? WHERE table_name = ? AND salt IS NULL`, [fresh, this.plan.table]);
    const salt = await this.storedSalt(conn);
    if (typeof salt !== 'string' || salt.length < 32) throw new IngestError('MYSQL_FAILED', 'the table salt cannot be read');
    return salt;
  }

  /** The table's salt as `tracebloc_ingest_meta` holds it (unchecked), optionally read with a lock. */
  private async storedSalt(conn: Connection, lock: '' | 'LOCK IN SHARE MODE' = ''): Promise<unknown> {
    const [rows] = await conn.query<RowDataPacket[]>(`SELECT salt FROM ${quoteId(META_TABLE)} WHERE table_name = ? ${lock}`, [this.plan.table]);
    return rows[0]?.['salt'];
  }

  private async connection(slot: ConnectionSlot = this.main): Promise<Connection> {
    if (slot.conn === null) {
      slot.conn = await connectOnce(this.settings, this.databaseReady ? this.settings.database : undefined);
    }
    return slot.conn;
  }

  private async discardConnection(slot: ConnectionSlot, err: unknown): Promise<void> {
    const conn = slot.conn;
    if (conn === null) return;
    if ((err as { fatal?: boolean }).fatal) {
      slot.conn = null;
      conn.destroy();
      return;
    }
    await conn.rollback().catch(() => {
      slot.conn = null;
      conn.destroy();
    });
  }

  /** After an ambiguous commit: did the batch land? (data_id is unique, the batch is atomic.) */
  private async landed(conn: Connection, firstDataId: string): Promise<boolean> {
    const [found] = await conn.query<RowDataPacket[]>(`SELECT 1 FROM ${quoteId(this.plan.table)} WHERE data_id = ? LIMIT 1`, [
      firstDataId,
    ]);
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
    const conn = await this.connection();
    const [rows] = await conn.query<RowDataPacket[]>(sql, params);
    return rows as unknown as T[];
  }
}

/** A failure of the stage's load as the sink reports it: MYSQL_FAILED with the server's code, never its message. */
function stageFailure(err: unknown): IngestError {
  return err instanceof IngestError ? err : new IngestError('MYSQL_FAILED', `loading into the stage failed (${mysqlErrorLabel(err)})`, { status: mysqlErrorLabel(err) });
}
