import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendClient } from '../../src/backend/client.js';
import { HttpTransport } from '../../src/backend/http-transport.js';
import { loadPlan } from '../../src/config/load-config.js';
import type { Plan } from '../../src/config/types.js';
import { dataIdAssigner } from '../../src/keys/data-id.js';
import { createLogger } from '../../src/log/logger.js';
import { ingest, type IngestResult } from '../../src/run/ingest.js';
import { MysqlSink, type MysqlSinkOptions } from '../../src/sinks/mysql/mysql-sink.js';
import type { MysqlSettings } from '../../src/sinks/mysql/settings.js';
import type { EncodedBatch, OpenedStage, OutRow, RunInfo } from '../../src/sinks/types.js';
import { IngestError } from '../../src/errors.js';
import { startFakeBackend, type FakeBackend, type Json, type RecordedRequest } from '../support/fake-backend.js';
import { createTestDatabase, MYSQL, type TestDatabase } from '../support/mysql.js';
import { pick, prng } from '../support/prng.js';
import { tempDir } from '../support/tmp.js';

/**
 * The row spool (check pass keeps the encoded rows, write pass reads them back) must write exactly
 * what the write pass that reads the source again writes: same table contents, same data_ids for
 * the same row numbers, same backend metadata. Each path writes into its own fresh database so the
 * table names (and so the backend bodies) are the same.
 */

const TOKEN = 'spool-eq-token';
/** The run's id: one per table (the runs table is keyed by it), the same for every path. */
const ingestorOf = (table: string) => `speq-run-${table}`;
const ROWS = 2500;
const BATCH = 300;
const logger = createLogger({ level: 'silent' });

/**
 * spool: rows written from the spool in the write pass; reread: the source read again; insert: the
 * spool through INSERT (no LOAD DATA); staged: rows loaded into the sink's stage during the check
 * pass and committed at open (the CLI's default where it can).
 */
type Path = 'spool' | 'reread' | 'insert' | 'staged';
const PATHS: readonly Path[] = ['spool', 'reread', 'insert', 'staged'];

let dbs: Record<Path, TestDatabase>;
let backend: FakeBackend;
let root: string;
let spoolDir: string;

beforeAll(async () => {
  dbs = {
    spool: await createTestDatabase('speq_spool'),
    reread: await createTestDatabase('speq_reread'),
    insert: await createTestDatabase('speq_insert'),
    staged: await createTestDatabase('speq_staged'),
  };
  backend = await startFakeBackend({ token: TOKEN });
  root = await tempDir('tb-speq-');
  spoolDir = path.join(root, '.tracebloc-ingest', 'spool');
  await mkdir(path.join(root, 'data'), { recursive: true });
});

afterAll(async () => {
  await backend?.close();
  for (const db of Object.values(dbs ?? {})) await db.drop();
});

// ---------------------------------------------------------------------------------------------
// The data

const HEADER = ['sqft', 'rooms', 'price', 'note', 'memo', 'built', 'garden', 'score', 'floors', 'kind'];

const SCHEMA = `schema:
  sqft: DOUBLE
  rooms: INT
  price: DECIMAL(10,2)
  note: VARCHAR(200)
  memo: TEXT
  built: DATE
  garden: BOOLEAN
  score: DOUBLE
  floors: INT
`;

/** Text pieces that break naive TSV/CSV handling, and multi-byte text. */
const NOTE_PIECES = ['a', 'b', ' ', ',', '"', "'", '\t', '\n', '\r\n', '\\', '\\N', '\\t', 'N', '猫', '犬', '🐱', '€', 'ü', '𝄞', ';'];
/** Class names of the passthrough label: each one awkward in its own way. */
const KINDS = ['plain', 'tab\there', 'multi\nline', 'back\\slash', '"quoted"', '猫', '🐱 emoji', '\\N', 'cr\rlf', ' padded '];

const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;

function note(rand: () => number): string {
  let s = '';
  const n = Math.floor(rand() * 25);
  for (let i = 0; i < n; i++) s += pick(rand, NOTE_PIECES);
  return s;
}

function double(rand: () => number): string {
  const r = rand();
  if (r < 0.05) return '1e3';
  if (r < 0.08) return '-0';
  if (r < 0.1) return '0.1';
  if (r < 0.12) return '-2.5E-3';
  // Whitespace around a number is trimmed by the caster: none of it may reach the encoded line.
  if (r < 0.14) return quote(' \t12.25\r\n ');
  return (rand() * 5000).toFixed(Math.floor(rand() * 4));
}

