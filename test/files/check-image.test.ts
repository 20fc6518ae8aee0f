import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkImage } from '../../src/files/check-image.js';
import type { ImagePlan } from '../../src/config/types.js';
import type { ResolvedFile } from '../../src/files/resolve-reference.js';
import { IngestError } from '../../src/errors.js';
import { tempDir } from '../support/tmp.js';

let dir: string;
const plan: ImagePlan = { dir: '', configured: 'images/', extension: '.jpg', targetSize: [64, 48], maxPixels: 10_000, verify: 'header' };

async function image(name: string, width: number, height: number, format: 'jpeg' | 'png'): Promise<Buffer> {
  const buf = await sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .toFormat(format)
    .toBuffer();
  await writeFile(path.join(dir, name), buf);
  return buf;
}

function file(name: string, size?: number): ResolvedFile {
  const full = path.join(dir, name);
  const real = size ?? (existsSync(full) ? statSync(full).size : 1);
  return { reference: name, path: full, stem: name.replace(/\..*$/, ''), extension: path.extname(name), size: real };
}

/** The outcome of checking `name`, the same on a local disk (synchronous reads) and a network file system (asynchronous ones). */
/**
 * The PNG with one byte of its compressed pixel data flipped about 1.5 % before the end of the image
 * data (the last rows), the chunk's CRC made right again: only inflating to the end notices.
 */
function damageLastIdat(png: Buffer): Buffer {
  const out = Buffer.from(png);
  const idats: { data: number; length: number }[] = [];
  for (let at = 8; at < out.length; ) {
    const length = out.readUInt32BE(at);
    if (out.toString('latin1', at + 4, at + 8) === 'IDAT') idats.push({ data: at + 8, length });
    at += 12 + length;
  }
  const total = idats.reduce((n, c) => n + c.length, 0);
  // Offset into the concatenated image data, clear of the zlib trailer (Adler-32, 4 bytes).
  let target = total - Math.max(16, Math.floor(total * 0.015));
  const chunk = idats.find((c) => (target < c.length ? true : ((target -= c.length), false)))!;
  out[chunk.data + target] = out[chunk.data + target]! ^ 0x5a;
  out.writeUInt32BE(crc32(out.subarray(chunk.data - 4, chunk.data + chunk.length)), chunk.data + chunk.length);
  return out;
}

async function code(name: string, p: ImagePlan = plan, size?: number): Promise<string> {
  const [local, network] = await Promise.all(
    [true, false].map((localDisk) =>
      checkImage(file(name, size), p, localDisk).then(
        (info) => `ok ${JSON.stringify(info)}`,
        (e: unknown) => (e instanceof IngestError ? e.code : String(e)),
      ),
    ),
  );
  expect(network, name).toBe(local);
  return local!.startsWith('ok') ? 'ok' : local!;
}

/** An RGB image of Gaussian noise (compresses badly, so its data spans the whole file). */
const noise = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#000000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } });

beforeAll(async () => {
  dir = await tempDir();
  await image('ok.jpg', 64, 48, 'jpeg');
  await image('wrong-size.jpg', 48, 64, 'jpeg');
  await image('png-named.jpg', 64, 48, 'png');
  await image('big.jpg', 200, 100, 'jpeg');
  const full = await image('full.jpg', 64, 48, 'jpeg');
  await writeFile(path.join(dir, 'truncated.jpg'), full.subarray(0, 20));
  await writeFile(path.join(dir, 'cut-body.jpg'), full.subarray(0, full.length - 40));
  // Header and end marker intact, scan data scrambled: only a full decode notices.
  const noisy = await noise(64, 48).jpeg({ quality: 90 }).toBuffer();
  const scrambled = Buffer.from(noisy);
  for (let i = Math.floor(scrambled.length * 0.5); i < scrambled.length - 10; i += 3) scrambled[i] = 0xff;
  await writeFile(path.join(dir, 'scrambled.jpg'), scrambled);
  // Larger images damaged only near the end of their data (the last rows): a decode that stops
  // early, or decodes at a reduced scale, would pass them.
  const bigNoisy = await noise(640, 480).jpeg({ quality: 90 }).toBuffer();
  await writeFile(path.join(dir, 'big-noisy.jpg'), bigNoisy);
  const lateScramble = Buffer.from(bigNoisy);
  for (let i = Math.floor(lateScramble.length * 0.97); i < lateScramble.length - 10; i += 3) lateScramble[i] = 0xff;
  await writeFile(path.join(dir, 'late-scrambled.jpg'), lateScramble);
  const bigPng = await noise(640, 480).png({ compressionLevel: 1 }).toBuffer();
  await writeFile(path.join(dir, 'big-noisy.png'), bigPng);
  await writeFile(path.join(dir, 'late-damaged.png'), damageLastIdat(bigPng));
  const png = await image('ok.png', 64, 48, 'png');
  await writeFile(path.join(dir, 'cut-body.png'), png.subarray(0, png.length - 4));
  await writeFile(path.join(dir, 'empty.jpg'), '');
  // Two 64 KB comment segments before the frame header: past what the asynchronous read takes in
  // one go, so that path leaves the header to sharp; both paths accept it.
  const comment = Buffer.concat([Buffer.from([0xff, 0xfe, 0xff, 0xff]), Buffer.alloc(65533, 0x20)]);
  const ok = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#808080' } }).jpeg().toBuffer();
  await writeFile(path.join(dir, 'long-head.jpg'), Buffer.concat([ok.subarray(0, 2), comment, comment, ok.subarray(2)]));
  await writeFile(path.join(dir, 'text.jpg'), 'not an image at all');
});

