import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/config/load-config.js';
import type { Plan } from '../../src/config/types.js';
import { IngestError } from '../../src/errors.js';
import { BackendClient } from '../../src/backend/client.js';
import { HttpTransport } from '../../src/backend/http-transport.js';
import { createLogger } from '../../src/log/logger.js';
import { ingest } from '../../src/run/ingest.js';
import { checkPass } from '../../src/run/check-pass.js';
import { dataIdAssigner } from '../../src/keys/data-id.js';
import { MysqlSink } from '../../src/sinks/mysql/mysql-sink.js';
import type { OutRow } from '../../src/sinks/types.js';
import { startFakeBackend, type FakeBackend } from '../support/fake-backend.js';
import { createTestDatabase, MYSQL, type TestDatabase } from '../support/mysql.js';
import { copyFixturePvc, FIXTURES } from '../support/cli.js';

/** Resumption through the library API, with failures injected exactly where a crash would hurt most. */
let db: TestDatabase;
let backend: FakeBackend;
let pvc: string;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase('resume');
  backend = await startFakeBackend({ token: 'resume-token' });
  pvc = await copyFixturePvc();
});

afterAll(async () => {
  await backend?.close();
  await db?.drop();
});

/** A sink whose first batch write fails after the batch's files were copied (a crash before the commit). */
class FailingFirstWrite extends MysqlSink {
  private failed = false;
  override async write(rows: readonly OutRow[], batch: number): Promise<void> {
    if (!this.failed) {
      this.failed = true;
      throw new IngestError('MYSQL_FAILED', 'injected failure before the first commit');
    }
    return super.write(rows, batch);
  }
}

async function attempt(sinkClass: typeof MysqlSink, ingestorId: string, stageDir?: string) {
  const { plan } = await loadPlan(path.join(FIXTURES, 'image_classification', 'ingest.yaml'), { storageRoot: pvc });
  return ingestWith(plan, new sinkClass(plan, { ...MYSQL, database: db.name, waitSeconds: 5 }), ingestorId, 'job-1', { stageDir });
}

/** One library ingest of `plan` into `sink` (closed afterwards), against the loopback backend. */
async function ingestWith(plan: Plan, sink: MysqlSink, ingestorId: string, correlationId: string, o: { stageDir?: string; retries?: number } = {}) {
  try {
    return await ingest({
      plan,
      mode: 'run',
      sink,
      logger,
      ingestorId,
      correlationId,
      stageDir: o.stageDir,
      openBackend: async (id) =>
        new BackendClient(new HttpTransport({ baseUrl: backend.url, token: 'resume-token', baseDelayMs: 1, retries: o.retries }), {
          table: plan.table,
          ingestorId: id,
          intent: plan.intent,
        }),
    });
  } finally {
    await sink.close();
  }
}

describe('resuming a run that failed before its first commit', () => {
  it('the retry continues the same run: files already copied are kept, rows written once, registered once', async () => {
    const first = await attempt(FailingFirstWrite, 'attempt-1');
    expect(first.status).toBe('failed');
    expect(first.exitCode).toBe(75);
    expect((await readdir(path.join(pvc, 'chest_xrays_train'))).length).toBeGreaterThan(0);
    expect(backend.requests).toHaveLength(0);

    // A stage directory a killed attempt left behind (a copy of the dataset's files) is removed by the retry.
    const stageDir = path.join(pvc, '.tracebloc-ingest', 'stage');
    await mkdir(path.join(stageDir, 'chest_xrays_train.killed-run'), { recursive: true });
    await writeFile(path.join(stageDir, 'chest_xrays_train.killed-run', 'xray_001.jpeg'), 'left behind');
    const second = await attempt(MysqlSink, 'attempt-2', stageDir);
    expect(await readdir(stageDir)).toEqual([]);
    expect(second.error?.describe() ?? null).toBeNull();
    expect(second.status).toBe('succeeded');
    expect(second.ingestorId).toBe('attempt-1');
    expect(second.counters).toMatchObject({ total: 9, inserted: 9, sent: 9 });
    const [count] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM chest_xrays_train');
    expect(Number(count!.n)).toBe(9);
    expect((await readdir(path.join(pvc, 'chest_xrays_train'))).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `xray_00${i + 1}.jpeg`));
    expect(backend.requests.filter((r) => r.path === '/dataset/')).toHaveLength(1);
  });
});