function int(rand: () => number): string {
  const r = rand();
  if (r < 0.02) return '2147483647';
  if (r < 0.04) return '-2147483648';
  if (r < 0.06) return '3.0';
  if (r < 0.08) return quote('\t 7\n');
  return String(Math.floor(rand() * 40) - 5);
}

function price(rand: () => number): string {
  const r = rand();
  if (r < 0.03) return '1e3';
  if (r < 0.06) return '-0.50';
  if (r < 0.08) return '12.5';
  if (r < 0.1) return quote(' 250.00\t');
  return (rand() * 900_000 + 1000).toFixed(2);
}

interface Dataset {
  csv: string;
  /** The note cell of each data row, in order (the exact text MySQL must hold). */
  notes: string[];
  kinds: string[];
}

/** `bad(row)`: the cells of a row to replace to make it invalid (or null). */
function dataset(seed: number, bad: (row: number) => Partial<Record<string, string>> | null = () => null): Dataset {
  const rand = prng(seed);
  const lines = [HEADER.join(',')];
  const notes: string[] = [];
  const kinds: string[] = [];
  for (let row = 1; row <= ROWS; row++) {
    const n = note(rand);
    const memo = note(rand) + (rand() < 0.1 ? '\u0000nul\r' : '');
    const kind = pick(rand, KINDS);
    notes.push(n);
    kinds.push(kind);
    const cells: Record<string, string> = {
      sqft: double(rand),
      rooms: int(rand),
      price: price(rand),
      note: quote(n),
      memo: quote(memo),
      built: rand() < 0.03 ? quote(' 2001-02-03\t') : `${1950 + Math.floor(rand() * 70)}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`,
      garden: pick(rand, ['true', 'false', '1', '0', 'yes', 'no', 'Y', 'f', quote('\tyes\n')]),
      // Empty cells: NULL.
      score: row % 7 === 0 ? '' : (rand() * 100).toFixed(4),
      floors: row % 5 === 0 ? '' : String(1 + Math.floor(rand() * 3)),
      kind: quote(kind),
    };
    Object.assign(cells, bad(row) ?? {});
    lines.push(HEADER.map((h) => cells[h]!).join(','));
  }
  return { csv: lines.join('\n') + '\n', notes, kinds };
}

async function writeConfig(table: string, category: string, csv: string, extra: string): Promise<string> {
  const file = path.join(root, `${table}.yaml`);
  await writeFile(
    file,
    `apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: ${table}\nintent: train\ncategory: ${category}\ncsv: data/${csv}\n${SCHEMA}${extra}`,
  );
  return file;
}

// ---------------------------------------------------------------------------------------------
// Running one ingest

/** A MysqlSink that records which write method the run used and what the spool dir held meanwhile. */
class WatchedSink extends MysqlSink {
  writes = 0;
  encodedWrites = 0;
  stagedLoads = 0;
  spoolsSeen = new Set<string>();
  /** Whether the run may stage its rows (allowStaging); `failStagedLoad`: the stage's load number that fails. */
  allowStaging = false;
  failStagedLoad = 0;

  /** Makes `open` ignore the stage, as when the server refuses the commit (the rows are then written batch by batch). */
  refuseStagedCommit = false;
  /** Holds the stage's opening back this long (the check pass meanwhile cuts its first batches) … */
  stageOpenDelayMs = 0;
  /** … and then fails it: rejects, or resolves to null (the stage it opened is undone first). */
  failStageOpen: 'reject' | 'null' | null = null;

  override open(run: RunInfo): Promise<{ salt: string; staged?: boolean }> {
    return super.open(this.refuseStagedCommit ? { ...run, staged: null } : run);
  }

