/**
 * Helpers of the image-family end-to-end tests: the harness (one database, one loopback backend and
 * one private PVC copy per test file), the rows of a table, and bad twins (a copy of a fixture
 * dataset with one file broken) that must be refused at `plan` and leave nothing behind at `run`.
 */
import { cp, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { parseBanner, type CliRun } from './cli.js';
import { expectPlatformExample, useE2E, type E2E } from './e2e.js';
import { expectCopies, exists } from './files.js';

export const TOKEN = 'test-token-image-41d9';

/** The harness of an image-family test file (see `useE2E`). */
export function useImageE2E(prefix: string): E2E {
  return useE2E(prefix, TOKEN);
}

export interface ImageRow {
  filename: string;
  extension: string;
  label: string;
  annotation: string | null;
  data_id: string;
  data_intent: string;
}

/** The rows of `table`, in insertion order. */
export function imageRows(e2e: E2E, table: string): Promise<ImageRow[]> {
  return e2e.db.query<ImageRow>(`SELECT filename, extension, label, annotation, data_id, data_intent FROM \`${table}\` ORDER BY id`);
}

/** Writes an ingest.yaml of `fields` for `dataset` (a directory of the PVC) and returns its path. */
async function writeConfig(pvc: string, dataset: string, fields: Record<string, string>): Promise<string> {
  const lines = ['apiVersion: tracebloc.io/v1', 'kind: IngestConfig', 'intent: train', ...Object.entries(fields).map(([k, v]) => `${k}: ${v}`)];
  const file = path.join(pvc, dataset, `ingest-${fields['table']}.yaml`);
  await writeFile(file, lines.join('\n') + '\n');
  return file;
}

/**
 * Writes an ingest.yaml of `category` for `dataset` (a directory of the PVC) and returns its path:
 * table `opts.table` (default `<dataset>_train`, dashes as underscores), source `labels.<source>`,
 * `images/` and the `dirs` of the category beside it, label `image_label`, then `extra` fields.
 */
export function writeDatasetConfig(
  pvc: string,
  dataset: string,
  category: string,
  opts: { table?: string; source?: 'csv' | 'json'; dirs?: readonly ('annotations' | 'masks')[]; extra?: Record<string, string> } = {},
): Promise<string> {
  const source = opts.source ?? 'csv';
  return writeConfig(pvc, dataset, {
    table: opts.table ?? `${dataset.replaceAll('-', '_')}_train`,
    category,
    [source]: `/data/shared/${dataset}/labels.${source}`,
    images: `/data/shared/${dataset}/images/`,
    ...Object.fromEntries((opts.dirs ?? []).map((d) => [d, `/data/shared/${dataset}/${d}/`])),
    label: 'image_label',
    ...opts.extra,
  });
}

/** Copies the PVC dataset `from` to `name`, lets `mutate` break it, returns the new directory. */
export async function twinOf(pvc: string, from: string, name: string, mutate: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(pvc, name);
  await cp(path.join(pvc, from), dir, { recursive: true });
  await mutate(dir);
  return dir;
}

/**
 * A bad twin: `plan` exits 3 naming the file and the row (and `code`), without quoting `secret`
 * (content of the broken file); `run` exits 3 too and leaves no table, no files and no request.
 * Returns the `plan` run.
 */
export async function expectRefused(
  e2e: E2E,
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
  expect(await stagedLeftovers(e2e.pvc, table)).toEqual([]);
  expect(e2e.backend.requests.filter((q) => `${q.path} ${JSON.stringify(q.query)} ${q.rawBody}`.includes(table))).toEqual([]);
  expect(parseBanner(run.stdout)).toMatchObject({ inserted: 0, sent: 0 });
  return plan;
}

/**
 * The platform's example config of `category` runs clean onto a fresh copy of the fixture PVC:
 * `rows` rows in `table`, and exactly the files `copied(pvc)` (see `expectCopies`) in <pvc>/<table>/.
 */
export function expectImagePlatformExample(
  e2e: E2E,
  category: string,
  table: string,
  rows: number,
  copied: (pvc: string) => Record<string, string>,
): Promise<void> {
  return expectPlatformExample(e2e, { category, rows }, async (pvc) => {
    expect(await imageRows(e2e, table)).toHaveLength(rows);
    await expectCopies(path.join(pvc, table), copied(pvc));
  });
}

/** What the file stage (copies made during the check pass) holds for `table` under the PVC: nothing once a run ended. */
export async function stagedLeftovers(pvc: string, table: string): Promise<string[]> {
  const names = await readdir(path.join(pvc, '.tracebloc-ingest', 'stage')).catch(() => []);
  return names.filter((n) => n.startsWith(`${table}.`));
}

/** The log line of a run whose check pass copied the files (FileStage) and moved them into place. */
export const STAGED = 'the copies made during the check pass were moved into the destination';
