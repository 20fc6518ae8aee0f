import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePlan } from '../../src/config/plan.js';
import { validateConfig } from '../../src/config/validate.js';
import { IngestError } from '../../src/errors.js';
import { RUNS_TABLE_COLUMNS, RUNS_TABLE_SQL } from '../../src/sinks/mysql/ddl.js';
import { STREAM_HIGH_WATER } from '../../src/sinks/mysql/streamed-load.js';
import { MysqlSink } from '../../src/sinks/mysql/mysql-sink.js';
import type { MysqlSettings } from '../../src/sinks/mysql/settings.js';
import { isTransientMysqlError } from '../../src/sinks/mysql/transient.js';
import type { EncodedBatch, OutRow } from '../../src/sinks/types.js';
import { createTestDatabase, MYSQL, type TestDatabase } from '../support/mysql.js';

const yaml = `apiVersion: tracebloc.io/v1
kind: IngestConfig
category: tabular_regression
table: houses
intent: test
csv: a.csv
schema:
  sqft: FLOAT
  price: DECIMAL(12,2)
  zip: CHAR(5)
  note: VARCHAR(40)
  seen: DATETIME
  flag: BOOLEAN
  big: BIGINT UNSIGNED
label:
  column: price
  policy: bucket
`;

let db: TestDatabase;
let settings: MysqlSettings;
/** The plan of a config text (storage root /tmp). */
const planOf = (text: string) => resolvePlan(validateConfig(text, 'i.yaml').config, { configPath: 'i.yaml', configText: text, storageRoot: '/tmp' });
/** The plan of the config above, writing to `table`. */
const planFor = (table: string) => planOf(yaml.replace('table: houses', `table: ${table}`));
const plan = planOf(yaml);
const run = { ingestorId: 'run-1', correlationId: 'corr-1', startedAt: new Date(), batchSize: 2, sourceHash: 'f'.repeat(64), sourceHashKind: 'bytes' as const, resume: null };
const identity = { configHash: plan.configHash, correlationId: 'corr-1' };

function row(i: number): OutRow {
  return {
    dataId: `id-${i}`,
    label: `${1000 + i}.50`,
    filename: null,
    extension: null,
    annotation: null,
    values: [1.5 + i, `${1000 + i}.50`, '00123', 'C:\\new', '2024-01-02 03:04:05', 1, '18446744073709551615'],
  };
}

beforeAll(async () => {
  db = await createTestDatabase('sink');
  // The sink creates the database itself: give it a name that does not exist yet.
  settings = { ...MYSQL, database: `${db.name}_x`, waitSeconds: 5 };
});

afterAll(async () => {
  await db.query(`DROP DATABASE IF EXISTS \`${settings.database}\``);
  await db.drop();
});

