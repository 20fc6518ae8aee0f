/**
 * Helpers of the image-family unit tests: a storage root with one dataset, the plan and the file
 * handler the registry builds for it (see file-handlers.ts), records of image rows, small images.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { IngestConfig } from '../../src/config/types.js';
import type { CheckedCells } from '../../src/records/record-checker.js';
import { checkedCells, planAndHandler } from './file-handlers.js';
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
  const { plan, handler } = await planAndHandler(root, {
    table: 'images_train',
    images: '/data/shared/ds/images/',
    label: 'image_label',
    ...config,
  });
  return { root, ds, plan, handler };
}

export const record = (row: number, fileReference: string, extras: (string | null)[] = [], annotation: string | null = null): CheckedCells =>
  checkedCells(fileReference, { row, extras, annotation });
