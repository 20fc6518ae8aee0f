import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readImageHeader, type ImageHeader } from '../../src/files/image-header.js';
import { prng } from '../support/prng.js';

// readImageHeader may only answer "accepted, this size" where sharp's header read (the one
// checkImage used before, failOn: 'error') accepts the file with the same size; anything else it
// must hand to sharp (null). Held here against sharp itself: a corpus of common encodings, then
// thousands of damaged variants of them.

const reader = (buf: Buffer) => (position: number, length: number) => buf.subarray(position, Math.min(buf.length, position + length));
const ours = (buf: Buffer): ImageHeader | null => readImageHeader(reader(buf), buf.length);

async function sharps(buf: Buffer): Promise<ImageHeader | 'refused'> {
  try {
    const m = await sharp(buf, { limitInputPixels: false, failOn: 'error' }).metadata();
    return { format: m.format as ImageHeader['format'], width: m.width, height: m.height };
  } catch {
    return 'refused';
  }
}

const base = (width: number, height: number, channels: 3 | 4 = 3) =>
  sharp({ create: { width, height, channels, background: { r: 40, g: 120, b: 200, alpha: 0.5 }, noise: { type: 'gaussian', mean: 128, sigma: 30 } } });

/** Encodings the fast path must take (the common ones: its speed is the point). */
const FAST: Record<string, () => Promise<Buffer>> = {
  'jpeg baseline 4:2:0': () => base(97, 61).jpeg().toBuffer(),
  'jpeg 4:4:4 q95': () => base(64, 48).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer(),
  'jpeg progressive': () => base(130, 70).jpeg({ progressive: true }).toBuffer(),
  'jpeg mozjpeg': () => base(80, 80).jpeg({ mozjpeg: true }).toBuffer(),
  'jpeg greyscale': () => base(33, 17).greyscale().jpeg().toBuffer(),
  'jpeg optimised tables': () => base(50, 90).jpeg({ optimiseCoding: true }).toBuffer(),
  'jpeg with EXIF and ICC': () =>
    base(40, 30)
      .withExif({ IFD0: { Copyright: 'tracebloc test', Software: 'sharp' } })
      .withIccProfile('p3')
      .jpeg()
      .toBuffer(),
  'jpeg EXIF orientation 6': () => base(60, 20).withMetadata({ orientation: 6 }).jpeg().toBuffer(),
  'jpeg restart interval': () => base(64, 64).jpeg({ quality: 80 }).toBuffer().then(withRestartInterval),
  'png rgb': () => base(70, 40).png().toBuffer(),
  'png rgba': () => base(31, 45, 4).png().toBuffer(),
  'png greyscale': () => base(20, 20).greyscale().png().toBuffer(),
  'png palette': () => base(50, 50).png({ palette: true }).toBuffer(),
  'png 16-bit': () => base(25, 15).toColourspace('rgb16').png().toBuffer(),
  'png interlaced': () => base(44, 33).png({ progressive: true }).toBuffer(),
  // libvips writes a pHYs chunk into every PNG: the cases above all have one.
  'png with sRGB': () =>
    base(12, 9)
      .png()
      .toBuffer()
      .then((b) => withPngChunk(b, 'sRGB', Buffer.from([0]))),
};

/** Valid images the fast path leaves to sharp (rarer codings or chunks it does not check). */
const SLOW: Record<string, () => Promise<Buffer>> = {
  'jpeg cmyk': () => base(32, 32).toColourspace('cmyk').jpeg().toBuffer(),
  'png with ICC profile': () => base(16, 16).withIccProfile('p3').png().toBuffer(),
  'png with EXIF': () => base(16, 16).withMetadata({ density: 300 }).png().toBuffer(),
  'png with a text chunk': () => base(16, 16).png().toBuffer().then((b) => withPngChunk(b, 'tEXt', Buffer.from('Comment\0hello', 'latin1'))),
  webp: () => base(16, 16).webp().toBuffer(),
};

const images = new Map<string, Buffer>();

beforeAll(async () => {
  for (const [name, make] of Object.entries({ ...FAST, ...SLOW })) images.set(name, await make());
});

describe('readImageHeader on valid images', () => {
  it.each(Object.keys(FAST))('%s: read without sharp, the size sharp reads', async (name) => {
    const buf = images.get(name)!;
    const expected = await sharps(buf);
    expect(expected).not.toBe('refused');
    expect(ours(buf)).toEqual(expected);
  });

  it.each(Object.keys(SLOW))('%s: left to sharp', async (name) => {
    const buf = images.get(name)!;
    expect(await sharps(buf)).not.toBe('refused');
    expect(ours(buf)).toBeNull();
  });

  it('leaves non-images and signatures alone to sharp', () => {
    expect(ours(Buffer.from('not an image at all'))).toBeNull();
    expect(ours(Buffer.alloc(0))).toBeNull();
    expect(ours(Buffer.from([0xff, 0xd8]))).toBeNull();
  });
});

