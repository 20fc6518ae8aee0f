import { crc32 } from 'node:zlib';

/** What a header read learned: the format and the stored size (before any EXIF orientation). */
export interface ImageHeader {
  readonly format: 'jpeg' | 'png';
  readonly width: number;
  readonly height: number;
}

/**
 * Reads up to `length` bytes at `position` (fewer at the end of the file). Synchronous: the header
 * of a file is a few small reads, and a thread-pool round trip per read costs more than the read.
 */
export type ReadAt = (position: number, length: number) => Buffer;

/**
 * The header of a common JPEG or PNG, read without a decoder: walks the JPEG markers up to the
 * first scan (or the PNG chunks up to the first IDAT) and checks each one the way libjpeg-turbo
 * and libspng check them when libvips reads a header.
 *
 * Returns null for anything it does not know to be well-formed — another format, a rarer coding
 * (arithmetic, lossless, 12-bit, CMYK), a segment or chunk it does not check, or a damaged one —
 * and the caller asks sharp, whose verdict then stands. So this only ever answers "accepted, with
 * this size" where sharp's header read would accept the file with the same size (a differential
 * test holds it to that); every refusal is still sharp's.
 */
export function readImageHeader(readAt: ReadAt, size: number): ImageHeader | null {
  const start = readAt(0, 8);
  if (start.length >= 3 && start[0] === 0xff && start[1] === 0xd8 && start[2] === 0xff) return readJpeg(readAt, size);
  if (start.length === 8 && start.equals(PNG_SIGNATURE)) return readPng(readAt, size);
  return null;
}

// --- JPEG (ITU T.81 B.1) -------------------------------------------------------------------------

const SOF_BASELINE = 0xc0;
const SOF_EXTENDED = 0xc1;
const SOF_PROGRESSIVE = 0xc2;
const DHT = 0xc4;
const SOS = 0xda;
const DQT = 0xdb;
const DRI = 0xdd;
const COM = 0xfe;
const isApp = (marker: number) => marker >= 0xe0 && marker <= 0xef;
/** libjpeg's JPEG_MAX_DIMENSION. */
const JPEG_MAX_DIMENSION = 65500;

interface JpegFrame {
  width: number;
  height: number;
  componentIds: number[];
}

function readJpeg(readAt: ReadAt, size: number): ImageHeader | null {
  let position = 2;
  let frame: JpegFrame | null = null;
  for (;;) {
    // A marker is FF then its code, right after the previous segment: garbage or fill bytes in
    // between are something libjpeg only warns about, so those files go to sharp.
    const head = readAt(position, 4);
    if (head.length < 4 || head[0] !== 0xff) return null;
    const marker = head[1]!;
    const length = head.readUInt16BE(2);
    if (length < 2 || position + 2 + length > size) return null;
    position += 2 + length;
    // Application data and comments are skipped unread (libjpeg keeps them, libvips parses none
    // that can fail a header read); the tables, frame and scan headers are read and checked.
    if (isApp(marker) || marker === COM) continue;
    const body = readAt(position - length + 2, length - 2);
    if (body.length !== length - 2) return null;
    if (marker === SOF_BASELINE || marker === SOF_EXTENDED || marker === SOF_PROGRESSIVE) {
      if (frame !== null) return null;
      frame = readFrame(body);
      if (frame === null) return null;
    } else if (marker === SOS) {
      return frame !== null && scanIsValid(body, frame) ? { format: 'jpeg', width: frame.width, height: frame.height } : null;
    } else if (marker === DHT) {
      if (!huffmanTablesAreValid(body)) return null;
    } else if (marker === DQT) {
      if (!quantTablesAreValid(body)) return null;
    } else if (marker === DRI) {
      if (body.length !== 2) return null;
    } else {
      return null;
    }
  }
}

/** SOF0/1/2: 8-bit samples, 1 (grey) or 3 (YCbCr/RGB) components, sampling 1–4, table 0–3. */
function readFrame(body: Buffer): JpegFrame | null {
  if (body.length < 6) return null;
  const precision = body[0]!;
  const height = body.readUInt16BE(1);
  const width = body.readUInt16BE(3);
  const components = body[5]!;
  if (precision !== 8 || (components !== 1 && components !== 3) || body.length !== 6 + 3 * components) return null;
  if (width === 0 || height === 0 || width > JPEG_MAX_DIMENSION || height > JPEG_MAX_DIMENSION) return null;
  const componentIds: number[] = [];
  for (let c = 0; c < components; c++) {
    const id = body[6 + 3 * c]!;
    const sampling = body[7 + 3 * c]!;
    const table = body[8 + 3 * c]!;
    const h = sampling >> 4;
    const v = sampling & 0x0f;
    if (h < 1 || h > 4 || v < 1 || v > 4 || table > 3 || componentIds.includes(id)) return null;
    componentIds.push(id);
  }
  return { width, height, componentIds };
}