describe('resuming a run recorded by an earlier version', () => {
  it('keeps that run\'s data_ids (bound to the source fingerprint): the rows and the metadata sent after the retry match', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tb-legacy-'));
    await mkdir(path.join(dir, 'data'));
    const lines = ['a,y', ...Array.from({ length: 50 }, (_, i) => `${i},${i % 2 ? 'odd' : 'even'}`)];
    await writeFile(path.join(dir, 'data', 'legacy.csv'), lines.join('\n') + '\n');
    const yaml = path.join(dir, 'legacy.yaml');
    await writeFile(yaml, 'apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: legacy_rows\nintent: train\ncategory: tabular_classification\ncsv: data/legacy.csv\nschema:\n  a: INT\nlabel: y\n');
    const { plan } = await loadPlan(yaml, { storageRoot: dir, batchSize: 10 });
    const tabular = (ingestorId: string) =>
      ingestWith(plan, new MysqlSink(plan, { ...MYSQL, database: db.name, waitSeconds: 5 }), ingestorId, 'job-legacy', { retries: 0 });
    backend.requests.length = 0;
    // The backend refuses the first request that carries rows past the 20th (requests may carry
    // several batches): what it accepted before is sent, all five batches are committed.
    let accepted = 0;
    backend.onRequest = (q) => {
      if (q.path !== '/global_meta/legacy_rows/') return;
      const n = (q.body as unknown[]).length;
      if (accepted + n > 20) backend.faults.failNext(1, 400);
      else accepted += n;
    };
    const first = await tabular('legacy-run');
    backend.onRequest = null;
    backend.faults.reset();
    expect(first.status).toBe('failed');
    expect(first.counters.sent).toBe(accepted);
    expect(accepted % 10).toBe(0);
    expect(accepted).toBeGreaterThanOrEqual(10);

    // Make it a run of the earlier version: no id_scope, its fingerprint over the records' cells
    // (no source_hash_kind), and the ids it would have given (v1: bound to that fingerprint).
    expect(first.check!.sourceHashKind).toBe('bytes');
    const cellsHash = (await checkPass(plan, { logger: createLogger({ level: 'silent' }), resuming: true, fingerprint: 'cells' })).sourceHash;
    expect(cellsHash).not.toBe(first.check!.sourceHash);
    const [meta] = await db.query<{ salt: string }>(`SELECT salt FROM tracebloc_ingest_meta WHERE table_name = 'legacy_rows'`);
    const v1 = dataIdAssigner(plan.dataId, { salt: meta!.salt, configHash: plan.configHash, scope: { source: cellsHash } });
    await db.query(`UPDATE tracebloc_ingest_runs SET id_scope = NULL, source_hash_kind = NULL, source_hash = ? WHERE ingestor_id = 'legacy-run'`, [cellsHash]);
    const rows = await db.query<{ id: number }>('SELECT id FROM legacy_rows ORDER BY id');
    for (const [i, r] of rows.entries()) await db.query('UPDATE legacy_rows SET data_id = ? WHERE id = ?', [v1.assign(i + 1, null), r.id]);

    backend.requests.length = 0;
    const second = await tabular('another-id');
    expect(second.error?.describe() ?? null).toBeNull();
    expect(second.status).toBe('succeeded');
    expect(second.ingestorId).toBe('legacy-run');
    expect(second.check!.sourceHashKind).toBe('cells');
    expect(second.check!.sourceHash).toBe(cellsHash);
    const sent = backend.requests
      .filter((q) => q.path === '/global_meta/legacy_rows/' && q.status !== undefined && q.status < 300)
      .flatMap((q) => (q.body as Array<{ data_id: string }>).map((e) => e.data_id));
    const stored = (await db.query<{ data_id: string }>('SELECT data_id FROM legacy_rows ORDER BY id')).map((r) => r.data_id);
    // The retry sent the batches the first attempt did not, under the ids the table holds for them.
    expect(sent).toEqual(stored.slice(accepted));
    expect(sent).toEqual(Array.from({ length: 50 - accepted }, (_, i) => v1.assign(i + accepted + 1, null)));
  });
});

