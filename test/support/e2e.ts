/**
 * The harness of the end-to-end tests: one fresh database and one loopback backend per test file
 * (`useServices`), plus a private PVC copy and runs of the built CLI against them (`useE2E`), and
 * the checks every end-to-end test shares.
 *
 * `useServices` and `useE2E` are called at the top level of a test file: they register the file's
 * beforeAll/afterAll hooks and return the harness, whose members may be used once the tests run.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { bannerIsClean, cleanEnv, copyFixturePvc, FIXTURES, lastJsonLine, parseBanner, REPO, runCli, type CliRun } from './cli.js';
import { startFakeBackend, type FakeBackend, type RecordedRequest } from './fake-backend.js';
import { createTestDatabase, type TestDatabase } from './mysql.js';

export interface Services {
  readonly db: TestDatabase;
  readonly backend: FakeBackend;
  /** A clean env for the CLI pointing at this file's database and backend, then `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
}

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the ${what} of this test file is not started (use it inside a test or hook)`);
  return value;
}

/** A database named after `prefix` and a backend expecting `token`, for this test file. */
export function useServices(prefix: string, token: string): Services {
  let db: TestDatabase | undefined;
  let backend: FakeBackend | undefined;
  beforeAll(async () => {
    db = await createTestDatabase(prefix);
    backend = await startFakeBackend({ token });
  });
  afterAll(async () => {
    await backend?.close();
    await db?.drop();
  });
  return {
    get db() {
      return started(db, 'database');
    },
    get backend() {
      return started(backend, 'backend');
    },
    env(extra = {}) {
      return cleanEnv({ ...started(db, 'database').env, BACKEND_TOKEN: token, BACKEND_URL: started(backend, 'backend').url, ...extra });
    },
  };
}

export interface E2E extends Services {
  /** This file's private copy of the fixture PVC (removed after its tests). */
  readonly pvc: string;
  /**
   * `validate`, `plan` or `run` of a config against this file's database and backend, with this
   * file's PVC (or `opts.pvc`) as storage root; `plan` and `run` print the JSON summary last.
   */
  cli(mode: 'validate' | 'plan' | 'run', config: string, opts?: { pvc?: string; env?: Record<string, string> }): Promise<CliRun>;
}

/** `useServices` plus a private copy of the fixture PVC and runs of the built CLI. */
export function useE2E(prefix: string, token: string): E2E {
  const services = useServices(prefix, token);
  let pvc: string | undefined;
  beforeAll(async () => {
    pvc = await copyFixturePvc();
  });
  afterAll(async () => {
    if (pvc !== undefined) await rm(pvc, { recursive: true, force: true });
  });
  let n = 0;
  return {
    get db() {
      return services.db;
    },
    get backend() {
      return services.backend;
    },
    env: (extra) => services.env(extra),
    get pvc() {
      return started(pvc, 'PVC copy');
    },
    cli(mode, config, opts = {}) {
      const root = opts.pvc ?? started(pvc, 'PVC copy');
      const out = path.join(root, '.out', `${mode}-${n++}`);
      const args = mode === 'validate' ? [mode, config, '--storage-root', root] : [mode, config, '--storage-root', root, '--out', out, '--json'];
      return runCli(args, { env: services.env(opts.env) });
    },
  };
}

/** `run` of the repository's fixture config of `category` (fixtures/<category>/ingest.yaml), after forgetting earlier backend requests. */
export function runFixture(e2e: E2E, category: string): Promise<CliRun> {
  e2e.backend.requests.length = 0;
  return e2e.cli('run', path.join(FIXTURES, category, 'ingest.yaml'));
}

/** The records of a simple CSV file (no quoted commas) as cells, without its header. */
export async function readCsvRows(file: string): Promise<string[][]> {
  const csv = await readFile(file, 'utf8');
  return csv.trim().split('\n').slice(1).map((l) => l.split(','));
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
 * The backend requests of one successful registration of `rows` rows in one batch, in the order
 * PLATFORM.md §5 gives; without the edge-labels call for masked language modelling.
 */
export function expectRegistration(
  requests: readonly RecordedRequest[],
  table: string,
  rows: number,
  opts: { edgeLabels?: boolean } = {},
): void {
  expect(requests.map((q) => `${q.method} ${q.path}`)).toEqual([
    `POST /global_meta/${table}/`,
    ...(opts.edgeLabels === false ? [] : ['GET /global_meta/generate-edge-labels-meta/']),
    'POST /global_meta/global_metadata/',
    'GET /global_meta/prepare/',
    'POST /dataset/',
  ]);
  expect(requests.every((q) => q.authMatched && q.status !== undefined && q.status < 300)).toBe(true);
  expect(requests[0]!.body).toHaveLength(rows);
}

/** Everything the backend received: every body and every query, one request a line. */
export function wireOf(requests: readonly RecordedRequest[]): string {
  return requests.map((q) => q.rawBody + JSON.stringify(q.query)).join('\n');
}

/** None of `leaks` reached the backend, in any body or query. */
export function expectNotOnWire(requests: readonly RecordedRequest[], leaks: readonly string[]): void {
  const wire = wireOf(requests);
  for (const leak of leaks) expect(wire).not.toContain(leak);
}

/**
 * The platform's own example config of `category`, unchanged, runs clean (`expectCleanRun`) with
 * `rows` rows onto a fresh copy of the fixture PVC; `check` then looks at that copy, which is removed
 * after. With `ownDatabase` the run gets a database of its own (dropped after), for examples whose
 * table a fixture run of this file already filled.
 */
export async function expectPlatformExample(
  e2e: E2E,
  example: { category: string; rows: number; ownDatabase?: boolean },
  check: (pvc: string) => Promise<void> | void = () => undefined,
): Promise<void> {
  const pvc = await copyFixturePvc();
  const database = `${e2e.db.name}_ex`;
  try {
    const config = path.join(REPO, 'test', 'fixtures', 'platform-examples', `${example.category}.yaml`);
    const r = await e2e.cli('run', config, { pvc, ...(example.ownDatabase ? { env: { DB_NAME: database } } : {}) });
    expectCleanRun(r, example.rows);
    await check(pvc);
  } finally {
    if (example.ownDatabase) await e2e.db.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await rm(pvc, { recursive: true, force: true });
  }
}
