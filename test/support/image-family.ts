/**
 * Helpers of the image-family unit tests: a storage root with one dataset, the plan and the file
 * handler the registry builds for it, records as the cell checks produce them, small images.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { expect } from 'vitest';
import { runtimeFor } from '../../src/categories/registry.js';
import { resolvePlan } from '../../src/config/plan.js';
import type { IngestConfig, Plan } from '../../src/config/types.js';
import { IngestError } from '../../src/errors.js';
import type { FileHandler } from '../../src/files/types.js';
import type { CheckedCells } from '../../src/records/record-checker.js';
import { tempDir } from './tmp.js';

export async function jpegBytes(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#406080' } }).jpeg().toBuffer();
}

export async function pngBytes(width: number, height: number, channels: 1 | 3 = 1): Promise<Buffer> {
  return sharp(Buffer.alloc(width * height * channels), { raw: { width, height, channels } }).png().toBuffer();
}

/** A storage root with `ds/` holding `files`, and the plan + handler of `config` over it. */
export async function imageSetup(config: Partial<IngestConfig>, files: Record<string, string | Buffer>) {
  const root = await tempDir('tb-imgfam-');
  const ds = path.join(root, 'ds');
  await mkdir(path.join(ds, 'images'), { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(ds, rel)), { recursive: true });
    await writeFile(path.join(ds, rel), content);
  }
  const full = {
    apiVersion: 'tracebloc.io/v1',
    kind: 'IngestConfig',
    table: 'images_train',
    intent: 'train',
    csv: '/data/shared/ds/labels.csv',
    images: '/data/shared/ds/images/',
    label: 'image_label',
    ...config,
  } as IngestConfig;
  const plan = resolvePlan(full, { configPath: 'ingest.yaml', configText: '', storageRoot: root });
  const handler = runtimeFor(plan.category).createFileHandler!(plan);
  await handler.open();
  return { root, ds, plan, handler };
}

export const record = (row: number, fileReference: string, extras: (string | null)[] = [], annotation: string | null = null): CheckedCells => ({
  row,
  values: [],
  label: 'x',
  labelNumber: Number.NaN,
  dataIdSource: null,
  fileReference,
  extras,
  annotation,
});

/** The IngestError `check` rejects with. */
export async function refusal(handler: FileHandler, r: CheckedCells): Promise<IngestError> {
  const err = await handler.check(r).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IngestError);
  return err as IngestError;
}

/** A write pass over `records` (resolve + copy); returns the destination's files, recursively. */
export async function writeAll(plan: Plan, handler: FileHandler, records: CheckedCells[]): Promise<string[]> {
  await mkdir(plan.destination, { recursive: true });
  await handler.open();
  for (const r of records) await handler.copy(await handler.resolve(r));
  return listFiles(plan.destination);
}

export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
