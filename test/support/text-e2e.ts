/**
 * Helpers of the text-family end-to-end tests: the harness (one database, one loopback backend and
 * one private PVC copy per test file), and bad twins (small datasets written into the PVC copy)
 * that must be refused at `plan` and leave nothing behind at `run`.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { useE2E, type E2E } from './e2e.js';
import { exists } from './files.js';

export const TOKEN = 'test-token-text-7c2e';

/** The harness of a text-family test file (see `useE2E`). */
export function useTextE2E(prefix: string): E2E {
  return useE2E(prefix, TOKEN);
}

export interface Twin {
  /** Dataset directory name under the PVC, also used to derive the table name. */
  name: string;
  category: 'text_classification' | 'token_classification' | 'masked_language_modeling';
  /** Files of the dataset, relative to its directory; a `{ symlink }` entry makes a symbolic link. */
  files: Record<string, string | Buffer | { symlink: string }>;
  /** Source file name inside the dataset (default labels.csv). */
  source?: string;
}

export const tableOf = (twin: Twin) => `${twin.name.replaceAll('-', '_')}_train`;

/** Writes the twin's dataset and its ingest.yaml into the PVC; returns the config path. */
export async function writeTwin(pvc: string, twin: Twin): Promise<string> {
  const dir = path.join(pvc, twin.name);
  for (const [rel, content] of Object.entries(twin.files)) {
    const p = path.join(dir, rel);
    await mkdir(path.dirname(p), { recursive: true });
    if (typeof content === 'object' && !Buffer.isBuffer(content)) await symlink(content.symlink, p);
    else await writeFile(p, content);
  }
  const set = twin.category === 'masked_language_modeling' ? 'sequences' : 'texts';
  const source = twin.source ?? 'labels.csv';
  const lines = [
    'apiVersion: tracebloc.io/v1',
    'kind: IngestConfig',
    `table: ${tableOf(twin)}`,
    'intent: train',
    `category: ${twin.category}`,
    `${source.endsWith('.json') ? 'json' : 'csv'}: /data/shared/${twin.name}/${source}`,
    `${set}: /data/shared/${twin.name}/${set}/`,
    ...(twin.category === 'masked_language_modeling' ? [] : ['label: label']),
    '',
  ];
  const config = path.join(dir, 'ingest.yaml');
  await writeFile(config, lines.join('\n'));
  return config;
}

/** The files `names` of the PVC dataset `dataset`, read for a twin's `files` (then altered by the caller). */
export async function fixtureFiles(pvc: string, dataset: string, names: readonly string[]): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  for (const n of names) files[n] = await readFile(path.join(pvc, dataset, n));
  return files;
}

/** Turns a simple CSV (no quoted commas) into the equivalent JSON array. */
export function csvToJson(csv: string): string {
  const [header, ...rows] = csv.trim().split('\n').map((l) => l.split(','));
  return JSON.stringify(rows.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i] ?? null]))));
}

/**
 * Every twin: `plan` exits 3 naming the source file, the row and the referenced file (or the
 * dataset-wide file when `row` is null); `run` exits 3 too and leaves no table and no files.
 * Runs the twins in parallel to keep the test short.
 */
export async function expectRefused(
  e: E2E,
  twins: ReadonlyArray<{ twin: Twin; code: string; row: number | null; mentions: string; reference?: string }>,
): Promise<void> {
  const configs = await Promise.all(twins.map((t) => writeTwin(e.pvc, t.twin)));
  const plans = await Promise.all(configs.map((c) => e.cli('plan', c)));
  e.backend.requests.length = 0;
  const runs = await Promise.all(configs.map((c) => e.cli('run', c)));
  for (const [i, t] of twins.entries()) {
    const plan = plans[i]!;
    const label = `${t.twin.name}: ${plan.stderr}`;
    expect(plan.code, label).toBe(3);
    const problem = plan.stderr.split('\n').find((l) => l.includes(`[${t.code}]`));
    expect(problem, label).toBeDefined();
    const source = `/data/shared/${t.twin.name}/${t.twin.source ?? 'labels.csv'}`;
    if (t.row !== null) {
      expect(problem).toContain(`${source} row ${t.row} `);
      expect(problem).toContain(`file "${t.reference ?? ''}"`);
    } else {
      expect(problem).toContain(`/data/shared/${t.twin.name}/`);
    }
    expect(problem).toContain(t.mentions);
    const run = runs[i]!;
    expect(run.code, `${t.twin.name} run: ${run.stderr}`).toBe(3);
    expect(run.stderr).toContain(`[${t.code}]`);
    expect(await e.db.tableExists(tableOf(t.twin)), t.twin.name).toBe(false);
    expect(await exists(path.join(e.pvc, tableOf(t.twin))), t.twin.name).toBe(false);
  }
  expect(e.backend.requests).toHaveLength(0);
}
