import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
  type ImageRow,
} from '../support/image-e2e.js';

const e2e = useImageE2E('keypts');

interface Record_ {
  filename: string;
  Annotation: Record<string, unknown>;
  Visibility: Record<string, number>;
  image_label: string;
}
const records = async (pvc = e2e.pvc): Promise<Record_[]> =>
  JSON.parse(await readFile(path.join(pvc, 'pose', 'labels.json'), 'utf8')) as Record_[];

const rowsOf = (table: string) => imageRows(e2e, table);

/** The file options the fixture's config gives. */
const KEYPOINT_OPTIONS = { target_size: '[448, 448]', number_of_keypoints: '9' };

const COPIED = (src: string) =>
  Object.fromEntries([1, 2, 3, 4].map((i) => [`person_00${i}.jpg`, path.join(src, 'images', `person_00${i}.jpg`)]));

describe('keypoint_detection end to end', () => {
  it('runs the fixture: Annotation stored as compact JSON, images copied, number_of_keypoints and target_size sent', async () => {
    expectCleanRun(await runFixture(e2e, 'keypoint_detection'), 4);
    const expected = await records();
    const rows = await rowsOf('pose_keypoints_train');
    expect(rows.map((x) => [x.filename, x.extension, x.label, x.annotation])).toEqual(
      expected.map((e) => [e.filename, '.jpg', e.image_label, JSON.stringify(e.Annotation)]),
    );
    await expectCopies(path.join(e2e.pvc, 'pose_keypoints_train'), COPIED(path.join(e2e.pvc, 'pose')));

    const requests = e2e.backend.requests;
    expectRegistration(requests, 'pose_keypoints_train', 4);
    const sent = requests[0]!.body as Array<Record<string, unknown>>;
    expect(sent.map((e) => [e['data_id'], e['label']])).toEqual(rows.map((x) => [x.data_id, x.label]));
    expect((requests[2]!.body as { meta_data: unknown }).meta_data).toMatchObject({ target_size: [448, 448], extension: '.jpg', number_of_keypoints: 9 });
    expect(requests[3]!.query).toMatchObject({ category: 'keypoint_detection', data_format: 'image' });
    // Annotations, keypoint names and file names never leave.
    expectNotOnWire(requests, ['person_0', 'nose', 'left_wrist', '0.57']);
  });

  it('runs from a JSON array source whose Annotation and Visibility are nested objects', async () => {
    const config = await writeDatasetConfig(e2e.pvc, 'pose', 'keypoint_detection', { table: 'pose_json_train', source: 'json', extra: KEYPOINT_OPTIONS });
    expectCleanRun(await e2e.cli('run', config), 4);
    const strip = (rows: ImageRow[]) => rows.map((x) => [x.filename, x.extension, x.label, x.annotation]);
    expect(strip(await rowsOf('pose_json_train'))).toEqual(strip(await rowsOf('pose_keypoints_train')));
  });

  it('runs the platform example config onto a copy of the fixture PVC', async () => {
    await expectImagePlatformExample(e2e, 'keypoint_detection', 'pose_train', 4, (pvc) => COPIED(path.join(pvc, 'pose')));
  });

  describe('bad twins fail at plan, naming the row, and a run of them writes nothing', () => {
    /** Rewrites the JSON source of a pose twin (records edited), run from JSON. */
    const twin = async (name: string, edit: (records: Record_[]) => void) => {
      await twinOf(e2e.pvc, 'pose', name, async (dir) => {
        const data = await records();
        edit(data);
        await writeFile(path.join(dir, 'labels.json'), JSON.stringify(data));
      });
      return writeDatasetConfig(e2e.pvc, name, 'keypoint_detection', { source: 'json', extra: KEYPOINT_OPTIONS });
    };

    it('a keypoint count mismatch', async () => {
      const config = await twin('kp-count', (data) => {
        delete data[2]!.Annotation['right_wrist'];
        delete data[2]!.Visibility['right_wrist'];
      });
      await expectRefused(e2e, config, 'kp_count_train', { row: 3, file: 'person_003', code: 'ANNOTATION_INVALID', secret: 'right_wrist' });
    });

    it('keypoint names that differ from the first row', async () => {
      const config = await twin('kp-names', (data) => {
        const a = data[1]!.Annotation;
        a['chin_secret'] = a['nose'];
        delete a['nose'];
        data[1]!.Visibility = Object.fromEntries(Object.keys(a).map((k) => [k, 1]));
      });
      const plan = await expectRefused(e2e, config, 'kp_names_train', { row: 2, file: 'person_002', code: 'ANNOTATION_INVALID', secret: 'chin_secret' });
      expect(plan.stderr).toContain('row 2 column "Annotation" file "person_002": the keypoint names of Annotation differ from those of row 1');
    });

    it('a keypoint outside the image', async () => {
      const config = await twin('kp-outside', (data) => {
        data[3]!.Annotation['nose'] = { x: 449.25, y: 10 };
      });
      await expectRefused(e2e, config, 'kp_outside_train', { row: 4, file: 'person_004', code: 'ANNOTATION_INVALID', secret: '449.25' });
    });
  });
});