  override stage(run: { readonly ingestorId: string }): { readonly opening: Promise<OpenedStage | null> } | null {
    if (!this.allowStaging) return null;
    const asked = super.stage(run);
    if (asked === null) return null;
    const opening = asked.opening.then(async (opened): Promise<OpenedStage | null> => {
      if (this.stageOpenDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.stageOpenDelayMs));
      if (this.failStageOpen !== null) {
        await opened?.stage.discard('undo');
        if (this.failStageOpen === 'reject') throw new IngestError('MYSQL_FAILED', 'stage open refused (test)');
        return null;
      }
      if (opened === null) return null;
      const { stage } = opened;
      return {
        salt: opened.salt,
        stage: {
          encode: (ids, rows) => stage.encode(ids, rows),
          load: async (batch) => {
            if (++this.stagedLoads === this.failStagedLoad) throw new IngestError('MYSQL_FAILED', 'stage load refused (test)');
            return stage.load(batch);
          },
          seal: () => stage.seal(),
          discard: (how) => stage.discard(how),
        },
      };
    });
    return { opening };
  }

  override write(rows: readonly OutRow[], batch: number): Promise<void> {
    this.writes++;
    return super.write(rows, batch);
  }

  override async writeEncoded(batch: EncodedBatch, index: number): Promise<void> {
    this.encodedWrites++;
    for (const name of await spoolFiles()) this.spoolsSeen.add(name);
    return super.writeEncoded(batch, index);
  }
}

async function spoolFiles(): Promise<string[]> {
  const names = await readdir(spoolDir).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.spool'));
}

interface Run {
  plan: Plan;
  result: IngestResult;
  sink: WatchedSink;
  fallbacks: number;
  requests: RecordedRequest[];
}

async function run(
  config: string,
  via: Path,
  failStagedLoad = 0,
  refuseStagedCommit = false,
  slowStage: { stageOpenDelayMs: number; failStageOpen: WatchedSink['failStageOpen'] } = { stageOpenDelayMs: 0, failStageOpen: null },
): Promise<Run> {
  const { plan } = await loadPlan(config, { storageRoot: root, batchSize: BATCH });
  const settings: MysqlSettings = { ...MYSQL, database: dbs[via].name, waitSeconds: 5 };
  let fallbacks = 0;
  const options: MysqlSinkOptions = { writeMethod: via === 'insert' ? 'insert' : 'auto', onFallback: () => fallbacks++ };
  const sink = new WatchedSink(plan, settings, options);
  sink.allowStaging = via === 'staged';
  sink.failStagedLoad = failStagedLoad;
  sink.refuseStagedCommit = refuseStagedCommit;
  sink.stageOpenDelayMs = slowStage.stageOpenDelayMs;
  sink.failStageOpen = slowStage.failStageOpen;
  backend.requests.length = 0;
  let result: IngestResult;
  try {
    result = await ingest({
      plan,
      mode: 'run',
      sink,
      logger,
      ingestorId: ingestorOf(plan.table),
      correlationId: null,
      spoolDir: via === 'reread' ? undefined : spoolDir,
      openBackend: async (id) =>
        new BackendClient(new HttpTransport({ baseUrl: backend.url, token: TOKEN, baseDelayMs: 1, retries: 1 }), {
          table: plan.table,
          ingestorId: id,
          intent: plan.intent,
        }),
    });
  } finally {
    await sink.close();
  }
  // Whatever the outcome, the spool is gone when the run ends.
  expect(await spoolFiles()).toEqual([]);
  return { plan, result, sink, fallbacks, requests: backend.requests.splice(0) };
}

/** Checks the run used the write path it was meant to. */
function expectPath(r: Run, via: Path): void {
  if (via === 'staged') {
    // Every row went in during the check pass; the write pass only sent metadata.
    expect(r.sink.stagedLoads).toBeGreaterThan(0);
    expect(r.sink.writes + r.sink.encodedWrites).toBe(0);
  } else if (via === 'reread') {
    expect(r.sink.encodedWrites).toBe(0);
    expect(r.sink.writes).toBeGreaterThan(0);
  } else {
    expect(r.sink.writes).toBe(0);
    expect(r.sink.encodedWrites).toBeGreaterThan(0);
    // While the write pass ran, the spool of this run (and only it) was on disk.
    expect([...r.sink.spoolsSeen]).toEqual([`${r.plan.table}.${ingestorOf(r.plan.table)}.spool`]);
  }
  expect(r.fallbacks).toBe(0);
}

interface Table {
  /** Every column but id, created_at, updated_at and data_id, in id order. */
  rows: Record<string, unknown>[];
  dataIds: string[];
}

