import { appendFile, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendClient } from '../../src/backend/client.js';
import { HttpTransport } from '../../src/backend/http-transport.js';
import { loadPlan } from '../../src/config/load-config.js';
import { createLogger } from '../../src/log/logger.js';
import { ingest } from '../../src/run/ingest.js';
import { MysqlSink } from '../../src/sinks/mysql/mysql-sink.js';
import type { RunInfo } from '../../src/sinks/types.js';
import { copyFixturePvc, FIXTURES } from '../support/cli.js';
import { startFakeBackend, type FakeBackend } from '../support/fake-backend.js';
import { createTestDatabase, MYSQL, type TestDatabase } from '../support/mysql.js';

/** What a run readies during its check pass (RowSink.prepare, IngestOptions.prepareBackend), through the library API. */
let db: TestDatabase;
let backend: FakeBackend;
const logger = createLogger({ level: 'silent' });

beforeAll(async () => {
  db = await createTestDatabase('ready');
  backend = await startFakeBackend({ token: 'ready-token' });
});

afterAll(async () => {
  await backend?.close();
  await db?.drop();
});

/** A MySQL sink recording, in order, when it is prepared and opened. */
class RecordingSink extends MysqlSink {
  readonly calls: string[] = [];
  override async prepare(): Promise<void> {
    this.calls.push('prepare');
    await super.prepare();
    this.calls.push('prepared');
  }
  override async open(run: RunInfo): Promise<{ salt: string; staged?: boolean }> {
    this.calls.push('open');
    return super.open(run);
  }
}

/** One ingest of a fixture's config on a fresh copy of the fixture volume (`damage` edits it first). */
async function run(fixture: string, database: string, o: { mode?: 'run' | 'plan'; damage?: (pvc: string) => Promise<void> } = {}) {
  const pvc = await copyFixturePvc();
  await o.damage?.(pvc);
  const { plan } = await loadPlan(path.join(FIXTURES, fixture, 'ingest.yaml'), { storageRoot: pvc });
  const sink = new RecordingSink(plan, { ...MYSQL, database, waitSeconds: 5 });
  const calls = sink.calls;
  const sent = backend.requests.length;
  try {
    const result = await ingest({
      plan,
      mode: o.mode ?? 'run',
      sink,
      logger,
      ingestorId: `ready-${database}`,
      correlationId: null,
      spoolDir: path.join(pvc, '.tracebloc-ingest', 'spool'),
      stageDir: path.join(pvc, '.tracebloc-ingest', 'stage'),
      prepareBackend: async () => {
        calls.push('prepareBackend');
      },
      openBackend: async (id) => {
        calls.push('openBackend');
        return new BackendClient(new HttpTransport({ baseUrl: backend.url, token: 'ready-token', baseDelayMs: 1 }), {
          table: plan.table,
          ingestorId: id,
          intent: plan.intent,
        });
      },
    });
    return { result, calls, requests: backend.requests.length - sent, table: plan.table };
  } finally {
    await sink.close();
  }
}

const tablesIn = async (database: string) =>
  (await db.query<{ t: string }>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [database])).map((r) => r.t);

describe('readying a run during its check pass', () => {
  it('a run of files prepares the sink and loads the backend client while it checks, before it opens either', async () => {
    const database = `${db.name}_files`;
    const { result, calls } = await run('image_classification', database);
    expect(result.status).toBe('succeeded');
    // Started during the check pass (nine small images: it may end before the DDL does; open then waits for the same work).
    expect(calls.indexOf('prepare')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('prepare')).toBeLessThan(calls.indexOf('open'));
    expect(calls.indexOf('prepareBackend')).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf('prepareBackend')).toBeLessThan(calls.indexOf('openBackend'));
    expect(calls.filter((c) => c === 'prepare')).toHaveLength(1);
    await db.query(`DROP DATABASE \`${database}\``);
  });

  it('it happens while the check pass reads, not after it (a run without a stage, 60,000 rows)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tb-ready-'));
    await writeFile(path.join(dir, 'd.csv'), 'x,y\n' + Array.from({ length: 60_000 }, (_, i) => `${i},${i % 2 ? 'odd' : 'even'}`).join('\n') + '\n');
    const yaml = path.join(dir, 'i.yaml');
    await writeFile(yaml, 'apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: ready_rows\nintent: train\ncategory: tabular_classification\ncsv: d.csv\nschema:\n  x: INT\nlabel: y\n');
    const { plan } = await loadPlan(yaml, { storageRoot: dir });
    const database = `${db.name}_during`;
    const sink = new RecordingSink(plan, { ...MYSQL, database, waitSeconds: 5 });
    let prepareAt = Infinity;
    let backendAt = Infinity;
    const prepare = sink.prepare.bind(sink);
    sink.prepare = () => {
      prepareAt = performance.now();
      return prepare();
    };
    const started = performance.now();
    try {
      // No spool, so no stage: the sink is readied by readyAhead, not by a stage.
      const result = await ingest({
        plan, mode: 'run', sink, logger, ingestorId: 'ready-during', correlationId: null,
        prepareBackend: async () => {
          backendAt = performance.now();
        },
        openBackend: async (id) =>
          new BackendClient(new HttpTransport({ baseUrl: backend.url, token: 'ready-token', baseDelayMs: 1 }), { table: plan.table, ingestorId: id, intent: plan.intent }),
      });
      expect(result.status).toBe('succeeded');
      // The check pass began after `started` and lasted checkMs: both calls came before it ended.
      expect(result.timings.checkMs).toBeGreaterThan(20);
      expect(prepareAt - started).toBeLessThan(result.timings.checkMs);
      expect(backendAt - started).toBeLessThan(result.timings.checkMs);
    } finally {
      await sink.close();
      await db.query(`DROP DATABASE IF EXISTS \`${database}\``);
    }
  });

  it('a refused run has created only the bookkeeping tables: no dataset table, nothing sent', async () => {
    const database = `${db.name}_refused`;
    const { result, calls, requests } = await run('image_classification', database, {
      damage: (pvc) => appendFile(path.join(pvc, 'chest-xrays', 'labels.csv'), 'missing_image.jpeg,normal\n'),
    });
    expect(result.status).toBe('rejected');
    expect(calls).toContain('prepared');
    expect(calls).not.toContain('open');
    expect(calls).not.toContain('openBackend');
    expect(requests).toBe(0);
    expect(await tablesIn(database)).toEqual(['tracebloc_ingest_meta', 'tracebloc_ingest_runs']);
    expect(await db.query(`SELECT * FROM \`${database}\`.tracebloc_ingest_runs`)).toEqual([]);
    await db.query(`DROP DATABASE \`${database}\``);
  });

  it('a plan readies nothing; a staged run leaves the sink to its stage and the client to the loads\' tail', async () => {
    const planned = await run('image_classification', `${db.name}_plan`, { mode: 'plan' });
    expect(planned.result.status).toBe('planned');
    expect(planned.calls).toEqual([]);
    const database = `${db.name}_staged`;
    const staged = await run('tabular_regression', database);
    expect(staged.result.status).toBe('succeeded');
    expect(staged.calls).not.toContain('prepare');
    expect(staged.calls).not.toContain('prepareBackend');
    expect(staged.calls).toContain('openBackend');
    await db.query(`DROP DATABASE \`${database}\``);
  });
});