describe('MysqlSink', () => {
  it('creates the database and the platform table with the declared types, then writes batches', async () => {
    const sink = new MysqlSink(plan, settings);
    expect(await sink.preflight(identity)).toBeNull();
    const { salt } = await sink.open(run);
    expect(salt).toMatch(/^[0-9a-f]{64}$/);
    await sink.write([row(1), row(2)], 0);
    await sink.write([row(3)], 1);
    await sink.markProgress({ batchesSent: 2 });
    await sink.markProgress({ registered: true });
    await sink.finish({ status: 'succeeded', counters: { total: 3, processed: 3, inserted: 3, sent: 3, skipped: 0, fileFailures: 0, failedInserts: 0 }, summary: { ok: true } });
    await sink.close();

    const cols = await db.query<{ COLUMN_NAME: string; COLUMN_TYPE: string }>(
      'SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
      [settings.database, 'houses'],
    );
    expect(Object.fromEntries(cols.map((c) => [c.COLUMN_NAME, c.COLUMN_TYPE]))).toMatchObject({
      id: 'bigint(20)',
      label: 'varchar(255)',
      data_id: 'varchar(255)',
      extension: 'varchar(10)',
      sqft: 'float',
      price: 'decimal(12,2)',
      zip: 'char(5)',
      note: 'varchar(40)',
      seen: 'datetime',
      flag: 'tinyint(1)',
      big: 'bigint(20) unsigned',
    });
    const rows = await db.query<Record<string, unknown>>(
      `SELECT data_id, label, data_intent, ingestor_id, price, zip, note, seen, flag, CAST(big AS CHAR) AS big FROM \`${settings.database}\`.houses ORDER BY id`,
    );
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({
      data_id: 'id-1',
      label: '1001.50',
      data_intent: 'test',
      ingestor_id: 'run-1',
      price: '1001.50',
      zip: '00123',
      note: 'C:\\new',
      seen: '2024-01-02 03:04:05',
      flag: 1,
      big: '18446744073709551615',
    });
    const runs = await db.query<Record<string, unknown>>(
      `SELECT ingestor_id, table_name, task, status, correlation_id, inserted, config_hash, batch_size, batches_committed, batches_sent,
              registered_at IS NOT NULL AS registered FROM \`${settings.database}\`.tracebloc_ingest_runs`,
    );
    expect(runs).toEqual([
      {
        ingestor_id: 'run-1', table_name: 'houses', task: 'tabular_regression', status: 'succeeded', correlation_id: 'corr-1',
        inserted: 3, config_hash: plan.configHash, batch_size: 2, batches_committed: 2, batches_sent: 2, registered: 1,
      },
    ]);
    const meta = await db.query<{ salt: string }>(`SELECT salt FROM \`${settings.database}\`.tracebloc_ingest_meta WHERE table_name = 'houses'`);
    expect(meta).toEqual([{ salt }]);
  });

  /** The run table's columns in order. */
  const runColumns = async (database: string) =>
    (
      await db.query<{ COLUMN_NAME: string }>(
        'SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
        [database, 'tracebloc_ingest_runs'],
      )
    ).map((c) => c.COLUMN_NAME);
  const everyRunColumn = ['ingestor_id', 'table_name', 'task', 'started_at', 'status', ...RUNS_TABLE_COLUMNS.map(([name]) => name)];

  it('creates the run table with every column in one statement (a fresh database needs no ALTER)', async () => {
    expect(await runColumns(settings.database)).toEqual(everyRunColumn);
    const scratch = `${db.name}_runs`;
    await db.query(`CREATE DATABASE \`${scratch}\``);
    try {
      await db.query(RUNS_TABLE_SQL.replace('`tracebloc_ingest_runs`', `\`${scratch}\`.\`tracebloc_ingest_runs\``));
      expect(await runColumns(scratch)).toEqual(everyRunColumn);
    } finally {
      await db.query(`DROP DATABASE IF EXISTS \`${scratch}\``);
    }
  });

  it('adds the columns a run table made by an older version lacks, keeping its rows', async () => {
    const old = { ...settings, database: `${db.name}_old` };
    await db.query(`CREATE DATABASE \`${old.database}\``);
    try {
      // The first version's table: the first five columns only.
      await db.query(`CREATE TABLE \`${old.database}\`.tracebloc_ingest_runs (
        ingestor_id VARCHAR(255) NOT NULL PRIMARY KEY, table_name VARCHAR(64) NOT NULL, task VARCHAR(64) NULL,
        started_at DATETIME(3) NULL, status VARCHAR(32) NULL, KEY ix_table_name (table_name)) ENGINE=InnoDB`);
      await db.query(`INSERT INTO \`${old.database}\`.tracebloc_ingest_runs VALUES ('old-run', 'other', 'tabular_regression', NULL, 'succeeded')`);
      const sink = new MysqlSink(plan, old);
      try {
        await sink.open(run);
      } finally {
        await sink.close();
      }
      expect(await runColumns(old.database)).toEqual(everyRunColumn);
      const kept = await db.query<{ ingestor_id: string; batches_sent: number }>(
        `SELECT ingestor_id, batches_sent FROM \`${old.database}\`.tracebloc_ingest_runs WHERE table_name = 'other'`,
      );
      expect(kept).toEqual([{ ingestor_id: 'old-run', batches_sent: 0 }]);
    } finally {
      await db.query(`DROP DATABASE IF EXISTS \`${old.database}\``);
    }
  });

  it('finds the earlier run of the same ingest, so a retry resumes it', async () => {
    const sink = new MysqlSink(plan, settings);
    const prior = await sink.preflight(identity);
    await sink.close();
    expect(prior).toEqual({
      ingestorId: 'run-1', status: 'succeeded', batchSize: 2, sourceHash: 'f'.repeat(64), sourceHashKind: 'bytes',
      batchesCommitted: 2, batchesSent: 2, registered: true, rows: 3, idScope: 'run',
    });
  });

  /** The preflight's view of run-1 as an earlier version recorded it: `column` NULL (restored afterwards to `recorded`). */
  async function priorWithout(column: 'id_scope' | 'source_hash_kind', recorded: string) {
    const runs = `\`${settings.database}\`.tracebloc_ingest_runs`;
    const [row] = await db.query<{ v: string | null }>(`SELECT ${column} AS v FROM ${runs} WHERE ingestor_id = 'run-1'`);
    expect(row!.v).toBe(recorded);
    await db.query(`UPDATE ${runs} SET ${column} = NULL WHERE ingestor_id = 'run-1'`);
    try {
      const sink = new MysqlSink(plan, settings);
      const prior = await sink.preflight(identity);
      await sink.close();
      return prior;
    } finally {
      await db.query(`UPDATE ${runs} SET ${column} = ? WHERE ingestor_id = 'run-1'`, [recorded]);
    }
  }

  it('reads a run recorded by an earlier version (no id_scope) as keyed by its source fingerprint', async () => {
    expect((await priorWithout('id_scope', 'run'))?.idScope).toBe('source');
  });

  it('reads a run recorded by an earlier version (no source_hash_kind) as fingerprinted over its cells', async () => {
    expect((await priorWithout('source_hash_kind', 'bytes'))?.sourceHashKind).toBe('cells');
  });

  it('refuses to touch a table that holds a dataset of another ingest', async () => {
    const sink = new MysqlSink(plan, settings);
    const err = await sink.preflight({ configHash: 'other', correlationId: null }).catch((e: unknown) => e);
    await sink.close();
    expect(err).toBeInstanceOf(IngestError);
    expect((err as IngestError).code).toBe('TABLE_NOT_EMPTY');
  });

  it('fails fast on wrong credentials and names DB_USER, without the password', async () => {
    const sink = new MysqlSink(plan, { ...settings, user: 'nobody_here', password: 'hunter2-secret' });
    const err = (await sink.preflight(identity).catch((e: unknown) => e)) as IngestError;
    await sink.close();
    expect(err.code).toBe('MYSQL_AUTH');
    expect(JSON.stringify(err.toJSON()) + err.message).not.toContain('hunter2');
  });

  it('gives up on an unreachable server after MYSQL_WAIT_SECONDS', async () => {
    const sink = new MysqlSink(plan, { ...settings, host: '127.0.0.1', port: 1, waitSeconds: 1 });
    const started = Date.now();
    const err = (await sink.preflight(identity).catch((e: unknown) => e)) as IngestError;
    expect(err.code).toBe('MYSQL_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it.each(['auto', 'insert'] as const)('writes tricky strings exactly (%s)', async (writeMethod) => {
    const textYaml = yaml.replace('table: houses', `table: tricky_${writeMethod}`).replace('  note: VARCHAR(40)', '  note: TEXT');
    const textPlan = planOf(textYaml);
    const sink = new MysqlSink(textPlan, settings, { writeMethod });
    await sink.preflight({ configHash: textPlan.configHash, correlationId: null });
    await sink.open({ ...run, ingestorId: `run-${writeMethod}` });
    const tricky = ['tab\there', 'new\nline', 'back\\slash \\N', 'cr\r', 'nul\u0000byte', '\\N', 'emoji 😀 漢', ''];
    await sink.write(
      tricky.map((note, i) => ({ ...row(i), dataId: `${writeMethod}-${i}`, values: [1.5, '1.50', '00001', note, null, 0, '1'] })),
      0,
    );
    await sink.close();
    const rows = await db.query<{ note: string | null; seen: string | null }>(
      `SELECT note, seen FROM \`${settings.database}\`.tricky_${writeMethod} ORDER BY id`,
    );
    expect(rows.map((r) => r.note)).toEqual(tricky);
    expect(rows.every((r) => r.seen === null)).toBe(true);
  });

  it('a batch the server would silently shorten (duplicate data_id) fails and is rolled back', async () => {
    const dupPlan = planFor('dups');
    const sink = new MysqlSink(dupPlan, settings);
    await sink.preflight({ configHash: dupPlan.configHash, correlationId: null });
    await sink.open({ ...run, ingestorId: 'run-dups' });
    const err = (await sink.write([row(1), row(1)], 0).catch((e: unknown) => e)) as IngestError;
    await sink.close();
    expect(err).toBeInstanceOf(IngestError);
    expect(err.code).toBe('MYSQL_FAILED');
    expect(err.message).not.toContain('id-1');
    const [count] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${settings.database}\`.dups`);
    expect(Number(count!.n)).toBe(0);
  });

  it('a group of batches larger than max_allowed_packet goes through INSERT as one statement per batch, in one transaction', async () => {
    const bigYaml = `apiVersion: tracebloc.io/v1
kind: IngestConfig
category: tabular_classification
table: bigrows
intent: train
csv: a.csv
schema:
  body: MEDIUMTEXT
label: k
`;
    const bigPlan = resolvePlan(validateConfig(bigYaml, 'i.yaml').config, { configPath: 'i.yaml', configText: bigYaml, storageRoot: '/tmp' });
    const [packet] = await db.query<{ v: string }>('SELECT @@max_allowed_packet AS v');
    const limit = Number(packet!.v);
    // 4 rows of 1 MiB per batch; the group is more than the server takes in one packet.
    const rowsPerBatch = 4;
    const total = Math.ceil(limit / 2 ** 20) + rowsPerBatch;
    const chunk = 'x'.repeat(2 ** 20);
    const big = Array.from({ length: total }, (_, i): OutRow => ({
      dataId: `big-${i}`, label: 'a', filename: null, extension: null, annotation: null, values: [chunk + i],
    }));
    for (const writeMethod of ['insert', 'auto'] as const) {
      const sink = new MysqlSink(bigPlan, settings, { writeMethod });
      await sink.preflight({ configHash: bigPlan.configHash, correlationId: null });
      await sink.open({ ...run, ingestorId: `run-big-${writeMethod}`, batchSize: rowsPerBatch });
      await sink.write(big, Math.ceil(total / rowsPerBatch) - 1);
      await sink.close();
      const [n] = await db.query<{ n: number; bytes: number }>(
        `SELECT COUNT(*) AS n, SUM(LENGTH(body)) AS bytes FROM \`${settings.database}\`.bigrows`,
      );
      expect(Number(n!.n)).toBe(total);
      expect(Number(n!.bytes)).toBeGreaterThan(limit);
      await db.query(`DROP TABLE \`${settings.database}\`.bigrows`);
      await db.query(`DELETE FROM \`${settings.database}\`.tracebloc_ingest_runs WHERE table_name = 'bigrows'`);
    }
  });

  it('never waits long for a table another session holds: staging is given up, the write path fails as transient (lock_wait_timeout)', async () => {
    const table = 'held_rows';
    const heldPlan = planFor(table);
    const quick: MysqlSettings = { ...settings, lockWaitSeconds: 1 };
    const setup = new MysqlSink(heldPlan, quick);
    await setup.preflight({ configHash: heldPlan.configHash, correlationId: null });
    await setup.open({ ...run, ingestorId: 'run-held-0' });
    await setup.close();
    await db.query(`DELETE FROM \`${settings.database}\`.tracebloc_ingest_runs WHERE table_name = ?`, [table]);
    // Another session's open transaction on the (empty) table: a killed run's, say, not yet rolled back.
    const other = await createTestDatabase('held_other');
    await other.query(`START TRANSACTION`);
    await other.query(`SELECT * FROM \`${settings.database}\`.\`${table}\``);
    try {
      const sink = new MysqlSink(heldPlan, quick, { maxAttempts: 2, baseDelayMs: 10 });
      expect(await sink.preflight({ configHash: heldPlan.configHash, correlationId: null })).toBeNull();
      const started = Date.now();
      await expect(sink.stage({ ingestorId: 'run-held-1' })?.opening).rejects.toMatchObject({ errno: 1205 });
      const err = await sink.open({ ...run, ingestorId: 'run-held-1' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IngestError);
      expect((err as IngestError).code).toBe('MYSQL_FAILED');
      expect((err as IngestError).errorClass).toBe('transient');
      expect(Date.now() - started).toBeLessThan(15_000);
      await sink.close();
    } finally {
      await other.query('ROLLBACK');
      await other.drop();
    }
  }, 30_000);

  it('does not commit a stage whose data_ids were made with a salt that changed meanwhile: rolled back, the rows are written afresh', async () => {
    const table = 'salted_rows';
    const saltPlan = planFor(table);
    const refused: string[] = [];
    const sink = new MysqlSink(saltPlan, settings, { onStageRefused: (code) => refused.push(code) });
    expect(await sink.preflight({ configHash: saltPlan.configHash, correlationId: null })).toBeNull();
    const opened = await sink.stage({ ingestorId: 'run-salt' })!.opening;
    expect(opened).not.toBeNull();
    const encoded = [row(1), row(2)].map(({ dataId: _, ...rest }) => sink.encoder.encodeRow(rest));
    await opened!.stage.load(opened!.stage.encode(['id-1', 'id-2'], encoded));
    // The stage's rows carry ids from the salt it opened with; the salt is then changed under the run.
    const meta = `\`${settings.database}\`.tracebloc_ingest_meta`;
    await db.query(`UPDATE ${meta} SET salt = ? WHERE table_name = ?`, ['e'.repeat(64), table]);
    const result = await sink.open({ ...run, ingestorId: 'run-salt', staged: { batches: 1 } });
    expect(result.staged).toBeUndefined();
    expect(result.salt).toBe('e'.repeat(64));
    expect(refused).toEqual(['SALT_CHANGED']);
    const [count] = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${settings.database}\`.\`${table}\``);
    expect(Number(count!.n)).toBe(0);
    await sink.close();
    expect(opened!.salt).not.toBe('e'.repeat(64));
    await db.query(`DROP TABLE \`${settings.database}\`.\`${table}\``);
    await db.query(`DELETE FROM \`${settings.database}\`.tracebloc_ingest_runs WHERE table_name = ?`, [table]);
  });

  describe("the stage's LOAD DATA, fed while it runs", () => {
    /** A sink with its stage open on `table`; `batch(ids)` encodes rows with those data_ids for it. */
    async function openStageOn(table: string, options: ConstructorParameters<typeof MysqlSink>[2] = {}) {
      const stagePlan = planFor(table);
      const sink = new MysqlSink(stagePlan, settings, options);
      expect(await sink.preflight({ configHash: stagePlan.configHash, correlationId: null })).toBeNull();
      const opened = await sink.stage({ ingestorId: `run-${table}` })!.opening;
      expect(opened).not.toBeNull();
      const batch = (ids: readonly string[]) =>
        opened!.stage.encode(
          ids,
          ids.map((_, i) => {
            const { dataId: _id, ...rest } = row(i);
            return sink.encoder.encodeRow(rest);
          }),
        );
      const cleanUp = async () => {
        await sink.close();
        await db.query(`DROP TABLE IF EXISTS \`${settings.database}\`.\`${table}\``);
        await db.query(`DELETE FROM \`${settings.database}\`.tracebloc_ingest_runs WHERE table_name = ?`, [table]);
      };
      return { sink, stage: opened!.stage, batch, cleanUp };
    }
    const ids = (prefix: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}-${from + i}`);
    const count = async (table: string) =>
      Number((await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${settings.database}\`.\`${table}\``))[0]!.n);
    /** The ids of the connections running a LOAD DATA into this test's database. */
    const runningLoads = async () =>
      (
        await db.query<{ ID: number }>("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'LOAD DATA%'", [settings.database])
      ).map((r) => Number(r.ID));
    const bytesOf = (b: { payload: readonly Buffer[] }) => b.payload.reduce((n, p) => n + p.length, 0);
    /** Loads `batches` in order until one is held back for 300 ms; returns how many were taken and the held one's promise. */
    async function loadUntilHeld(stage: { load(b: EncodedBatch): Promise<void> }, batches: readonly EncodedBatch[]) {
      for (let taken = 0; taken < batches.length; taken++) {
        const loading = stage.load(batches[taken]!);
        loading.catch(() => undefined);
        const state = await Promise.race([loading.then(() => 'taken'), new Promise((resolve) => setTimeout(() => resolve('held'), 300))]);
        if (state === 'held') return { taken, held: loading };
      }
      return { taken: batches.length, held: null };
    }

    it('holds the reader back once 2 MiB wait while the server reads nothing (a table lock), then takes every batch into one statement', async () => {
      const table = 'streamed_rows';
      const { sink, stage, batch, cleanUp } = await openStageOn(table);
      const other = await createTestDatabase('sink_lock');
      try {
        // Another session holds the table: the LOAD DATA waits for it and reads none of its data.
        await other.query(`LOCK TABLES \`${settings.database}\`.\`${table}\` WRITE`);
        const perBatch = 2000;
        const batches = Array.from({ length: 40 }, (_, b) => batch(ids('s', b * perBatch + 1, (b + 1) * perBatch)));
        const { taken, held } = await loadUntilHeld(stage, batches);
        expect(held).not.toBeNull();
        // Held by the batch that took the waiting bytes past the high water, not before, not after.
        const waiting = batches.slice(0, taken).reduce((n, b) => n + bytesOf(b), 0);
        expect(waiting).toBeLessThanOrEqual(STREAM_HIGH_WATER);
        expect(waiting + bytesOf(batches[taken]!)).toBeGreaterThan(STREAM_HIGH_WATER);
        expect(await runningLoads()).toHaveLength(1);
        await other.query('UNLOCK TABLES');
        await held;
        for (const b of batches.slice(taken + 1)) await stage.load(b);
        // One statement took them all.
        expect(await runningLoads()).toHaveLength(1);
        await stage.seal();
        expect(await runningLoads()).toHaveLength(0);
        const result = await sink.open({ ...run, ingestorId: `run-${table}`, staged: { batches: batches.length } });
        expect(result.staged).toBe(true);
        expect(await count(table)).toBe(40 * perBatch);
      } finally {
        await other.drop();
        await cleanUp();
      }
    }, 60_000);

    it('a row the server does not take (a data_id twice, in two batches of one statement) fails the seal: MYSQL_FAILED, and the stage is unusable', async () => {
      const table = 'streamed_dupes';
      const { sink, stage, batch, cleanUp } = await openStageOn(table);
      try {
        await stage.load(batch(['d-1', 'd-2']));
        await stage.load(batch(['d-2', 'd-3']));
        const err = await stage.seal().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(IngestError);
        expect((err as IngestError).code).toBe('MYSQL_FAILED');
        expect((err as IngestError).message).toContain('accepted 3 of 4 rows of the stage');
        await expect(stage.load(batch(['d-4']))).rejects.toMatchObject({ code: 'INTERNAL' });
        const result = await sink.open({ ...run, ingestorId: `run-${table}`, staged: { batches: 2 } });
        expect(result.staged).toBeUndefined();
        expect(await count(table)).toBe(0);
      } finally {
        await cleanUp();
      }
    });

    it('a stage committed without a seal is sealed by open: missing rows refuse it (with the server\'s code), complete ones commit', async () => {
      for (const dupe of [true, false]) {
        const table = dupe ? 'unsealed_dupes' : 'unsealed_rows';
        const refused: string[] = [];
        const { sink, stage, batch, cleanUp } = await openStageOn(table, { onStageRefused: (code) => refused.push(code) });
        try {
          await stage.load(batch(['u-1', 'u-2']));
          await stage.load(batch([dupe ? 'u-2' : 'u-3', 'u-4']));
          const result = await sink.open({ ...run, ingestorId: `run-${table}`, staged: { batches: 2 } });
          expect(result.staged).toBe(dupe ? undefined : true);
          expect(refused).toEqual(dupe ? ['1062'] : []);
          expect(await count(table)).toBe(dupe ? 0 : 4);
        } finally {
          await cleanUp();
        }
      }
    });

    it('a statement left without rows is ended (the server would time it out) and the next batch starts another; a failure in an ended one stops the next load', async () => {
      const table = 'streamed_idle';
      const { sink, stage, batch, cleanUp } = await openStageOn(table, { stageIdleMs: 200 });
      try {
        await stage.load(batch(['i-1', 'i-2']));
        expect(await runningLoads()).toHaveLength(1);
        await new Promise((resolve) => setTimeout(resolve, 600));
        expect(await runningLoads()).toHaveLength(0);
        await stage.load(batch(['i-3']));
        await stage.seal();
        const result = await sink.open({ ...run, ingestorId: `run-${table}`, staged: { batches: 2 } });
        expect(result.staged).toBe(true);
        expect(await count(table)).toBe(3);
      } finally {
        await cleanUp();
      }
      const dupes = 'streamed_idle_dupes';
      const second = await openStageOn(dupes, { stageIdleMs: 200 });
      try {
        await second.stage.load(second.batch(['j-1']));
        await new Promise((resolve) => setTimeout(resolve, 600));
        // A statement of its own, whose only row is already in: it ends short.
        await second.stage.load(second.batch(['j-1']));
        await new Promise((resolve) => setTimeout(resolve, 600));
        await expect(second.stage.load(second.batch(['j-2']))).rejects.toMatchObject({ code: 'MYSQL_FAILED' });
      } finally {
        await second.cleanUp();
      }
    });

    it('a stage given up while its statement still reads (undo) ends it, rolls back and drops the table at once', async () => {
      const table = 'streamed_undone';
      const { stage, batch, cleanUp } = await openStageOn(table);
      try {
        await stage.load(batch(ids('u', 1, 100)));
        const started = Date.now();
        await stage.discard('undo');
        expect(Date.now() - started).toBeLessThan(5000);
        expect(await db.tableExists(table)).toBe(false);
      } finally {
        await cleanUp();
      }
    });

    it('a load held back fails at once when its connection dies (killed by the server, or abandoned), and undo still returns', async () => {
      for (const how of ['kill', 'abandon'] as const) {
        const table = `streamed_${how}`;
        const { stage, batch, cleanUp } = await openStageOn(table);
        const other = await createTestDatabase('sink_lock');
        try {
          await other.query(`LOCK TABLES \`${settings.database}\`.\`${table}\` WRITE`);
          const batches = Array.from({ length: 40 }, (_, b) => batch(ids(how, b * 2000 + 1, (b + 1) * 2000)));
          const { held } = await loadUntilHeld(stage, batches);
          expect(held).not.toBeNull();
          const started = Date.now();
          if (how === 'kill') {
            const [id] = await runningLoads();
            await other.query(`KILL ${Number(id)}`);
          } else {
            await stage.discard('abandon');
          }
          await expect(held).rejects.toBeInstanceOf(Error);
          await stage.discard('undo');
          expect(Date.now() - started).toBeLessThan(5000);
        } finally {
          await other.query('UNLOCK TABLES').catch(() => undefined);
          await other.drop();
          await cleanUp();
        }
      }
    }, 60_000);
  });

  it('keeps its session settings (UTC, strict mode, lock wait) on the connection that writes, after creating the database', async () => {
    const sessionPlan = planFor('session_rows');
    const sink = new MysqlSink(sessionPlan, { ...settings, lockWaitSeconds: 7 });
    await sink.preflight({ configHash: sessionPlan.configHash, correlationId: null });
    await sink.open({ ...run, ingestorId: 'run-session' });
    // The connection the batches are written on (private: read here through a cast).
    const conn = await (sink as unknown as { connection(): Promise<{ query(sql: string): Promise<[Array<Record<string, unknown>>]> }> }).connection();
    const [[session]] = await conn.query('SELECT @@session.time_zone AS tz, @@session.sql_mode AS mode, @@session.lock_wait_timeout AS wait');
    await sink.close();
    await db.query(`DELETE FROM \`${settings.database}\`.tracebloc_ingest_runs WHERE ingestor_id = 'run-session'`);
    expect(session).toMatchObject({ tz: '+00:00', wait: '7' });
    expect(String(session!['mode'])).toContain('STRICT_ALL_TABLES');
  });

  it('classifies transient errors by code', () => {
    expect(isTransientMysqlError({ errno: 1213, code: 'ER_LOCK_DEADLOCK' })).toBe(true);
    expect(isTransientMysqlError({ errno: 1205 })).toBe(true);
    expect(isTransientMysqlError({ code: 'ECONNRESET' })).toBe(true);
    expect(isTransientMysqlError({ code: 'PROTOCOL_CONNECTION_LOST', fatal: true })).toBe(true);
    expect(isTransientMysqlError({ errno: 1062, code: 'ER_DUP_ENTRY' })).toBe(false);
    expect(isTransientMysqlError({ errno: 1045, code: 'ER_ACCESS_DENIED_ERROR', fatal: true })).toBe(false);
  });
});