async function table(via: Path, name: string): Promise<Table> {
  const all = await dbs[via].query<Record<string, unknown>>(`SELECT * FROM \`${dbs[via].name}\`.\`${name}\` ORDER BY id`);
  const dataIds: string[] = [];
  const rows = all.map((r) => {
    const { id: _id, created_at: _c, updated_at: _u, data_id, ...rest } = r;
    dataIds.push(String(data_id));
    return rest;
  });
  return { rows, dataIds };
}

/** The data_ids the run must have given: its rows' numbers under its table's salt. */
async function expectedDataIds(via: Path, r: Run, rowNumbers: readonly number[]): Promise<string[]> {
  const [meta] = await dbs[via].query<{ salt: string }>(
    `SELECT salt FROM \`${dbs[via].name}\`.tracebloc_ingest_meta WHERE table_name = ?`,
    [r.plan.table],
  );
  const keys = dataIdAssigner(r.plan.dataId, { salt: meta!.salt, configHash: r.plan.configHash, scope: { run: r.result.ingestorId } });
  return rowNumbers.map((row) => keys.assign(row, null));
}

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type MetaRow = { data_id: string; label: Json };

function sentRows(r: Run): MetaRow[] {
  return r.requests
    .filter((q) => q.path === `/global_meta/${r.plan.table}/`)
    .flatMap((q) => q.body as MetaRow[]);
}

/**
 * The backend traffic with every data_id left out (they differ by the per-table salt), and
 * consecutive row requests as one (how many batches leave per request depends on timing).
 */
function traffic(r: Run): unknown[] {
  const out: { method: string; path: string; query: unknown; status: unknown; body: unknown }[] = [];
  for (const q of r.requests) {
    const body = Array.isArray(q.body) ? q.body.map((row) => ({ ...(row as object), data_id: undefined })) : q.body;
    const before = out[out.length - 1];
    if (before && Array.isArray(before.body) && Array.isArray(body) && before.path === q.path && before.status === q.status) {
      before.body.push(...body);
      continue;
    }
    out.push({ method: q.method, path: q.path, query: q.query, status: q.status, body });
  }
  return out;
}

/**
 * Runs the config through all `paths`; checks each run on its own (status, counters, the write
 * method used, data_ids of exactly `rowNumbers`, what the backend got) and all runs against the
 * first (table contents without data_id, backend traffic without data_id, source fingerprint).
 */
async function compare(config: string, rowNumbers: readonly number[], paths: readonly Path[], status: 'succeeded' | 'quarantined') {
  const runs = {} as Record<Path, Run>;
  const tables = {} as Record<Path, Table>;
  for (const via of paths) {
    const r = await run(config, via);
    expect(r.result.error?.describe() ?? null).toBeNull();
    expect(r.result.status).toBe(status);
    expectPath(r, via);
    expect(r.result.counters).toMatchObject({
      total: ROWS,
      processed: rowNumbers.length,
      inserted: rowNumbers.length,
      sent: rowNumbers.length,
      skipped: ROWS - rowNumbers.length,
    });
    runs[via] = r;
    tables[via] = await table(via, r.plan.table);

    const t = tables[via];
    expect(t.rows).toHaveLength(rowNumbers.length);
    // data_ids: unique v8 UUIDs, exactly those of the written rows' numbers, in source order.
    expect(t.dataIds.every((id) => UUID_V8.test(id))).toBe(true);
    expect(new Set(t.dataIds).size).toBe(t.dataIds.length);
    expect(t.dataIds).toEqual(await expectedDataIds(via, r, rowNumbers));
    // The backend got those data_ids, in that order, each with its row's label (as the policy encodes it).
    const sent = sentRows(r);
    expect(sent.map((s) => s.data_id)).toEqual(t.dataIds);
    expect(sent.map((s) => s.label)).toEqual(t.rows.map((row) => r.result.labels!.encode(row['label'] as string)));
    expect(r.requests.every((q) => q.status !== undefined && q.status < 300)).toBe(true);
    expect(r.requests.filter((q) => q.path === '/dataset/')).toHaveLength(1);
  }
  const [first, ...rest] = paths;
  for (const via of rest) {
    expect(tables[via].rows, `${via} vs ${first}`).toEqual(tables[first!].rows);
    expect(traffic(runs[via]), `${via} vs ${first}`).toEqual(traffic(runs[first!]));
    expect(runs[via].result.check!.sourceHash).toBe(runs[first!].result.check!.sourceHash);
  }
  return { runs, tables };
}

