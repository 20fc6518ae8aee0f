import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../support/fake-backend.js';
import { MYSQL } from '../support/mysql.js';
import { parseBanner, runCli, spawnCli } from '../support/cli.js';
import { useServices } from '../support/e2e.js';
import { exists } from '../support/files.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { tempDir } from '../support/tmp.js';

const TOKEN = 'resilience-token';
const ROWS = 100_000;

const svc = useServices('resilience', TOKEN);
let proxy: TcpProxy;
let root: string;

beforeAll(async () => {
  proxy = await startTcpProxy(MYSQL.port, MYSQL.host);
  root = await tempDir('tb-res-');
  await mkdir(path.join(root, 'big'));
  const lines = ['a,b,y'];
  for (let i = 1; i <= ROWS; i++) lines.push(`${i},${(i * 0.37).toFixed(3)},${i % 3 ? 'no' : 'yes'}`);
  await writeFile(path.join(root, 'big', 'big.csv'), lines.join('\n') + '\n');
});

afterAll(async () => {
  await proxy?.close();
});

async function config(table: string, rows = 'big/big.csv'): Promise<string> {
  const file = path.join(root, `${table}.yaml`);
  await writeFile(
    file,
    `apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: ${table}\nintent: train\ncategory: tabular_classification\ncsv: ${rows}\nschema:\n  a: INT\n  b: DOUBLE\nlabel: y\n`,
  );
  return file;
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return svc.env({
    BACKEND_RETRY_BASE_MS: '20',
    STORAGE_ROOT: root,
    TRACEBLOC_INGEST_CORRELATION_ID: 'submit-42',
    ...extra,
  });
}

const isRowPost = (table: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/global_meta/${table}/`;

/** data_ids the backend accepted (2xx), with how often. */
function accepted(table: string): Map<string, number> {
  const seen = new Map<string, number>();
  for (const r of svc.backend.requests.filter(isRowPost(table))) {
    if (r.status === undefined || r.status >= 300) continue;
    for (const e of r.body as Array<{ data_id: string }>) seen.set(e.data_id, (seen.get(e.data_id) ?? 0) + 1);
  }
  return seen;
}

/** Row spools of `table` on the storage volume. */
async function spoolFiles(table: string): Promise<string[]> {
  const names = await readdir(path.join(root, '.tracebloc-ingest', 'spool')).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(`${table}.`) && n.endsWith('.spool'));
}

/**
 * Runs `action` once, when the row metadata requests for `table` have carried `fraction` of ROWS (a
 * request may carry several batches); the backend answers that request after the action.
 */
function onceRowsPosted(table: string, fraction: number, action: () => unknown): void {
  let posted = 0;
  let done = false;
  svc.backend.onRequest = async (rec) => {
    if (done || !isRowPost(table)(rec)) return;
    posted += (rec.body as unknown[]).length;
    if (posted < ROWS * fraction) return;
    done = true;
    await action();
  };
}

async function tableStats(table: string): Promise<{ n: number; ids: number }> {
  const [row] = await svc.db.query<{ n: number; ids: number }>(`SELECT COUNT(*) AS n, COUNT(DISTINCT data_id) AS ids FROM \`${table}\``);
  return { n: Number(row!.n), ids: Number(row!.ids) };
}

