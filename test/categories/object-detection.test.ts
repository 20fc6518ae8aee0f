import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES } from '../../src/categories/registry.js';
import { listFiles } from '../support/files.js';
import { refusal, writeAll } from '../support/file-handlers.js';
import { imageSetup, jpegBytes, record } from '../support/image-family.js';

const voc = (width: number, height: number, boxes: [number, number, number, number][]) =>
  `<?xml version="1.0"?><annotation><size><width>${width}</width><height>${height}</height><depth>3</depth></size>${boxes
    .map(([a, b, c, d]) => `<object><name>car</name><bndbox><xmin>${a}</xmin><ymin>${b}</ymin><xmax>${c}</xmax><ymax>${d}</ymax></bndbox></object>`)
    .join('')}</annotation>`;

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await jpegBytes(64, 48);
});

const setup = (files: Record<string, string | Buffer>) =>
  imageSetup(
    { category: 'object_detection', annotations: '/data/shared/ds/annotations/', spec: { file_options: { target_size: [64, 48] } } },
    files,
  );

describe('object_detection', () => {
  it('is registered with no extra columns', () => {
    expect(RUNTIMES.object_detection?.extraColumns).toEqual([]);
  });

  it('pairs each image with <annotations>/<stem>.xml and reports the real size', async () => {
    const { handler } = await setup({ 'images/a.jpg': jpeg, 'annotations/a.xml': voc(64, 48, [[0, 0, 64, 48]]) });
    const files = await handler.check(record(1, 'a'));
    expect(files.all.map((f) => path.basename(f.path))).toEqual(['a.jpg', 'a.xml']);
    expect(files).toMatchObject({ width: 64, height: 48 });
  });

  it('refuses a missing annotation, naming it', async () => {
    const { handler } = await setup({ 'images/a.jpg': jpeg, 'annotations/.keep': '' });
    const err = await refusal(handler, record(1, 'a.jpg'));
    expect(err.code).toBe('FILE_MISSING');
    expect(err.context.reference).toBe('a.xml');
    expect(err.message).toContain('/data/shared/ds/annotations/');
  });

  it('refuses a box outside the real image and a <size> that differs from it', async () => {
    const { handler } = await setup({
      'images/a.jpg': jpeg,
      'images/b.jpg': jpeg,
      'annotations/a.xml': voc(64, 48, [[10, 10, 65, 20]]),
      'annotations/b.xml': voc(1920, 1080, [[1, 1, 2, 2]]),
    });
    const a = await refusal(handler, record(1, 'a'));
    expect([a.code, a.context.reference, a.message]).toEqual(['ANNOTATION_INVALID', 'a.xml', 'the box of object 1 extends beyond its 64x48 image']);
    const b = await refusal(handler, record(2, 'b'));
    expect(b.message).toMatch(/<size> does not match its image, which is 64x48/);
  });

  it('refuses an XXE and a billion-laughs annotation as FILE_DECODE', async () => {
    const { handler } = await setup({
      'images/a.jpg': jpeg,
      'images/b.jpg': jpeg,
      'annotations/a.xml': '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><annotation>&x;</annotation>',
      'annotations/b.xml': '<!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><annotation>&b;</annotation>',
    });
    for (const [row, stem] of [[1, 'a'], [2, 'b']] as const) {
      const err = await refusal(handler, record(row, stem));
      expect(err.code).toBe('FILE_DECODE');
      expect(err.context.reference).toBe(`${stem}.xml`);
      expect(err.message).toMatch(/DOCTYPE declaration is not allowed/);
    }
  });

  it('warns about annotations no row references (names and counts only)', async () => {
    const { handler } = await setup({
      'images/a.jpg': jpeg,
      'annotations/a.xml': voc(64, 48, []),
      'annotations/orphan.xml': 'never read',
      'annotations/notes.txt': 'not an annotation',
    });
    await handler.check(record(1, 'a'));
    expect(await handler.afterCheck!()).toEqual([
      '1 annotation file in /data/shared/ds/annotations/ is not referenced by any row and was not ingested (orphan.xml)',
    ]);
  });

  it('copies image and annotation once however many rows share them', async () => {
    const { plan, handler } = await setup({ 'images/a.jpg': jpeg, 'images/b.jpg': jpeg, 'annotations/a.xml': voc(64, 48, []), 'annotations/b.xml': voc(64, 48, []) });
    const copied = await writeAll(plan, handler, [record(1, 'a'), record(2, 'a.jpg'), record(3, 'b'), record(4, 'a')]);
    expect(copied).toEqual(['a.jpg', 'annotations/a.xml', 'annotations/b.xml', 'b.jpg']);
    expect(await readFile(path.join(plan.destination, 'annotations', 'a.xml'), 'utf8')).toBe(voc(64, 48, []));
  });

  it('copies both or neither: a failed annotation copy removes the image', async () => {
    const { plan, handler, ds } = await setup({ 'images/a.jpg': jpeg, 'annotations/a.xml': voc(64, 48, []) });
    await handler.open();
    const files = await handler.resolve(record(1, 'a'));
    // The annotation disappears between resolve and copy.
    await rm(path.join(ds, 'annotations', 'a.xml'));
    await mkdir(plan.destination, { recursive: true });
    await expect(handler.copy(files)).rejects.toMatchObject({ code: 'FILE_COPY_FAILED' });
    expect(await listFiles(plan.destination)).toEqual([]);
  });
});
