import { open } from 'node:fs/promises';
import { IngestError } from '../errors.js';
import type { ResolvedFile } from './resolve-reference.js';
import { childrenNamed, parseXml, XML_LIMITS, XmlSyntaxError, type XmlElement } from './voc-xml.js';

/** Largest annotation file read (a VOC file of a few hundred objects is a few tens of KB). */
export const MAX_ANNOTATION_BYTES = XML_LIMITS.maxBytes;

export interface VocBox {
  readonly xmin: number;
  readonly ymin: number;
  readonly xmax: number;
  readonly ymax: number;
}

/** The parts of a Pascal VOC annotation the ingestor checks. */
export interface VocAnnotation {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly boxes: readonly VocBox[];
}

/**
 * Reads and checks one Pascal VOC file: safe XML (see voc-xml.ts), root `annotation`, a `size`
 * of positive integers, each `object` with a `name` and a `bndbox` of integers with
 * 0 <= xmin < xmax and 0 <= ymin < ymax. Errors carry the file's reference, never its content.
 */
export async function readVocAnnotation(file: ResolvedFile): Promise<VocAnnotation> {
  const bytes = await readBounded(file);
  let root: XmlElement;
  try {
    root = parseXml(bytes);
  } catch (err) {
    if (!(err instanceof XmlSyntaxError)) throw err;
    throw new IngestError('FILE_DECODE', `the annotation is not safe, well-formed XML: ${err.message}`, { reference: file.reference });
  }
  return vocFromXml(root, file.reference);
}

/** The VOC structure checks on a parsed document. */
export function vocFromXml(root: XmlElement, reference: string): VocAnnotation {
  const invalid = (message: string): never => {
    throw new IngestError('ANNOTATION_INVALID', `the annotation is not valid Pascal VOC: ${message}`, { reference });
  };
  if (root.name !== 'annotation') invalid('the root element must be <annotation>');
  const size = only(root, 'size', 'the <annotation>', invalid);
  const dimension = (name: string): number => {
    const value = integerOf(only(size, name, '<size>', invalid));
    if (value === null || value <= 0) invalid(`<size><${name}> must be a positive integer`);
    return value as number;
  };
  const width = dimension('width');
  const height = dimension('height');
  const depth = dimension('depth');

  const boxes = childrenNamed(root, 'object').map((object, i): VocBox => {
    const which = `object ${i + 1}`;
    const name = only(object, 'name', which, invalid);
    if (name.text.trim() === '' || name.children.length > 0) invalid(`${which} has an empty <name>`);
    const bndbox = only(object, 'bndbox', which, invalid);
    const coordinate = (key: string): number => {
      const value = integerOf(only(bndbox, key, `the <bndbox> of ${which}`, invalid));
      if (value === null) invalid(`<${key}> of ${which} must be an integer`);
      if ((value as number) < 0) invalid(`<${key}> of ${which} must be >= 0`);
      return value as number;
    };
    const box = { xmin: coordinate('xmin'), ymin: coordinate('ymin'), xmax: coordinate('xmax'), ymax: coordinate('ymax') };
    if (box.xmin >= box.xmax) invalid(`${which} needs xmin < xmax`);
    if (box.ymin >= box.ymax) invalid(`${which} needs ymin < ymax`);
    return box;
  });
  return { width, height, depth, boxes };
}

/**
 * The annotation against its image's real size: `<size>` equal to it, every box inside it.
 * Sizes are the image's (computed facts), never values quoted from the file.
 */
export function checkVocFitsImage(voc: VocAnnotation, width: number, height: number, reference: string): void {
  if (voc.width !== width || voc.height !== height) {
    throw new IngestError(
      'ANNOTATION_INVALID',
      `the annotation's <size> does not match its image, which is ${width}x${height} (width x height)`,
      { reference },
    );
  }
  const outside = voc.boxes.findIndex((b) => b.xmax > width || b.ymax > height);
  if (outside >= 0) {
    throw new IngestError('ANNOTATION_INVALID', `the box of object ${outside + 1} extends beyond its ${width}x${height} image`, {
      reference,
    });
  }
}

function only(parent: XmlElement, name: string, where: string, invalid: (m: string) => never): XmlElement {
  const found = childrenNamed(parent, name);
  if (found.length !== 1) invalid(`${where} needs exactly one <${name}>, it has ${found.length}`);
  return found[0]!;
}

function integerOf(element: XmlElement): number | null {
  if (element.children.length > 0) return null;
  const text = element.text.trim();
  if (!/^-?[0-9]{1,9}$/.test(text)) return null;
  return Number(text);
}

/** Reads at most MAX_ANNOTATION_BYTES (+1 to detect a larger file), whatever the file grew to. */
async function readBounded(file: ResolvedFile): Promise<Buffer> {
  const tooLarge = () =>
    new IngestError('FILE_TOO_LARGE', `the annotation is larger than ${MAX_ANNOTATION_BYTES} bytes`, { reference: file.reference });
  if (file.size > MAX_ANNOTATION_BYTES) throw tooLarge();
  let handle;
  try {
    handle = await open(file.path, 'r');
  } catch (err) {
    throw new IngestError('FILE_MISSING', `the annotation cannot be opened (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      reference: file.reference,
    });
  }
  try {
    // Sized by the file's length; grown (once, to the cap) only if the file grew since.
    let buffer = Buffer.alloc(file.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const grown = Buffer.alloc(MAX_ANNOTATION_BYTES + 1);
        buffer.copy(grown);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_ANNOTATION_BYTES) throw tooLarge();
    }
    if (length === 0) throw new IngestError('FILE_DECODE', 'the annotation file is empty (0 bytes)', { reference: file.reference });
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}