/** SOS: 1–4 components of the frame, each once, and exactly the segment's length. */
function scanIsValid(body: Buffer, frame: JpegFrame): boolean {
  const n = body[0] ?? 0;
  if (n < 1 || n > 4 || n > frame.componentIds.length || body.length !== 1 + 2 * n + 3) return false;
  const seen: number[] = [];
  for (let i = 0; i < n; i++) {
    const id = body[1 + 2 * i]!;
    const tables = body[2 + 2 * i]!;
    if (!frame.componentIds.includes(id) || seen.includes(id) || tables >> 4 > 3 || (tables & 0x0f) > 3) return false;
    seen.push(id);
  }
  return true;
}

/** DHT: whole tables (class 0/1, id 0–3, at most 256 codes each) that fill the segment exactly. */
function huffmanTablesAreValid(body: Buffer): boolean {
  let at = 0;
  while (at < body.length) {
    if (at + 17 > body.length) return false;
    const classAndId = body[at]!;
    if (classAndId >> 4 > 1 || (classAndId & 0x0f) > 3) return false;
    let codes = 0;
    for (let i = 1; i <= 16; i++) codes += body[at + i]!;
    if (codes > 256 || at + 17 + codes > body.length) return false;
    at += 17 + codes;
  }
  return body.length > 0;
}

/** DQT: whole tables (8- or 16-bit, id 0–3, no zero entry) that fill the segment exactly. */
function quantTablesAreValid(body: Buffer): boolean {
  let at = 0;
  while (at < body.length) {
    const precisionAndId = body[at]!;
    const wide = precisionAndId >> 4;
    if (wide > 1 || (precisionAndId & 0x0f) > 3) return false;
    const bytes = wide === 1 ? 128 : 64;
    if (at + 1 + bytes > body.length) return false;
    for (let i = 0; i < 64; i++) {
      const value = wide === 1 ? body.readUInt16BE(at + 1 + 2 * i) : body[at + 1 + i]!;
      if (value === 0) return false;
    }
    at += 1 + bytes;
  }
  return body.length > 0;
}

// --- PNG (ISO 15948) ------------------------------------------------------------------------------

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Bit depths allowed for each colour type. */
const PNG_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
/** PNG's own limit for sizes and lengths. */
const PNG_MAX_VALUE = 0x7fffffff;
/** libvips's VIPS_MAX_COORD: a larger width or height fails its header read. */
const VIPS_MAX_COORD = 100_000_000;

/**
 * IHDR, then only chunks checked here (sRGB, pHYs, PLTE), each with a correct CRC, up to the first
 * IDAT. Text, ICC, EXIF and other chunks go to sharp (libspng checks their contents).
 */
function readPng(readAt: ReadAt, size: number): ImageHeader | null {
  let position = 8;
  let header: { width: number; height: number; colourType: number } | null = null;
  const seen = new Set<string>();
  for (;;) {
    const head = readAt(position, 8);
    if (head.length < 8) return null;
    const length = head.readUInt32BE(0);
    const type = head.toString('latin1', 4, 8);
    if (length > PNG_MAX_VALUE || position + 12 + length > size) return null;
    if (type === 'IDAT') {
      if (header === null || (header.colourType === 3 && !seen.has('PLTE'))) return null;
      return { format: 'png', width: header.width, height: header.height };
    }
    if (type !== 'IHDR' && header === null) return null;
    if (seen.has(type) || (type !== 'IHDR' && type !== 'PLTE' && type !== 'sRGB' && type !== 'pHYs')) return null;
    const chunk = readAt(position + 4, length + 8);
    if (chunk.length !== length + 8 || crc32(chunk.subarray(0, 4 + length)) !== chunk.readUInt32BE(4 + length)) return null;
    const data = chunk.subarray(4, 4 + length);
    if (type === 'IHDR') {
      header = readIhdr(data);
      if (header === null) return null;
    } else if (type === 'PLTE') {
      if (header === null || header.colourType === 0 || header.colourType === 4) return null;
      if (length === 0 || length % 3 !== 0 || length / 3 > 256) return null;
    } else if (type === 'sRGB') {
      // sRGB comes before PLTE.
      if (length !== 1 || data[0]! > 3 || seen.has('PLTE')) return null;
    } else if (length !== 9 || data.readUInt32BE(0) > PNG_MAX_VALUE || data.readUInt32BE(4) > PNG_MAX_VALUE || data[8]! > 1) {
      // pHYs: pixels per unit in x and y, unit 0 (none) or 1 (metre).
      return null;
    }
    seen.add(type);
    position += 12 + length;
  }
}

function readIhdr(data: Buffer): { width: number; height: number; colourType: number } | null {
  if (data.length !== 13) return null;
  const width = data.readUInt32BE(0);
  const height = data.readUInt32BE(4);
  const depth = data[8]!;
  const colourType = data[9]!;
  if (width === 0 || height === 0 || width > VIPS_MAX_COORD || height > VIPS_MAX_COORD) return null;
  if (!PNG_DEPTHS[colourType]?.includes(depth)) return null;
  // Compression 0, filter 0, interlace 0 (none) or 1 (Adam7).
  if (data[10] !== 0 || data[11] !== 0 || data[12]! > 1) return null;
  return { width, height, colourType };
}