describe('a resumed run must see the same source', () => {
  /** A first attempt that commits every row, then fails at the backend: a run to resume. */
  async function interrupted(table: string, csv: string, extra = '') {
    const dir = await mkdtemp(path.join(tmpdir(), 'tb-changed-'));
    await mkdir(path.join(dir, 'data'));
    await writeFile(path.join(dir, 'data', 'd.csv'), csv);
    const yaml = path.join(dir, 'i.yaml');
    await writeFile(yaml, `apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: ${table}\nintent: train\ncategory: tabular_classification\ncsv: data/d.csv\nschema:\n  a: INT\nlabel: y\n${extra}`);
    const { plan } = await loadPlan(yaml, { storageRoot: dir, batchSize: 10 });
    const run = (id: string) => ingestWith(plan, new MysqlSink(plan, { ...MYSQL, database: db.name, waitSeconds: 5 }), id, `job-${table}`, { retries: 0 });
    backend.requests.length = 0;
    backend.onRequest = (q) => {
      if (q.path === `/global_meta/${table}/`) backend.faults.failNext(1, 400);
    };
    const first = await run(`${table}-1`);
    backend.onRequest = null;
    backend.faults.reset();
    expect(first.status).toBe('failed');
    expect(first.counters.inserted).toBe(30);
    return { dir, plan, run, first };
  }
  const rows = ['a,y', ...Array.from({ length: 30 }, (_, i) => `${i},${i % 2 ? 'odd' : 'even'}`)];

  it('bytes: a source re-saved with the same cells but other bytes is refused (SOURCE_CHANGED); the same file resumes', async () => {
    const { dir, run, first } = await interrupted('changed_bytes', rows.join('\n') + '\n');
    expect(first.check!.sourceHashKind).toBe('bytes');
    // The same records, one value now quoted.
    await writeFile(path.join(dir, 'data', 'd.csv'), [...rows.slice(0, 5), '4,"even"', ...rows.slice(6)].join('\n') + '\n');
    backend.requests.length = 0;
    const refused = await run('changed_bytes-2');
    expect(refused.status).toBe('rejected');
    expect(refused.error?.code).toBe('SOURCE_CHANGED');
    expect(backend.requests).toHaveLength(0);
    const [n] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM changed_bytes');
    expect(Number(n!.n)).toBe(30);

    await writeFile(path.join(dir, 'data', 'd.csv'), rows.join('\n') + '\n');
    const resumed = await run('changed_bytes-3');
    expect(resumed.error?.describe() ?? null).toBeNull();
    expect(resumed.status).toBe('succeeded');
    expect(resumed.ingestorId).toBe('changed_bytes-1');
    expect(resumed.counters).toMatchObject({ total: 30, inserted: 30, sent: 30 });
  });

  it('cells (a run recorded by an earlier version): a changed cell is refused, other bytes with the same cells resume', async () => {
    const { dir, plan, run } = await interrupted('changed_cells', rows.join('\n') + '\n');
    const cellsHash = (await checkPass(plan, { logger, resuming: true, fingerprint: 'cells' })).sourceHash;
    await db.query(`UPDATE tracebloc_ingest_runs SET source_hash_kind = NULL, source_hash = ? WHERE ingestor_id = 'changed_cells-1'`, [cellsHash]);
    await writeFile(path.join(dir, 'data', 'd.csv'), [...rows.slice(0, 5), '4,odd', ...rows.slice(6)].join('\n') + '\n');
    backend.requests.length = 0;
    const refused = await run('changed_cells-2');
    expect(refused.status).toBe('rejected');
    expect(refused.error?.code).toBe('SOURCE_CHANGED');
    expect(refused.check!.sourceHashKind).toBe('cells');
    expect(backend.requests).toHaveLength(0);

    // Quoting changes the bytes, not the cells: the earlier version's fingerprint still matches.
    await writeFile(path.join(dir, 'data', 'd.csv'), [...rows.slice(0, 5), '4,"even"', ...rows.slice(6)].join('\n') + '\n');
    const resumed = await run('changed_cells-3');
    expect(resumed.error?.describe() ?? null).toBeNull();
    expect(resumed.status).toBe('succeeded');
    expect(resumed.ingestorId).toBe('changed_cells-1');
    expect(resumed.check!.sourceHash).toBe(cellsHash);
  });
});
