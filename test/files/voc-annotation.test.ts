import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { IngestError } from '../../src/errors.js';
import type { ResolvedFile } from '../../src/files/resolve-reference.js';
import { checkVocFitsImage, MAX_ANNOTATION_BYTES, readVocAnnotation, vocFromXml } from '../../src/files/voc-annotation.js';
import { parseXml } from '../../src/files/voc-xml.js';
import { tempDir } from '../support/tmp.js';

const box = (xmin: number | string, ymin: number | string, xmax: number | string, ymax: number | string, name = 'car') =>
  `<object><name>${name}</name><bndbox><xmin>${xmin}</xmin><ymin>${ymin}</ymin><xmax>${xmax}</xmax><ymax>${ymax}</ymax></bndbox></object>`;
const voc = (objects: string, size = '<size><width>64</width><height>48</height><depth>3</depth></size>') =>
  `<annotation><filename>a.jpg</filename>${size}${objects}</annotation>`;

function outcome(xml: string): string {
  try {
    vocFromXml(parseXml(xml), 'a.xml');
    return 'ok';
  } catch (err) {
    if (!(err instanceof IngestError)) throw err;
    expect(err.code).toBe('ANNOTATION_INVALID');
    expect(err.context.reference).toBe('a.xml');
    return err.message;
  }
}

describe('vocFromXml', () => {
  it('reads size and boxes', () => {
    expect(vocFromXml(parseXml(voc(box(0, 0, 64, 48) + box(10, 5, 20, 15))), 'a.xml')).toEqual({
      width: 64,
      height: 48,
      depth: 3,
      boxes: [
        { xmin: 0, ymin: 0, xmax: 64, ymax: 48 },
        { xmin: 10, ymin: 5, xmax: 20, ymax: 15 },
      ],
    });
  });

  it('accepts an annotation without objects (a negative image)', () => {
    expect(outcome(voc(''))).toBe('ok');
  });

  it.each([
    ['<annotations/>', /root element must be <annotation>/],
    ['<annotation/>', /needs exactly one <size>, it has 0/],
    [voc('', '<size><width>64</width><height>48</height></size>'), /needs exactly one <depth>/],
    [voc('', '<size><width>0</width><height>48</height><depth>3</depth></size>'), /<width> must be a positive integer/],
    [voc('', '<size><width>64.0</width><height>48</height><depth>3</depth></size>'), /<width> must be a positive integer/],
    [voc('', '<size><width>64</width><height>-1</height><depth>3</depth></size>'), /<height> must be a positive integer/],
    [voc('', '<size><width>64</width><height>48</height><depth>three</depth></size>'), /<depth> must be a positive integer/],
    [voc(box(1, 1, 2, 2) + '<object><bndbox><xmin>1</xmin></bndbox></object>'), /object 2 needs exactly one <name>/],
    [voc(box(1, 1, 2, 2, '  ')), /object 1 has an empty <name>/],
    [voc('<object><name>car</name></object>'), /object 1 needs exactly one <bndbox>/],
    [voc(box(1.5, 1, 2, 2)), /<xmin> of object 1 must be an integer/],
    [voc(box(-1, 1, 2, 2)), /<xmin> of object 1 must be >= 0/],
    [voc(box(5, 1, 5, 2)), /object 1 needs xmin < xmax/],
    [voc(box(1, 9, 5, 2)), /object 1 needs ymin < ymax/],
    [voc('<object><name>car</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax></bndbox></object>'), /needs exactly one <ymax>/],
  ])('refuses %s', (xml, message) => {
    expect(outcome(xml)).toMatch(message);
  });

  it('never quotes the file content', () => {
    expect(outcome(voc(box('SECRET', 1, 2, 2)))).not.toContain('SECRET');
  });
});

describe('checkVocFitsImage', () => {
  const annotation = vocFromXml(parseXml(voc(box(0, 0, 64, 48) + box(10, 10, 65, 20))), 'a.xml');

  it('refuses a <size> that is not the real image size', () => {
    expect(() => checkVocFitsImage({ ...annotation, boxes: [] }, 640, 480, 'a.xml')).toThrow(/does not match its image, which is 640x480/);
  });

  it('refuses a box beyond the real image, naming the object', () => {
    expect(() => checkVocFitsImage(annotation, 64, 48, 'a.xml')).toThrow(/object 2 extends beyond its 64x48 image/);
  });

  it('accepts boxes that touch the border', () => {
    expect(() => checkVocFitsImage({ ...annotation, boxes: annotation.boxes.slice(0, 1) }, 64, 48, 'a.xml')).not.toThrow();
  });
});

describe('readVocAnnotation', () => {
  let dir: string;
  const file = (name: string, size: number): ResolvedFile => ({
    reference: name,
    path: path.join(dir, name),
    stem: name.replace(/\..*$/, ''),
    extension: '.xml',
    size,
  });
  const code = (f: ResolvedFile) =>
    readVocAnnotation(f).then(
      () => 'ok',
      (e: unknown) => (e instanceof IngestError ? `${e.code}: ${e.message}` : String(e)),
    );

  beforeAll(async () => {
    dir = await tempDir();
    await writeFile(path.join(dir, 'ok.xml'), voc(box(1, 1, 2, 2)));
    await writeFile(path.join(dir, 'xxe.xml'), '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/hostname">]><annotation>&x;</annotation>');
    await writeFile(path.join(dir, 'empty.xml'), '');
    await writeFile(path.join(dir, 'big.xml'), Buffer.alloc(MAX_ANNOTATION_BYTES + 10, 0x20));
  });

  it('reads a valid file', async () => {
    expect(await code(file('ok.xml', 10))).toBe('ok');
  });

  it('refuses XXE as FILE_DECODE with a clear message', async () => {
    expect(await code(file('xxe.xml', 10))).toMatch(/^FILE_DECODE: the annotation is not safe, well-formed XML: a DOCTYPE declaration is not allowed/);
  });

  it('refuses empty and oversized files (also when the file grew after it was listed)', async () => {
    expect(await code(file('empty.xml', 0))).toMatch(/^FILE_DECODE: the annotation file is empty/);
    expect(await code(file('big.xml', MAX_ANNOTATION_BYTES + 10))).toMatch(/^FILE_TOO_LARGE/);
    expect(await code(file('big.xml', 100))).toMatch(/^FILE_TOO_LARGE/);
  });
});