describe('never duplicate, lose or leak', () => {
  // Rows loaded during the check pass and committed at once (the default where LOAD DATA is allowed),
  // or written batch by batch in the write pass (here: INSERT, which cannot be staged).
  it.each([
    ['staged', 'killed', {}],
    ['written per batch', 'killed_b', { MYSQL_WRITE_METHOD: 'insert' }],
  ] as const)('SIGKILL mid-ingest (%s), then the same Job again: exactly one copy of each row, each data_id accepted once, one registration', async (how, table, extra) => {
    const file = await config(table);
    svc.backend.requests.length = 0;
    const first = spawnCli([], { env: env({ INGEST_CONFIG: file, ...extra }) });
    // Killed once about 30 % of the metadata has reached the backend.
    onceRowsPosted(table, 0.3, async () => {
      first.child.kill('SIGKILL');
      await first.done;
    });
    const killed = await first.done;
    svc.backend.onRequest = null;
    expect(killed.signal).toBe('SIGKILL');
    expect(await exists(path.join(root, `.tracebloc-ingest-${table}.lock`))).toBe(true);
    const partial = await tableStats(table);
    if (how === 'staged') {
      // Every row was committed with the run's record before the first metadata left.
      expect(partial).toEqual({ n: ROWS, ids: ROWS });
    } else {
      expect(partial.n).toBeGreaterThan(0);
      expect(partial.n).toBeLessThan(ROWS);
    }
    // The killed run's row spool (its checked rows) is left behind; the retry removes it.
    expect(await spoolFiles(table)).toHaveLength(1);

    const retry = await runCli([], { env: env({ INGEST_CONFIG: file, ...extra }) });
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stderr).toContain('continuing an earlier attempt');
    expect(parseBanner(retry.stdout)).toMatchObject({ total: ROWS, inserted: ROWS, sent: ROWS, skipped: 0 });
    expect(await tableStats(table)).toEqual({ n: ROWS, ids: ROWS });
    const ids = accepted(table);
    expect(ids.size).toBe(ROWS);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(svc.backend.requests.filter((r) => r.path === '/dataset/')).toHaveLength(1);
    const injestorIds = new Set(svc.backend.requests.filter(isRowPost(table)).flatMap((r) => (r.body as Array<{ injestor_id: string }>).map((e) => e.injestor_id)));
    expect(injestorIds.size).toBe(1);
    expect(await exists(path.join(root, `.tracebloc-ingest-${table}.lock`))).toBe(false);
    expect(await spoolFiles(table)).toEqual([]);
  }, 120_000);

  it('SIGTERM while the check pass loads rows: exits within 5 s leaving the rollback to the server; nothing committed; a retry completes', async () => {
    const file = await config('termcheck');
    svc.backend.requests.length = 0;
    const run = spawnCli([], { env: env({ INGEST_CONFIG: file }) });
    // Wait until the check pass is well under way (its spool holds 20k+ rows; batches of 1000 are loaded as they are cut).
    let spooled = 0;
    for (let i = 0; i < 1000 && spooled < 1_000_000; i++) {
      const [name] = await spoolFiles('termcheck');
      spooled = name ? (await stat(path.join(root, '.tracebloc-ingest', 'spool', name)).catch(() => ({ size: 0 }))).size : 0;
      if (spooled < 1_000_000) await new Promise((r) => setTimeout(r, 5));
    }
    expect(spooled).toBeGreaterThanOrEqual(1_000_000);
    const signalledAt = Date.now();
    run.child.kill('SIGTERM');
    const stopped = await run.done;
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(stopped.code).toBe(130);
    expect(parseBanner(stopped.stdout)).toMatchObject({ inserted: 0, sent: 0 });
    expect(svc.backend.requests).toHaveLength(0);
    const [recorded] = await svc.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM tracebloc_ingest_runs WHERE table_name = 'termcheck'`);
    expect(Number(recorded!.n)).toBe(0);

    const retry = await runCli([], { env: env({ INGEST_CONFIG: file }) });
    expect(retry.code, retry.stderr).toBe(0);
    expect(await tableStats('termcheck')).toEqual({ n: ROWS, ids: ROWS });
    expect(accepted('termcheck').size).toBe(ROWS);
  }, 120_000);

  it('SIGTERM mid-ingest: exits within 5 s with the interruption code, banner and no lock; a retry completes', async () => {
    const file = await config('termed');
    svc.backend.requests.length = 0;
    const run = spawnCli([], { env: env({ INGEST_CONFIG: file }) });
    // Signalled once a tenth of the metadata has reached the backend.
    let signalledAt = 0;
    onceRowsPosted('termed', 0.1, () => {
      signalledAt = Date.now();
      run.child.kill('SIGTERM');
    });
    const stopped = await run.done;
    svc.backend.onRequest = null;
    expect(signalledAt).toBeGreaterThan(0);
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(stopped.code).toBe(130);
    const banner = parseBanner(stopped.stdout);
    expect(banner.total).toBe(ROWS);
    // Stopped while sending: the banner counts what the table holds (all of it: the rows were
    // committed together before the first send) and what the backend accepted.
    expect(banner.sent).toBeLessThan(ROWS);
    expect(banner.inserted).toBe((await tableStats('termed')).n);
    expect(banner.sent).toBe(accepted('termed').size);
    expect(await exists(path.join(root, '.tracebloc-ingest-termed.lock'))).toBe(false);
    expect(await spoolFiles('termed')).toEqual([]);
    expect(svc.backend.requests.filter((r) => r.path === '/dataset/')).toHaveLength(0);

    const retry = await runCli([], { env: env({ INGEST_CONFIG: file }) });
    expect(retry.code, retry.stderr).toBe(0);
    expect(await tableStats('termed')).toEqual({ n: ROWS, ids: ROWS });
    const ids = accepted('termed');
    expect(ids.size).toBe(ROWS);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(svc.backend.requests.filter((r) => r.path === '/dataset/')).toHaveLength(1);
  }, 120_000);

  it('MySQL dropping every connection for 3 s mid-run: the run rides it out without a gap or a duplicate', async () => {
    const file = await config('outage');
    svc.backend.requests.length = 0;
    // The outage starts once a fifth of the metadata has reached the backend.
    onceRowsPosted('outage', 0.2, () => proxy.outage(3000));
    const r = await runCli([], { env: env({ INGEST_CONFIG: file, MYSQL_PORT: String(proxy.port) }) });
    svc.backend.onRequest = null;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('MySQL retry');
    expect(await tableStats('outage')).toEqual({ n: ROWS, ids: ROWS });
    expect(accepted('outage').size).toBe(ROWS);
  }, 120_000);

  it('a backend failing every third request: retried, each row accepted once, one registration', async () => {
    const file = await config('flaky', 'big/small.csv');
    await writeFile(path.join(root, 'big', 'small.csv'), 'a,b,y\n' + Array.from({ length: 95 }, (_, i) => `${i},${i}.5,${i % 2 ? 'x' : 'z'}`).join('\n') + '\n');
    svc.backend.requests.length = 0;
    svc.backend.faults.failEvery(3, 503);
    const r = await runCli([], { env: env({ INGEST_CONFIG: file, BATCH_SIZE: '10' }) });
    svc.backend.faults.reset();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('backend retry');
    const ids = accepted('flaky');
    expect(ids.size).toBe(95);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(svc.backend.requests.filter((q) => q.path === '/dataset/' && q.status === 201)).toHaveLength(1);
  });

  it('a backend that keeps failing: non-zero exit, honest counters, never registered; a retry completes', async () => {
    const file = await config('down', 'big/small.csv');
    svc.backend.requests.length = 0;
    // Every request that would carry rows past the 30th is refused (requests may carry several batches).
    let rowsAccepted = 0;
    svc.backend.onRequest = (rec) => {
      if (!isRowPost('down')(rec)) return;
      const n = (rec.body as unknown[]).length;
      if (rowsAccepted + n > 30) svc.backend.faults.failNext(1, 503);
      else rowsAccepted += n;
    };
    const r = await runCli([], { env: env({ INGEST_CONFIG: file, BATCH_SIZE: '10', BACKEND_RETRIES: '2' }) });
    svc.backend.onRequest = null;
    svc.backend.faults.reset();
    expect(r.code).toBe(75);
    expect(r.stderr).toContain('BACKEND_FAILED');
    const banner = parseBanner(r.stdout);
    // The metadata past the 30th row is refused; later batches may already be committed (the
    // pipeline holds up to 8 unsent batches), but nothing after the failure is sent.
    expect(banner).toMatchObject({ total: 95, sent: rowsAccepted });
    expect(rowsAccepted % 10).toBe(0);
    expect(rowsAccepted).toBeGreaterThanOrEqual(10);
    expect(banner['inserted']).toBe((await tableStats('down')).n);
    expect(banner['inserted']).toBeGreaterThan(rowsAccepted);
    expect(banner['inserted']).toBeLessThanOrEqual(95);
    expect(accepted('down').size).toBe(rowsAccepted);
    expect(svc.backend.requests.filter((q) => q.path === '/dataset/')).toHaveLength(0);
    expect(svc.backend.requests.filter((q) => q.path.startsWith('/global_meta/') && !isRowPost('down')(q))).toHaveLength(0);

    const retry = await runCli([], { env: env({ INGEST_CONFIG: file, BATCH_SIZE: '10' }) });
    expect(retry.code, retry.stderr).toBe(0);
    const ids = accepted('down');
    expect(ids.size).toBe(95);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(svc.backend.requests.filter((q) => q.path === '/dataset/')).toHaveLength(1);
  });

  it('two runs of the same table at once: the second is refused by the lock without writing', async () => {
    const file = await config('twice');
    svc.backend.requests.length = 0;
    const first = spawnCli([], { env: env({ INGEST_CONFIG: file }) });
    let started = false;
    let second: Awaited<ReturnType<typeof runCli>> | null = null;
    svc.backend.onRequest = async (rec) => {
      if (isRowPost('twice')(rec) && !started) {
        started = true;
        second = await runCli([], { env: env({ INGEST_CONFIG: file }) });
      }
    };
    const r1 = await first.done;
    svc.backend.onRequest = null;
    expect(r1.code, r1.stderr).toBe(0);
    expect(second).not.toBeNull();
    expect(second!.code).toBe(75);
    expect(second!.stderr).toContain('LOCKED');
    expect(await tableStats('twice')).toEqual({ n: ROWS, ids: ROWS });
  }, 120_000);
});