describe('readImageHeader on damaged images', () => {
  it('accepts no damaged file that sharp refuses, and never reports another size (8,000 variants)', async () => {
    const rand = prng(0x1a9e);
    const names = Object.keys(FAST);
    let accepted = 0;
    let handedOver = 0;
    const disagreements: string[] = [];
    for (let i = 0; i < 8000; i++) {
      const name = names[i % names.length]!;
      const original = images.get(name)!;
      const { bytes: damaged, how } = damage(original, rand);
      const answer = ours(damaged);
      if (answer === null) {
        handedOver++;
        continue;
      }
      accepted++;
      const verdict = await sharps(damaged);
      if (verdict === 'refused' || verdict.width !== answer.width || verdict.height !== answer.height || verdict.format !== answer.format) {
        disagreements.push(`${name} ${how}: ours ${JSON.stringify(answer)}, sharp ${JSON.stringify(verdict)}`);
      }
    }
    expect(disagreements.slice(0, 5)).toEqual([]);
    // Both outcomes happen: the damage reaches what is checked, and harmless damage is still fast.
    expect(accepted).toBeGreaterThan(500);
    expect(handedOver).toBeGreaterThan(500);
  }, 120_000);
});

/** One random kind of damage, concentrated in the header (up to the first scan or IDAT). */
function damage(original: Buffer, rand: () => number): { bytes: Buffer; how: string } {
  const end = headerEnd(original);
  const at = Math.floor(rand() * end);
  const bytes = Buffer.from(original);
  const kind = Math.floor(rand() * 6);
  switch (kind) {
    case 0:
      bytes[at] = Math.floor(rand() * 256);
      return { bytes, how: `byte ${at} := ${bytes[at]}` };
    case 1:
      bytes[at] = bytes[at]! ^ (1 << Math.floor(rand() * 8));
      return { bytes, how: `bit flip at ${at}` };
    case 2:
      bytes[at] = rand() < 0.5 ? 0 : 0xff;
      return { bytes, how: `byte ${at} := ${bytes[at]}` };
    case 3:
      return { bytes: original.subarray(0, at), how: `cut at ${at}` };
    case 4: {
      const n = 1 + Math.floor(rand() * 4);
      return { bytes: Buffer.concat([original.subarray(0, at), original.subarray(at + n)]), how: `${n} bytes removed at ${at}` };
    }
    default: {
      // PNG: change a byte inside a chunk and give the chunk a correct CRC again, so the values
      // themselves are tested, not only the checksum.
      if (original[0] === 0x89) {
        const fixed = pngWithFixedCrc(bytes, at, Math.floor(rand() * 256));
        return { bytes: fixed, how: `png byte ${at} changed, CRC fixed` };
      }
      const value = [0, 1, 2, 3, 4, 5, 0x10, 0x11, 0x22, 0x44, 0x80, 0xff][Math.floor(rand() * 12)]!;
      bytes[at] = value;
      return { bytes, how: `byte ${at} := ${value}` };
    }
  }
}

/** Offset just past the first JPEG scan header or PNG IDAT chunk header. */
function headerEnd(buf: Buffer): number {
  if (buf[0] === 0x89) return buf.indexOf('IDAT', 8, 'latin1') + 4;
  let at = 2;
  while (at + 4 <= buf.length) {
    const marker = buf[at + 1]!;
    const length = buf.readUInt16BE(at + 2);
    if (marker === 0xda) return at + 2 + length;
    at += 2 + length;
  }
  return buf.length;
}

function pngWithFixedCrc(bytes: Buffer, at: number, value: number): Buffer {
  let position = 8;
  while (position + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(position);
    const dataStart = position + 8;
    if (dataStart + length + 4 > bytes.length) break;
    if (at >= dataStart && at < dataStart + length) {
      bytes[at] = value;
      bytes.writeUInt32BE(crc32(bytes.subarray(position + 4, dataStart + length)), dataStart + length);
      return bytes;
    }
    position += 12 + length;
  }
  bytes[at] = value;
  return bytes;
}

/** The same JPEG with a DRI segment (restart interval 4) before its first scan. */
function withRestartInterval(jpeg: Buffer): Buffer {
  const sos = headerEnd(jpeg);
  let at = 2;
  while (jpeg[at + 1] !== 0xda) at += 2 + jpeg.readUInt16BE(at + 2);
  expect(sos).toBeGreaterThan(at);
  // Marking the interval without restart markers in the data is fine for a header read.
  return Buffer.concat([jpeg.subarray(0, at), Buffer.from([0xff, 0xdd, 0x00, 0x04, 0x00, 0x04]), jpeg.subarray(at)]);
}

/** The same PNG with one more chunk right after IHDR. */
function withPngChunk(png: Buffer, type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  const afterIhdr = 8 + 12 + 13;
  return Buffer.concat([png.subarray(0, afterIhdr), chunk, png.subarray(afterIhdr)]);
}
