import { appendFile, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { expectCleanRun, expectNotOnWire, expectRegistration, runFixture } from '../support/e2e.js';
import { expectCopies } from '../support/files.js';
import {
  expectImagePlatformExample,
  expectRefused,
  imageRows,
  twinOf,
  useImageE2E,
  writeDatasetConfig,
} from '../support/image-e2e.js';

const e2e = useImageE2E('semseg');
const rowsOf = (table: string) => imageRows(e2e, table);

/** The fixture rows pair scan_00i with the masks named by mask_id, or scan_002_mask.png by convention. */
const MASK_OF: Record<string, string> = {
  scan_001: 'scan_001_mask.png',
  scan_002: 'scan_002_mask.png',
  scan_003: 'scan_003_mask.png',
  scan_004: 'lesion_map_4.png',
};
const COPIED = (src: string) =>
  Object.fromEntries(
    Object.entries(MASK_OF).flatMap(([stem, mask]) => [
      [`${stem}.jpg`, path.join(src, 'images', `${stem}.jpg`)],
      [`masks/${stem}_mask.png`, path.join(src, 'masks', mask)],
    ]),
  );
const EXPECTED_ROWS = [
  ['scan_001', '.jpg', 'tumor', null],
  ['scan_002', '.jpg', 'healthy', null],
  ['scan_003', '.jpg', 'tumor', null],
  ['scan_004', '.jpg', 'tumor', null],
];

describe('semantic_segmentation end to end', () => {
  it('runs the fixture: images and masks copied both-or-neither, masks under masks/<stem>_mask.png', async () => {
    expectCleanRun(await runFixture(e2e, 'semantic_segmentation'), 4);
    const rows = await rowsOf('tumor_masks_train');
    expect(rows.map((x) => [x.filename, x.extension, x.label, x.annotation])).toEqual(EXPECTED_ROWS);
    await expectCopies(path.join(e2e.pvc, 'tumor_masks_train'), COPIED(path.join(e2e.pvc, 'tumors')));

    const requests = e2e.backend.requests;
    expectRegistration(requests, 'tumor_masks_train', 4);
    expect((requests[0]!.body as Array<Record<string, unknown>>).map((e) => e['data_id'])).toEqual(rows.map((x) => x.data_id));
    expect((requests[2]!.body as { meta_data: unknown }).meta_data).toMatchObject({ target_size: [512, 512], extension: '.jpg' });
    expect(requests[3]!.query).toMatchObject({ category: 'semantic_segmentation', data_format: 'image' });
    expectNotOnWire(requests, ['scan_', 'mask.png', 'mask_id', 'lesion']);
  });

  it('runs from a JSON array source (mask_id null: the convention)', async () => {
    const config = await writeDatasetConfig(e2e.pvc, 'tumors', 'semantic_segmentation', { table: 'tumors_json_train', source: 'json', dirs: ['masks'] });
    expectCleanRun(await e2e.cli('run', config), 4);
    expect((await rowsOf('tumors_json_train')).map((x) => [x.filename, x.extension, x.label, x.annotation])).toEqual(EXPECTED_ROWS);
    await expectCopies(path.join(e2e.pvc, 'tumors_json_train'), COPIED(path.join(e2e.pvc, 'tumors')));
  });

  it('runs the platform example config onto a copy of the fixture PVC', async () => {
    await expectImagePlatformExample(e2e, 'semantic_segmentation', 'tumors_train', 4, (pvc) => COPIED(path.join(pvc, 'tumors')));
  });

  describe('bad twins fail at plan, naming the file and the row, and a run of them writes nothing', () => {
    const config = (name: string) => writeDatasetConfig(e2e.pvc, name, 'semantic_segmentation', { dirs: ['masks'] });

    it('a missing mask (the convention row)', async () => {
      await twinOf(e2e.pvc, 'tumors', 'seg-missing', (dir) => rm(path.join(dir, 'masks', 'scan_002_mask.png')));
      await expectRefused(e2e, await config('seg-missing'), 'seg_missing_train', { row: 2, file: 'scan_002_mask.png', code: 'FILE_MISSING' });
    });

    it('a mask of another size than its image', async () => {
      await twinOf(e2e.pvc, 'tumors', 'seg-size', async (dir) => {
        const mask = path.join(dir, 'masks', 'lesion_map_4.png');
        await rm(mask);
        await sharp(Buffer.alloc(256 * 512), { raw: { width: 256, height: 512, channels: 1 } }).png().toFile(mask);
      });
      const plan = await expectRefused(e2e, await config('seg-size'), 'seg_size_train', { row: 4, file: 'lesion_map_4.png', code: 'FILE_SIZE_MISMATCH' });
      expect(plan.stderr).toContain('the mask is 256x512 but its image is 512x512');
    });

    it('two images pointing at one mask', async () => {
      await twinOf(e2e.pvc, 'tumors', 'seg-shared', (dir) => appendFile(path.join(dir, 'labels.csv'), 'scan_004,scan_001_mask,tumor\n'));
      // scan_004 is paired with lesion_map_4 in row 4, then with scan_001's mask in row 5.
      const plan = await expectRefused(e2e, await config('seg-shared'), 'seg_shared_train', { row: 5, file: 'scan_001_mask.png', code: 'FILE_PAIRING' });
      expect(plan.stderr).toContain('the image already has the mask lesion_map_4.png (row 4)');
    });
  });
});
