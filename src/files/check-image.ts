import { availableParallelism } from 'node:os';
import type { Metadata } from 'sharp';
import { IngestError } from '../errors.js';
import type { ImagePlan } from '../config/types.js';
import type { ResolvedFile } from './resolve-reference.js';
import { endsWithMarker } from './image-trailer.js';
import { readImageFileStart, readImageFileStartAsync, type ImageFileStart } from './image-file.js';

const FORMAT_OF_EXTENSION: Readonly<Record<string, string>> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.png': 'png',
};

export interface ImageInfo {
  readonly width: number;
  readonly height: number;
  readonly format: string;
}

/**
 * Reads the image header (not the pixels) and checks format, size and the pixel limit, and that
 * the file is complete (its end marker is there). A zero-byte, truncated or non-image file fails.
 * Common JPEGs and PNGs are read by readImageHeader; any other file, and any it does not know to be
 * well-formed, by sharp's header read, whose verdict stands.
 */
export async function checkImage(file: ResolvedFile, plan: ImagePlan, localDisk = false): Promise<ImageInfo> {
  if (file.size === 0) throw new IngestError('FILE_DECODE', 'the image file is empty (0 bytes)', { reference: file.reference });
  let start: ImageFileStart;
  try {
    // Synchronous small reads on a local disk, asynchronous ones on a network file system (isLocalDisk).
    start = localDisk ? readImageFileStart(file.path, file.size) : await readImageFileStartAsync(file.path, file.size);
  } catch {
    throw undecodable(file);
  }
  const { width, height, format } = start.header ?? (await sharpHeader(file));
  if (!width || !height || !format) {
    throw new IngestError('FILE_DECODE', 'the image header has no size', { reference: file.reference });
  }
  if (width * height > plan.maxPixels) {
    throw new IngestError(
      'FILE_TOO_LARGE',
      `the image has ${width}x${height} pixels, over the limit of ${plan.maxPixels} (decompression bomb guard)`,
      { reference: file.reference },
    );
  }
  if (!endsWithMarker(start.tail, format)) {
    throw new IngestError('FILE_DECODE', `the ${format} image is truncated (its end marker is missing)`, { reference: file.reference });
  }
  if (plan.verify === 'decode') await decodeAll(file);
  const expected = FORMAT_OF_EXTENSION[file.extension];
  if (expected !== undefined && expected !== format) {
    throw new IngestError('FILE_EXTENSION', `the file is a ${format} image but is named ${file.extension}`, {
      reference: file.reference,
    });
  }
  if (plan.targetSize && (width !== plan.targetSize[0] || height !== plan.targetSize[1])) {
    throw new IngestError(
      'FILE_SIZE_MISMATCH',
      `the image is ${width}x${height}; the dataset requires ${plan.targetSize[0]}x${plan.targetSize[1]} (width x height) — set spec.file_options.target_size or exact_size: false`,
      { reference: file.reference },
    );
  }
  return { width, height, format };
}

/** libvips's header read (not the pixels): the pixel limit is checked by the caller from the declared size, so a bomb is never decoded. */
async function sharpHeader(file: ResolvedFile): Promise<Partial<ImageInfo>> {
  let meta: Metadata;
  try {
    const sharp = await loadSharp();
    meta = await sharp(file.path, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch {
    throw undecodable(file);
  }
  return { width: meta.width, height: meta.height, format: meta.format };
}

const undecodable = (file: ResolvedFile) =>
  new IngestError('FILE_DECODE', 'the image cannot be decoded (corrupt or not an image)', { reference: file.reference });

/**
 * Full decodes at once: one per core (an image's loader decodes it sequentially), so the decodes in
 * flight hold no more images than the cores can work on. Measured on the benchmark's
 * 2,000 768×768 JPEGs (Node 24, 2 cores): 183-184 MB peak RSS at 185-189 images/s, against 187-199 MB
 * at 197-204 images/s with the 4 of the check pass in flight: the margin under 200 MB is kept.
 */
const MAX_DECODES = availableParallelism();
let decoding = 0;
const decodeQueue: (() => void)[] = [];

/** Decodes every pixel (spec.file_options.verify: decode): catches corrupt data a header check cannot. */
async function decodeAll(file: ResolvedFile): Promise<void> {
  // A slot is taken at once or handed over by the decode that ends: never more than MAX_DECODES.
  if (decoding < MAX_DECODES) decoding++;
  else await new Promise<void>((resolve) => decodeQueue.push(resolve));
  try {
    await decodeNow(file);
  } finally {
    const next = decodeQueue.shift();
    if (next) next();
    else decoding--;
  }
}

async function decodeNow(file: ResolvedFile): Promise<void> {
  const sharp = await loadSharp();
  try {
    // Every pixel is decoded (all of the file's data is read), but only the first band comes back to
    // JavaScript: a third of the bytes to hold until the garbage collector frees them (it runs rarely
    // while the JS heap is small, so decoded images pile up as external memory: measured, up to 80 MB
    // of whole images). Shrinking to a small output instead is cheaper still but lets a decoder skip
    // data: it passed damaged files in the tests.
    await sharp(file.path, { limitInputPixels: false, failOn: 'warning' }).extractChannel(0).raw().toBuffer();
  } catch {
    throw new IngestError('FILE_DECODE', 'the image data is corrupt (full decode failed)', { reference: file.reference });
  }
}

type Sharp = (typeof import('sharp'))['default'];
let sharpModule: Promise<Sharp> | null = null;

/** sharp (libvips) is loaded on first use: a tabular run never pays its start-up and memory. */
function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then((m) => {
    // Each file is read once: libvips' operation cache (up to 50 MB by default) would only hold memory.
    // (Process-wide: header probes and any plugin using sharp run without it too.)
    m.default.cache(false);
    return m.default;
  });
  return sharpModule;
}
