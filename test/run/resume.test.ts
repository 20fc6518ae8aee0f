import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/config/load-config.js';
import { IngestError } from '../../src/errors.js';
import { BackendClient } from '../../src/backend/client.js';
import { HttpTransport } from '../../src/backend/http-transport.js';
import { createLogger } from '../../src/log/logger.js';
import { ingest } from '../../src/run/ingest.js';
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

async function attempt(sinkClass: typeof MysqlSink, ingestorId: string) {
  const { plan } = await loadPlan(path.join(FIXTURES, 'image_classification', 'ingest.yaml'), { storageRoot: pvc });
  const sink = new sinkClass(plan, { ...MYSQL, database: db.name, waitSeconds: 5 });
  try {
    return await ingest({
      plan,
      mode: 'run',
      sink,
      logger,
      ingestorId,
      correlationId: 'job-1',
      openBackend: async (id) =>
        new BackendClient(new HttpTransport({ baseUrl: backend.url, token: 'resume-token', baseDelayMs: 1 }), {
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

    const second = await attempt(MysqlSink, 'attempt-2');
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
