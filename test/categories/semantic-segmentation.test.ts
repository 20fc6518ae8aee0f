import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES } from '../../src/categories/registry.js';
import { maskReferenceFor } from '../../src/files/mask-pairing.js';
import type { FileSetPlan } from '../../src/config/types.js';
import { listFiles } from '../support/files.js';
import { refusal, writeAll } from '../support/file-handlers.js';
import { imageSetup, jpegBytes, pngBytes, record } from '../support/image-family.js';

let jpeg: Buffer;
let mask: Buffer;
beforeAll(async () => {
  jpeg = await jpegBytes(32, 24);
  mask = await pngBytes(32, 24);
});

const setup = (files: Record<string, string | Buffer>) =>
  imageSetup(
    { category: 'semantic_segmentation', masks: '/data/shared/ds/masks/', spec: { file_options: { target_size: [32, 24] } } },
    { 'masks/.keep': '', ...files },
  );
const row = (n: number, file: string, maskId: string | null = null) => record(n, file, [maskId]);

describe('the pairing rule', () => {
  const images: FileSetPlan = { dir: '/x', configured: 'images/', extension: '.jpg' };
  it.each([
    ['a', null, 'a_mask.png'],
    ['a.jpg', '', 'a_mask.png'],
    ['sub/a.jpeg', '  ', 'a_mask.png'],
    ['a', 'm1', 'm1.png'],
    ['a', 'm1.png', 'm1.png'],
    ['a', 'm1.jpg', 'm1.jpg'],
  ])('image %j with mask_id %j → %s', (image, maskId, expected) => {
    expect(maskReferenceFor(image, images, maskId)).toBe(expected);
  });
});

describe('semantic_segmentation', () => {
  it('reads mask_id', () => {
    expect(RUNTIMES.semantic_segmentation?.extraColumns).toEqual(['mask_id']);
  });

  it('pairs by mask_id or by the <stem>_mask.png convention', async () => {
    const { handler } = await setup({ 'images/a.jpg': jpeg, 'images/b.jpg': jpeg, 'masks/a_mask.png': mask, 'masks/other.png': mask });
    expect((await handler.check(row(1, 'a'))).all.map((f) => path.basename(f.path))).toEqual(['a.jpg', 'a_mask.png']);
    expect((await handler.check(row(2, 'b', 'other'))).all.map((f) => path.basename(f.path))).toEqual(['b.jpg', 'other.png']);
    expect(await handler.afterCheck!()).toEqual([]);
  });

  it('refuses a missing mask, naming it', async () => {
    const { handler } = await setup({ 'images/a.jpg': jpeg });
    const err = await refusal(handler, row(3, 'a'));
    expect([err.code, err.context.reference]).toEqual(['FILE_MISSING', 'a_mask.png']);
    expect(err.message).toContain('/data/shared/ds/masks/');
  });

  it('refuses a mask of another size, a JPEG posing as PNG and a mask_id with another extension', async () => {
    const { handler } = await setup({
      'images/a.jpg': jpeg,
      'images/b.jpg': jpeg,
      'images/c.jpg': jpeg,
      'masks/a_mask.png': await pngBytes(24, 32),
      'masks/b_mask.png': jpeg,
      'masks/c.jpg': jpeg,
    });
    const a = await refusal(handler, row(1, 'a'));
    expect([a.code, a.context.reference, a.message]).toEqual([
      'FILE_SIZE_MISMATCH',
      'a_mask.png',
      "the mask is 24x32 but its image is 32x24 (width x height); a mask must have its image's size",
    ]);
    expect((await refusal(handler, row(2, 'b'))).code).toBe('FILE_EXTENSION');
    expect((await refusal(handler, row(3, 'c', 'c.jpg'))).code).toBe('FILE_EXTENSION');
  });

  it('keeps images and masks one-to-one; a repeated identical pair is fine', async () => {
    const { handler } = await setup({ 'images/a.jpg': jpeg, 'images/b.jpg': jpeg, 'masks/a_mask.png': mask, 'masks/m.png': mask });
    await handler.check(row(1, 'a'));
    await handler.check(row(2, 'a.jpg', 'a_mask.png'));
    const shared = await refusal(handler, row(3, 'b', 'a_mask'));
    expect([shared.code, shared.context.reference, shared.message]).toEqual([
      'FILE_PAIRING',
      'a_mask.png',
      'the mask is already the mask of the image a.jpg (row 1); each mask belongs to exactly one image',
    ]);
    const second = await refusal(handler, row(4, 'a', 'm'));
    expect(second.message).toBe('the image already has the mask a_mask.png (row 1); each image has exactly one mask');
  });

  it('warns about masks no row references', async () => {
    const { handler } = await setup({ 'images/a.jpg': jpeg, 'masks/a_mask.png': mask, 'masks/b_mask.png': mask, 'masks/c_mask.png': mask });
    await handler.check(row(1, 'a'));
    expect(await handler.afterCheck!()).toEqual([
      '2 mask files in /data/shared/ds/masks/ are not referenced by any row and were not ingested (b_mask.png, c_mask.png)',
    ]);
  });

  it('copies the image and its mask as masks/<stem>_mask.png, both or neither', async () => {
    const { plan, handler, ds } = await setup({ 'images/a.jpg': jpeg, 'images/b.jpg': jpeg, 'masks/a_mask.png': mask, 'masks/lesion.png': mask });
    expect(await writeAll(plan, handler, [row(1, 'a'), row(2, 'b', 'lesion'), row(3, 'a')])).toEqual([
      'a.jpg',
      'b.jpg',
      'masks/a_mask.png',
      'masks/b_mask.png',
    ]);
    await rm(plan.destination, { recursive: true });
    await mkdir(plan.destination);
    await handler.open();
    const files = await handler.resolve(row(1, 'a'));
    await rm(path.join(ds, 'masks', 'a_mask.png'));
    await expect(handler.copy(files)).rejects.toMatchObject({ code: 'FILE_COPY_FAILED' });
    expect(await listFiles(plan.destination)).toEqual([]);
  });
});
