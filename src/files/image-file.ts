import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { readImageHeader, type ImageHeader } from './image-header.js';
import { TAIL_BYTES } from './image-trailer.js';

export interface ImageFileStart {
  /** The header when the fast reader knows the file to be well-formed (readImageHeader), else null. */
  readonly header: ImageHeader | null;
  /** The last TAIL_BYTES bytes (fewer in a smaller file). */
  readonly tail: Buffer;
}

/**
 * Opens an image once and reads its header and its last bytes with synchronous reads: a few small
 * reads per file, where a round trip through libuv's thread pool per read costs more than the read
 * (measured: 40 µs per file synchronously, 170–270 µs through the pool). Throws the file system's
 * error (ENOENT, EACCES, …) unchanged.
 */
export function readImageFileStart(path: string, size: number): ImageFileStart {
  const fd = openSync(path, 'r');
  try {
    const readAt = (position: number, length: number): Buffer => {
      const buf = Buffer.allocUnsafe(Math.max(0, Math.min(length, size - position)));
      let filled = 0;
      while (filled < buf.length) {
        const n = readSync(fd, buf, filled, buf.length - filled, position + filled);
        if (n === 0) break;
        filled += n;
      }
      return filled === buf.length ? buf : buf.subarray(0, filled);
    };
    const header = readImageHeader(readAt, size);
    const tailLength = Math.min(TAIL_BYTES, size);
    return { header, tail: readAt(size - tailLength, tailLength) };
  } finally {
    closeSync(fd);
  }
}

/** Bytes of the file's start read by the asynchronous variant (a header beyond them goes to sharp). */
const HEAD_BYTES = 64 * 1024;

/**
 * readImageFileStart for network file systems (see isLocalDisk): asynchronous reads, one of the
 * file's first HEAD_BYTES and one of its tail. A header that needs more than those bytes (JPEG
 * application segments over 64 KB before the frame header) is left to sharp.
 */
export async function readImageFileStartAsync(path: string, size: number): Promise<ImageFileStart> {
  const handle = await open(path, 'r');
  try {
    // Each read is repeated until its buffer is full or the file ends: a network file system may
    // return fewer bytes than asked, and a short tail would miss the end marker.
    const fill = async (length: number, position: number): Promise<Buffer> => {
      const buf = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(buf, filled, length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buf.subarray(0, filled);
    };
    const start = await fill(Math.min(HEAD_BYTES, size), 0);
    const tailLength = Math.min(TAIL_BYTES, size);
    const tail = await fill(tailLength, size - tailLength);
    const readAt = (position: number, length: number): Buffer => start.subarray(Math.min(position, start.length), Math.min(position + length, start.length));
    return { header: readImageHeader(readAt, size), tail };
  } finally {
    await handle.close();
  }
}