const allRows = Array.from({ length: ROWS }, (_, i) => i + 1);

// ---------------------------------------------------------------------------------------------

describe('the row spool writes what reading the source again writes', () => {
  it('tabular_regression, bucket label on a DECIMAL column: spool, re-read and spool + INSERT agree', async () => {
    const data = dataset(1);
    await writeFile(path.join(root, 'data', 'houses.csv'), data.csv);
    const config = await writeConfig('speq_reg', 'tabular_regression', 'houses.csv', 'label:\n  column: price\n  policy: bucket\n  bins: 4\n');
    const { runs, tables } = await compare(config, allRows, PATHS, 'succeeded');
    expect(runs.spool.result.labels!.describe()).toMatchObject({ policy: 'bucket' });

    // Both paths agree with the source, not only with each other.
    const t = tables.spool;
    expect(t.rows.map((r) => r['note'])).toEqual(data.notes);
    expect(t.rows.some((r) => r['score'] === null)).toBe(true);
    expect(t.rows.some((r) => r['floors'] === null)).toBe(true);
    expect(t.rows.some((r) => typeof r['memo'] === 'string' && r['memo'].includes('\u0000nul\r'))).toBe(true);
    // Padded numbers, dates and booleans arrive trimmed (nothing shifted a column).
    expect(t.rows.some((r) => r['sqft'] === 12.25)).toBe(true);
    expect(t.rows.some((r) => r['rooms'] === 7)).toBe(true);
    expect(t.rows.some((r) => r['built'] === '2001-02-03')).toBe(true);
    expect(t.rows.some((r) => r['label'] === ' 250.00\t' && r['price'] === '250.00')).toBe(true);
    expect(new Set(t.rows.map((r) => r['garden']))).toEqual(new Set([0, 1]));
    expect(t.rows[0]).toMatchObject({ data_intent: 'train', ingestor_id: ingestorOf('speq_reg'), filename: null, extension: null, annotation: null });
  });

  it('tabular_classification, passthrough of an awkward text label: spool, re-read and spool + INSERT agree', async () => {
    const data = dataset(2);
    await writeFile(path.join(root, 'data', 'kinds.csv'), data.csv);
    const config = await writeConfig('speq_cls', 'tabular_classification', 'kinds.csv', 'label: kind\n');
    const { runs, tables } = await compare(config, allRows, PATHS, 'succeeded');
    expect(runs.spool.result.labels!.describe()).toEqual({ policy: 'passthrough' });
    // The exact label text is kept in MySQL and sent as is.
    expect(tables.spool.rows.map((r) => r['label'])).toEqual(data.kinds);
    expect(sentRows(runs.spool).map((s) => s.label)).toEqual(data.kinds);
    expect(tables.spool.rows.map((r) => r['note'])).toEqual(data.notes);
  });

  it('quarantine: both paths leave out the same invalid rows and report quarantined', async () => {
    const invalid = new Set([17, 400, 401, 1234, 2500]);
    const data = dataset(3, (row) => {
      if (row === 17) return { rooms: 'many' };
      if (row === 400) return { built: '2024/01/02' };
      if (row === 401) return { note: quote('x'.repeat(201)) };
      if (row === 1234) return { kind: '""' };
      if (row === 2500) return { sqft: 'NaN' };
      return null;
    });
    await writeFile(path.join(root, 'data', 'quarantine.csv'), data.csv);
    const config = await writeConfig(
      'speq_q',
      'tabular_classification',
      'quarantine.csv',
      'label: kind\nspec:\n  on_invalid_row: quarantine\n  max_invalid_rows: 10\n',
    );
    const kept = allRows.filter((row) => !invalid.has(row));
    const { runs, tables } = await compare(config, kept, ['spool', 'reread', 'staged'], 'quarantined');
    expect([...runs.spool.result.check!.invalidRows].sort((a, b) => a - b)).toEqual([...invalid]);
    expect(tables.spool.rows.map((r) => r['note'])).toEqual(data.notes.filter((_, i) => !invalid.has(i + 1)));
    const [recorded] = await dbs.spool.query<{ status: string; skipped: number }>(
      `SELECT status, skipped FROM \`${dbs.spool.name}\`.tracebloc_ingest_runs WHERE table_name = 'speq_q'`,
    );
    expect(recorded).toEqual({ status: 'quarantined', skipped: invalid.size });
  });

  it('data the check pass refuses: nothing written, nothing sent, no spool left', async () => {
    const data = dataset(4, (row) => (row === ROWS - 10 ? { price: 'expensive' } : null));
    await writeFile(path.join(root, 'data', 'refused.csv'), data.csv);
    const config = await writeConfig('speq_rej', 'tabular_regression', 'refused.csv', 'label:\n  column: price\n  policy: bucket\n');
    for (const via of ['spool', 'reread', 'staged'] as const) {
      const r = await run(config, via);
      expect(r.result.status).toBe('rejected');
      expect(r.result.exitCode).toBe(3);
      expect(r.result.problems.map((p) => [p.code, p.context.row])).toEqual([
        ['CAST_INVALID', ROWS - 10],
        ['LABEL_INVALID', ROWS - 10],
      ]);
      expect(r.sink.writes + r.sink.encodedWrites).toBe(0);
      expect(r.requests).toHaveLength(0);
      // The staged run loaded rows while checking; they were rolled back and the table dropped.
      if (via === 'staged') expect(r.sink.stagedLoads).toBeGreaterThan(0);
      expect(await dbs[via].tableExists('speq_rej')).toBe(false);
      const runsRecorded = await dbs[via].query<{ n: number }>(
        `SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'tracebloc_ingest_runs'`,
        [dbs[via].name],
      );
      if (Number(runsRecorded[0]!.n) > 0) {
        const [n] = await dbs[via].query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${dbs[via].name}\`.tracebloc_ingest_runs WHERE table_name = 'speq_rej'`);
        expect(Number(n!.n)).toBe(0);
      }
    }
  });

  it('a stage load that fails is undone and the write pass writes every row instead: the same table, the same traffic', async () => {
    const data = dataset(6);
    await writeFile(path.join(root, 'data', 'stagefail.csv'), data.csv);
    const config = await writeConfig('speq_sf', 'tabular_classification', 'stagefail.csv', 'label: kind\n');
    const reference = await run(config, 'spool');
    const r = await run(config, 'staged', 2);
    expect(r.result.error?.describe() ?? null).toBeNull();
    expect(r.result.status).toBe('succeeded');
    expect(r.sink.stagedLoads).toBeGreaterThanOrEqual(2);
    // The spool left the encodings to the stage: the write pass read the source again and wrote rows.
    expect(r.sink.writes).toBeGreaterThan(0);
    expect(r.sink.encodedWrites).toBe(0);
    const [got, want] = [await table('staged', 'speq_sf'), await table('spool', 'speq_sf')];
    expect(got.rows).toEqual(want.rows);
    expect(got.dataIds).toEqual(await expectedDataIds('staged', r, allRows));
    expect(sentRows(r).map((m) => m.data_id)).toEqual(got.dataIds);
    expect(traffic(r)).toEqual(traffic(reference));

    // Every row staged, but the commit refused: undone, and written batch by batch instead.
    await dbs.staged.query(`DROP TABLE \`${dbs.staged.name}\`.speq_sf`);
    await dbs.staged.query(`DELETE FROM \`${dbs.staged.name}\`.tracebloc_ingest_runs WHERE table_name = 'speq_sf'`);
    const refused = await run(config, 'staged', 0, true);
    expect(refused.result.error?.describe() ?? null).toBeNull();
    expect(refused.result.status).toBe('succeeded');
    expect(refused.sink.stagedLoads).toBeGreaterThan(0);
    expect(refused.sink.writes).toBeGreaterThan(0);
    expect(refused.sink.encodedWrites).toBe(0);
    expect(refused.result.counters).toMatchObject({ total: ROWS, inserted: ROWS, sent: ROWS });
    const again = await table('staged', 'speq_sf');
    expect(again.rows).toEqual(want.rows);
    expect(again.dataIds).toEqual(await expectedDataIds('staged', refused, allRows));
    expect(sentRows(refused).map((m) => m.data_id)).toEqual(again.dataIds);
    expect(traffic(refused)).toEqual(traffic(reference));
  });

  it('a stage still opening when the first batches are cut: they wait for it (the reader held back), then load in order; a stage that cannot be opened after all leaves every row to the write pass', async () => {
    const data = dataset(7);
    await writeFile(path.join(root, 'data', 'slowstage.csv'), data.csv);
    const config = await writeConfig('speq_slow', 'tabular_classification', 'slowstage.csv', 'label: kind\n');
    const reference = await run(config, 'spool');
    const want = await table('spool', 'speq_slow');
    for (const failStageOpen of [null, 'reject', 'null'] as const) {
      await dbs.staged.query(`DROP TABLE IF EXISTS \`${dbs.staged.name}\`.speq_slow`);
      await dbs.staged.query(`DELETE FROM \`${dbs.staged.name}\`.tracebloc_ingest_runs WHERE table_name = 'speq_slow'`);
      const r = await run(config, 'staged', 0, false, { stageOpenDelayMs: 150, failStageOpen });
      expect(r.result.error?.describe() ?? null, String(failStageOpen)).toBeNull();
      expect(r.result.status).toBe('succeeded');
      expect(r.result.counters).toMatchObject({ total: ROWS, inserted: ROWS, sent: ROWS });
      if (failStageOpen === null) {
        // All 9 batches went through the stage, none through the write pass.
        expect(r.sink.stagedLoads).toBeGreaterThan(0);
        expect(r.sink.writes + r.sink.encodedWrites).toBe(0);
      } else {
        // Nothing was loaded; the spool had left the encodings to the stage: the source is read again.
        expect(r.sink.stagedLoads).toBe(0);
        expect(r.sink.writes).toBeGreaterThan(0);
        expect(r.sink.encodedWrites).toBe(0);
      }
      const got = await table('staged', 'speq_slow');
      expect(got.rows).toEqual(want.rows);
      expect(got.dataIds).toEqual(await expectedDataIds('staged', r, allRows));
      expect(sentRows(r).map((m) => m.data_id)).toEqual(got.dataIds);
      expect(traffic(r)).toEqual(traffic(reference));
    }
  });

  it('data_id from a source column (values with backslashes, tabs, \\N, unicode): every path stores and sends exactly the source values', async () => {
    const ids = Array.from({ length: 700 }, (_, i) =>
      [`C:\\new${i}`, `x\ty${i}`, `\\N${i}`, `猫-${i}`, `p"q${i}`, `line\\n${i}`, `plain${i}`][i % 7]!,
    );
    const csv = ['id,sqft,kind', ...ids.map((id, i) => `${quote(id)},${i}.5,${i % 3 ? 'a' : 'b'}`)].join('\n') + '\n';
    await writeFile(path.join(root, 'data', 'ids.csv'), csv);
    const config = path.join(root, 'speq_ids.yaml');
    await writeFile(
      config,
      'apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: speq_ids\nintent: train\ncategory: tabular_classification\n' +
        'csv: data/ids.csv\nschema:\n  sqft: DOUBLE\nlabel: kind\ndata_id:\n  strategy: column\n  column: id\n',
    );
    for (const via of PATHS) {
      const r = await run(config, via);
      expect(r.result.error?.describe() ?? null).toBeNull();
      expect(r.result.status).toBe('succeeded');
      expectPath(r, via);
      const t = await table(via, 'speq_ids');
      expect(t.dataIds).toEqual(ids);
      expect(sentRows(r).map((m) => m.data_id)).toEqual(ids);
    }
  });

  it('a write pass that fails leaves no spool behind either', async () => {
    const data = dataset(5);
    await writeFile(path.join(root, 'data', 'failing.csv'), data.csv);
    const config = await writeConfig('speq_fail', 'tabular_classification', 'failing.csv', 'label: kind\n');
    // The backend refuses the second batch's metadata for good.
    let rowPosts = 0;
    backend.onRequest = (q) => {
      if (q.path === '/global_meta/speq_fail/' && ++rowPosts === 2) backend.faults.failNext(1, 400);
    };
    try {
      const r = await run(config, 'spool');
      expect(r.result.status).toBe('failed');
      expect(r.sink.encodedWrites).toBeGreaterThan(0);
      expect(r.sink.writes).toBe(0);
      // The first batch went through; the second was refused and nothing after it was sent.
      expect(r.result.counters.sent).toBe(BATCH);
      const [n] = await dbs.spool.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${dbs.spool.name}\`.speq_fail`);
      expect(Number(n!.n)).toBeGreaterThanOrEqual(2 * BATCH);
    } finally {
      backend.onRequest = null;
      backend.faults.reset();
    }
  });
});
