import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanRun, expectNotOnWire, expectRegistration, readCsvRows, runFixture } from '../support/e2e.js';
import { expectCopies } from '../support/files.js';
import {
  expectImagePlatformExample,
  expectRefused,
  imageRows,
  STAGED,
  stagedLeftovers,
  twinOf,
  useImageE2E,
  writeDatasetConfig,
} from '../support/image-e2e.js';

const e2e = useImageE2E('objdet');
const rowsOf = (table: string) => imageRows(e2e, table);

/** The fixture's CSV records: [filename, label]. */
const sourceRows = () => readCsvRows(path.join(e2e.pvc, 'visdrone', 'labels.csv'));

const COPIED = (src: string) =>
  Object.fromEntries(
    ['frame_0001', 'frame_0002', 'frame_0003'].flatMap((stem) => [
      [`${stem}.jpg`, path.join(src, 'images', `${stem}.jpg`)],
      [`annotations/${stem}.xml`, path.join(src, 'annotations', `${stem}.xml`)],
    ]),
  );

describe('object_detection end to end', () => {
  it('runs the fixture: one row per object, each image and annotation copied once, metadata only to the backend', async () => {
    const run = await runFixture(e2e, 'object_detection');
    expectCleanRun(run, 9);
    // The files were copied during the check pass (annotations/ in a subdirectory) and moved into place.
    expect(run.stderr).toContain(STAGED);
    expect(await stagedLeftovers(e2e.pvc, 'visdrone_objects_train')).toEqual([]);

    const source = await sourceRows();
    const rows = await rowsOf('visdrone_objects_train');
    expect(rows.map((x) => [x.filename, x.extension, x.label, x.annotation])).toEqual(
      source.map(([file, label]) => [file!.replace(/\.jpg$/, ''), '.jpg', label, null]),
    );
    expect(new Set(rows.map((x) => x.data_intent))).toEqual(new Set(['train']));
    await expectCopies(path.join(e2e.pvc, 'visdrone_objects_train'), COPIED(path.join(e2e.pvc, 'visdrone')));

    const requests = e2e.backend.requests;
    expectRegistration(requests, 'visdrone_objects_train', 9);
    const sent = requests[0]!.body as Array<Record<string, unknown>>;
    expect(sent.map((e) => [e['data_id'], e['label'], e['data_intent'], e['is_sample']])).toEqual(rows.map((x) => [x.data_id, x.label, 'train', false]));
    expect(requests[1]!.query).toMatchObject({ table_name: 'visdrone_objects_train', data_intent: 'train' });
    expect(requests[2]!.body).toEqual({
      table_name: 'visdrone_objects_train',
      schema: {},
      meta_data: expect.objectContaining({ target_size: [1920, 1080], extension: '.jpg' }),
    });
    expect(requests[3]!.query).toMatchObject({ category: 'object_detection', data_format: 'image', data_intent: 'train' });
    expect(requests[4]!.body).toMatchObject({ allow_feature_modification: false });
    // No file name, no annotation content leaves.
    expectNotOnWire(requests, ['frame_', 'bndbox', 'VisDrone', 'pedestrian, motor']);
  });

  it('runs from a JSON array source, and only warns about an annotation no row references', async () => {
    const dir = await twinOf(e2e.pvc, 'visdrone', 'visdrone-json', (d) => writeFile(path.join(d, 'annotations', 'orphan_0009.xml'), '<!DOCTYPE never-read>'));
    const config = await writeDatasetConfig(e2e.pvc, 'visdrone-json', 'object_detection', { source: 'json', dirs: ['annotations'] });
    e2e.backend.requests.length = 0;
    const r = await e2e.cli('run', config);
    expectCleanRun(r, 9);
    expect(r.stderr).toContain(
      '1 annotation file in /data/shared/visdrone-json/annotations/ is not referenced by any row and was not ingested (orphan_0009.xml)',
    );
    const json = (await rowsOf('visdrone_json_train')).map((x) => [x.filename, x.extension, x.label]);
    expect(json).toEqual((await rowsOf('visdrone_objects_train')).map((x) => [x.filename, x.extension, x.label]));
    await expectCopies(path.join(e2e.pvc, 'visdrone_json_train'), COPIED(dir));
    expectRegistration(e2e.backend.requests, 'visdrone_json_train', 9);
  });

  it('runs the platform example config onto a copy of the fixture PVC', async () => {
    await expectImagePlatformExample(e2e, 'object_detection', 'visdrone_train', 9, (pvc) => COPIED(path.join(pvc, 'visdrone')));
  });

  describe('bad twins fail at plan, naming the file and the row, and a run of them writes nothing', () => {
    const config = (name: string) => writeDatasetConfig(e2e.pvc, name, 'object_detection', { dirs: ['annotations'] });
    const xml = (dir: string, stem: string) => path.join(dir, 'annotations', `${stem}.xml`);

    it('a box outside its image', async () => {
      await twinOf(e2e.pvc, 'visdrone', 'od-box-outside', async (dir) => {
        const text = await readFile(xml(dir, 'frame_0001'), 'utf8');
        await writeFile(xml(dir, 'frame_0001'), text.replace(/<ymax>\d+<\/ymax>/, '<ymax>10810</ymax>'));
      });
      await expectRefused(e2e, await config('od-box-outside'), 'od_box_outside_train', {
        row: 1,
        file: 'frame_0001.xml',
        code: 'ANNOTATION_INVALID',
        secret: '10810',
      });
    });

    it('an XXE annotation (never read: the file it names holds a marker)', async () => {
      await twinOf(e2e.pvc, 'visdrone', 'od-xxe', async (dir) => {
        await writeFile(path.join(dir, 'secret.txt'), 'XXE-MARKER-7731');
        await writeFile(
          xml(dir, 'frame_0003'),
          `<?xml version="1.0"?>\n<!DOCTYPE annotation [<!ENTITY xxe SYSTEM "file://${path.join(dir, 'secret.txt')}">]>\n<annotation><folder>&xxe;</folder></annotation>\n`,
        );
      });
      await expectRefused(e2e, await config('od-xxe'), 'od_xxe_train', { row: 6, file: 'frame_0003.xml', code: 'FILE_DECODE', secret: 'XXE-MARKER-7731' });
    });

    it('a billion-laughs annotation', async () => {
      const levels = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('\n');
      await twinOf(e2e.pvc, 'visdrone', 'od-laughs', async (dir) => {
        await writeFile(xml(dir, 'frame_0002'), `<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n${levels}\n]>\n<annotation>&lol9;</annotation>\n`);
      });
      const started = Date.now();
      await expectRefused(e2e, await config('od-laughs'), 'od_laughs_train', { row: 3, file: 'frame_0002.xml', code: 'FILE_DECODE', secret: 'lollol' });
      expect(Date.now() - started).toBeLessThan(15_000);
    });

    it('a missing annotation', async () => {
      await twinOf(e2e.pvc, 'visdrone', 'od-missing', (dir) => rm(xml(dir, 'frame_0002')));
      await expectRefused(e2e, await config('od-missing'), 'od_missing_train', { row: 3, file: 'frame_0002.xml', code: 'FILE_MISSING' });
    });
  });
});
