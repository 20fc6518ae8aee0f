/**
 * Helpers of the image-family end-to-end tests: one database, one loopback backend and one private
 * PVC copy per test file; runs of the built CLI; bad twins (a copy of a fixture dataset with one
 * file broken) that must be refused at `plan` and leave nothing behind at `run`.
 */
import { access, cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { bannerIsClean, cleanEnv, copyFixturePvc, lastJsonLine, parseBanner, runCli, type CliRun } from './cli.js';
import { startFakeBackend, type FakeBackend, type RecordedRequest } from './fake-backend.js';
import { createTestDatabase, type TestDatabase } from './mysql.js';
import { listFiles } from './image-family.js';

export const TOKEN = 'test-token-image-41d9';

export interface ImageE2E {
  db: TestDatabase;
  backend: FakeBackend;
  pvc: string;
  /** `plan`, `run` or `validate` of a config against this file's database and backend. */
  cli(mode: 'plan' | 'run' | 'validate', config: string, opts?: { pvc?: string }): Promise<CliRun>;
  close(): Promise<void>;
}

export async function startImageE2E(prefix: string): Promise<ImageE2E> {
  const db = await createTestDatabase(prefix);
  const backend = await startFakeBackend({ token: TOKEN });
  const pvc = await copyFixturePvc();
  let n = 0;
  return {
    db,
    backend,
    pvc,
    cli(mode, config, opts = {}) {
      const root = opts.pvc ?? pvc;
      const out = path.join(root, '.out', `${mode}-${n++}`);
      const args = mode === 'validate' ? [mode, config, '--storage-root', root] : [mode, config, '--storage-root', root, '--out', out, '--json'];
      return runCli(args, { env: cleanEnv({ ...db.env, BACKEND_TOKEN: TOKEN, BACKEND_URL: backend.url }) });
    },
    async close() {
      await backend.close();
      await db.drop();
    },
  };
}

/** Writes an ingest.yaml for `dataset` (a directory of the PVC) and returns its path. */
export async function writeConfig(pvc: string, dataset: string, fields: Record<string, string>): Promise<string> {
  const lines = ['apiVersion: tracebloc.io/v1', 'kind: IngestConfig', 'intent: train', ...Object.entries(fields).map(([k, v]) => `${k}: ${v}`)];
  const file = path.join(pvc, dataset, `ingest-${fields['table']}.yaml`);
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

/** Copies the PVC dataset `from` to `name`, lets `mutate` break it, returns the new directory. */
export async function twinOf(pvc: string, from: string, name: string, mutate: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(pvc, name);
  await cp(path.join(pvc, from), dir, { recursive: true });
  await mutate(dir);
  return dir;
}

/** The backend requests of one successful registration, in the order PLATFORM.md §5 gives. */
export function expectRegistration(requests: readonly RecordedRequest[], table: string, rows: number): void {
  expect(requests.map((q) => `${q.method} ${q.path}`)).toEqual([
    `POST /global_meta/${table}/`,
    'GET /global_meta/generate-edge-labels-meta/',
    'POST /global_meta/global_metadata/',
    'GET /global_meta/prepare/',
    'POST /dataset/',
  ]);
  expect(requests.every((q) => q.authMatched && q.status !== undefined && q.status < 300)).toBe(true);
  expect(requests[0]!.body).toHaveLength(rows);
}

/** A clean run: exit 0, banner counters all `rows`, status succeeded. */
export function expectCleanRun(r: CliRun, rows: number): void {
  expect(r.code, r.stderr).toBe(0);
  const banner = parseBanner(r.stdout);
  expect(banner).toMatchObject({ total: rows, processed: rows, inserted: rows, sent: rows, skipped: 0, fileFailures: 0, failedInserts: 0 });
  expect(bannerIsClean(banner)).toBe(true);
  expect(lastJsonLine(r.stdout)['status']).toBe('succeeded');
}

/**
 * A bad twin: `plan` exits 3 naming the file and the row (and `code`), without quoting `secret`
 * (content of the broken file); `run` exits 3 too and leaves no table, no files and no request.
 * Returns the `plan` run.
 */
export async function expectRefused(
  e2e: ImageE2E,
  config: string,
  table: string,
  expected: { row: number; file: string; code: string; secret?: string },
): Promise<CliRun> {
  const [plan, run] = await Promise.all([e2e.cli('plan', config), e2e.cli('run', config)]);
  for (const r of [plan, run]) {
    expect(r.code, r.stderr).toBe(3);
    const line = r.stderr.split('\n').find((l) => l.includes(`row ${expected.row} `) && l.includes(`file "${expected.file}"`));
    expect(line, r.stderr).toBeDefined();
    expect(line).toContain(`[${expected.code}]`);
    if (expected.secret !== undefined) expect(r.stdout + r.stderr).not.toContain(expected.secret);
  }
  expect(await e2e.db.tableExists(table)).toBe(false);
  expect(await exists(path.join(e2e.pvc, table))).toBe(false);
  expect(e2e.backend.requests.filter((q) => `${q.path} ${JSON.stringify(q.query)} ${q.rawBody}`.includes(table))).toEqual([]);
  expect(parseBanner(run.stdout)).toMatchObject({ inserted: 0, sent: 0 });
  return plan;
}

export async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** Every file under `dir` (relative paths) with identical bytes to `source(rel)`. */
export async function expectCopies(dir: string, expected: Record<string, string>): Promise<void> {
  expect(await listFiles(dir)).toEqual(Object.keys(expected).sort());
  for (const [rel, source] of Object.entries(expected)) {
    expect((await readFile(path.join(dir, rel))).equals(await readFile(source)), rel).toBe(true);
  }
}