describe('checkImage', () => {
  it('accepts an image of the configured format and size', async () => {
    expect(await checkImage(file('ok.jpg'), plan)).toEqual({ width: 64, height: 48, format: 'jpeg' });
  });

  it('reads a header behind 128 KB of comments (synchronously; asynchronously sharp does)', async () => {
    expect(await code('long-head.jpg')).toBe('ok');
  });

  it('refuses a wrong size, naming both sizes as width x height', async () => {
    const err = await checkImage(file('wrong-size.jpg'), plan).catch((e: unknown) => e as IngestError);
    expect((err as IngestError).code).toBe('FILE_SIZE_MISMATCH');
    expect((err as IngestError).message).toContain('48x64');
    expect((err as IngestError).message).toContain('64x48');
  });

  it('accepts any size when the exact-size rule is relaxed', async () => {
    expect(await code('wrong-size.jpg', { ...plan, targetSize: null })).toBe('ok');
  });

  it.each([
    ['png-named.jpg', 'FILE_EXTENSION'],
    ['truncated.jpg', 'FILE_DECODE'],
    ['cut-body.jpg', 'FILE_DECODE'],
    ['text.jpg', 'FILE_DECODE'],
    ['missing.jpg', 'FILE_DECODE'],
  ])('refuses %s with %s', async (name, expected) => {
    expect(await code(name)).toBe(expected);
  });

  it('refuses a PNG cut off before its IEND chunk, accepts the whole one', async () => {
    const png = { ...plan, extension: '.png' };
    expect(await code('ok.png', png)).toBe('ok');
    expect(await code('cut-body.png', png)).toBe('FILE_DECODE');
  });

  it('verify: decode decodes every pixel and refuses scrambled image data that passes the header check', async () => {
    expect(await code('scrambled.jpg')).toBe('ok');
    expect(await code('scrambled.jpg', { ...plan, verify: 'decode' })).toBe('FILE_DECODE');
    expect(await code('ok.jpg', { ...plan, verify: 'decode' })).toBe('ok');
  });

  it('verify: decode: many decodes at once, all failing, give every slot back (a good image still decodes after them)', async () => {
    const decode = { ...plan, verify: 'decode' as const };
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 3 === 2 ? code('ok.jpg', decode) : code('scrambled.jpg', decode))),
    );
    expect(results).toEqual(Array.from({ length: 12 }, (_, i) => (i % 3 === 2 ? 'ok' : 'FILE_DECODE')));
    expect(await code('ok.jpg', decode)).toBe('ok');
  });

  it('verify: decode reads the last rows too: damage near the end of a larger JPEG or PNG is refused, the intact ones pass', async () => {
    const big: ImagePlan = { ...plan, targetSize: [640, 480], maxPixels: 1_000_000 };
    expect(await code('big-noisy.jpg', { ...big, verify: 'decode' })).toBe('ok');
    expect(await code('late-scrambled.jpg', big)).toBe('ok');
    expect(await code('late-scrambled.jpg', { ...big, verify: 'decode' })).toBe('FILE_DECODE');
    const png = { ...big, extension: '.png' };
    expect(await code('big-noisy.png', { ...png, verify: 'decode' })).toBe('ok');
    expect(await code('late-damaged.png', png)).toBe('ok');
    expect(await code('late-damaged.png', { ...png, verify: 'decode' })).toBe('FILE_DECODE');
  });

  it('refuses a zero-byte file', async () => {
    expect(await code('empty.jpg', plan, 0)).toBe('FILE_DECODE');
  });

  it('refuses more pixels than the limit (decompression bomb guard)', async () => {
    const c = await code('big.jpg', { ...plan, targetSize: null });
    expect(c).toBe('FILE_TOO_LARGE');
    expect(await code('big.jpg', { ...plan, targetSize: null, maxPixels: 1_000_000 })).toBe('ok');
  });
});
