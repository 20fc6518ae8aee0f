import { appendFile, rm } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFixturePvc, FIXTURES, REPO } from '../support/cli.js';
import {
  expectCleanRun,
  expectCopies,
  expectRefused,
  expectRegistration,
  startImageE2E,
  twinOf,
  writeConfig,
  type ImageE2E,
} from '../support/image-e2e.js';

let e2e: ImageE2E;
beforeAll(async () => {
  e2e = await startImageE2E('semseg');
});
afterAll(async () => {
  await e2e?.close();
});

const rowsOf = (table: string) =>
  e2e.db.query<{ filename: string; extension: string; label: string; annotation: string | null; data_id: string }>(
    `SELECT filename, extension, label, annotation, data_id FROM \`${table}\` ORDER BY id`,
  );

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
    e2e.backend.requests.length = 0;
    const r = await e2e.cli('run', path.join(FIXTURES, 'semantic_segmentation', 'ingest.yaml'));
    expectCleanRun(r, 4);
    const rows = await rowsOf('tumor_masks_train');
    expect(rows.map((x) => [x.filename, x.extension, x.label, x.annotation])).toEqual(EXPECTED_ROWS);
    await expectCopies(path.join(e2e.pvc, 'tumor_masks_train'), COPIED(path.join(e2e.pvc, 'tumors')));

    const requests = e2e.backend.requests;
    expectRegistration(requests, 'tumor_masks_train', 4);
    expect((requests[0]!.body as Array<Record<string, unknown>>).map((e) => e['data_id'])).toEqual(rows.map((x) => x.data_id));
    expect((requests[2]!.body as { meta_data: unknown }).meta_data).toMatchObject({ target_size: [512, 512], extension: '.jpg' });
    expect(requests[3]!.query).toMatchObject({ category: 'semantic_segmentation', data_format: 'image' });
    const wire = requests.map((q) => q.rawBody + JSON.stringify(q.query)).join('\n');
    for (const leak of ['scan_', 'mask.png', 'mask_id', 'lesion']) expect(wire).not.toContain(leak);
  });

  it('runs from a JSON array source (mask_id null: the convention)', async () => {
    const config = await writeConfig(e2e.pvc, 'tumors', {
      table: 'tumors_json_train',
      category: 'semantic_segmentation',
      json: '/data/shared/tumors/labels.json',
      images: '/data/shared/tumors/images/',
      masks: '/data/shared/tumors/masks/',
      label: 'image_label',
    });
    expectCleanRun(await e2e.cli('run', config), 4);
    expect((await rowsOf('tumors_json_train')).map((x) => [x.filename, x.extension, x.label, x.annotation])).toEqual(EXPECTED_ROWS);
    await expectCopies(path.join(e2e.pvc, 'tumors_json_train'), COPIED(path.join(e2e.pvc, 'tumors')));
  });

  it('runs the platform example config onto a copy of the fixture PVC', async () => {
    const pvc = await copyFixturePvc();
    expectCleanRun(await e2e.cli('run', path.join(REPO, 'test', 'fixtures', 'platform-examples', 'semantic_segmentation.yaml'), { pvc }), 4);
    expect(await rowsOf('tumors_train')).toHaveLength(4);
    await expectCopies(path.join(pvc, 'tumors_train'), COPIED(path.join(pvc, 'tumors')));
    await rm(pvc, { recursive: true, force: true });
  });

  describe('bad twins fail at plan, naming the file and the row, and a run of them writes nothing', () => {
    const config = (name: string) =>
      writeConfig(e2e.pvc, name, {
        table: `${name.replaceAll('-', '_')}_train`,
        category: 'semantic_segmentation',
        csv: `/data/shared/${name}/labels.csv`,
        images: `/data/shared/${name}/images/`,
        masks: `/data/shared/${name}/masks/`,
        label: 'image_label',
      });

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
