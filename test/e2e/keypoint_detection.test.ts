import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
  e2e = await startImageE2E('keypts');
});
afterAll(async () => {
  await e2e?.close();
});

interface Record_ {
  filename: string;
  Annotation: Record<string, unknown>;
  Visibility: Record<string, number>;
  image_label: string;
}
const records = async (pvc = e2e.pvc): Promise<Record_[]> =>
  JSON.parse(await readFile(path.join(pvc, 'pose', 'labels.json'), 'utf8')) as Record_[];

const rowsOf = (table: string) =>
  e2e.db.query<{ filename: string; extension: string; label: string; annotation: string | null; data_id: string }>(
    `SELECT filename, extension, label, annotation, data_id FROM \`${table}\` ORDER BY id`,
  );

const COPIED = (src: string) =>
  Object.fromEntries([1, 2, 3, 4].map((i) => [`person_00${i}.jpg`, path.join(src, 'images', `person_00${i}.jpg`)]));

describe('keypoint_detection end to end', () => {
  it('runs the fixture: Annotation stored as compact JSON, images copied, number_of_keypoints and target_size sent', async () => {
    e2e.backend.requests.length = 0;
    const r = await e2e.cli('run', path.join(FIXTURES, 'keypoint_detection', 'ingest.yaml'));
    expectCleanRun(r, 4);
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
    const wire = requests.map((q) => q.rawBody + JSON.stringify(q.query)).join('\n');
    for (const leak of ['person_0', 'nose', 'left_wrist', '0.57']) expect(wire).not.toContain(leak);
  });

  it('runs from a JSON array source whose Annotation and Visibility are nested objects', async () => {
    const config = await writeConfig(e2e.pvc, 'pose', {
      table: 'pose_json_train',
      category: 'keypoint_detection',
      json: '/data/shared/pose/labels.json',
      images: '/data/shared/pose/images/',
      label: 'image_label',
      target_size: '[448, 448]',
      number_of_keypoints: '9',
    });
    expectCleanRun(await e2e.cli('run', config), 4);
    const strip = (rows: Awaited<ReturnType<typeof rowsOf>>) => rows.map((x) => [x.filename, x.extension, x.label, x.annotation]);
    expect(strip(await rowsOf('pose_json_train'))).toEqual(strip(await rowsOf('pose_keypoints_train')));
  });

  it('runs the platform example config onto a copy of the fixture PVC', async () => {
    const pvc = await copyFixturePvc();
    expectCleanRun(await e2e.cli('run', path.join(REPO, 'test', 'fixtures', 'platform-examples', 'keypoint_detection.yaml'), { pvc }), 4);
    expect(await rowsOf('pose_train')).toHaveLength(4);
    await expectCopies(path.join(pvc, 'pose_train'), COPIED(path.join(pvc, 'pose')));
    await rm(pvc, { recursive: true, force: true });
  });

  describe('bad twins fail at plan, naming the row, and a run of them writes nothing', () => {
    /** Rewrites the JSON source of a pose twin (records edited), run from JSON. */
    const twin = async (name: string, edit: (records: Record_[]) => void) => {
      await twinOf(e2e.pvc, 'pose', name, async (dir) => {
        const data = await records();
        edit(data);
        await writeFile(path.join(dir, 'labels.json'), JSON.stringify(data));
      });
      return writeConfig(e2e.pvc, name, {
        table: `${name.replaceAll('-', '_')}_train`,
        category: 'keypoint_detection',
        json: `/data/shared/${name}/labels.json`,
        images: `/data/shared/${name}/images/`,
        label: 'image_label',
        target_size: '[448, 448]',
        number_of_keypoints: '9',
      });
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
        data[3]!.Annotation['nose'] = { x: 449, y: 10 };
      });
      await expectRefused(e2e, config, 'kp_outside_train', { row: 4, file: 'person_004', code: 'ANNOTATION_INVALID', secret: '449' });
    });
  });
});
