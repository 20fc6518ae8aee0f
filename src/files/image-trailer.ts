import { open } from 'node:fs/promises';

/** How far from the end the end marker may sit (some writers pad a JPEG after its EOI marker). */
const TAIL_BYTES = 64;
const PNG_IEND = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/**
 * Whether a JPEG or PNG file ends with its format's end marker (JPEG EOI `FF D9`, PNG `IEND`
 * chunk). A header check alone passes a file cut off mid-way; this catches it for the cost of
 * reading the last bytes, without decoding pixels.
 */
export async function hasEndMarker(path: string, size: number, format: string): Promise<boolean> {
  if (format !== 'jpeg' && format !== 'png') return true;
  const length = Math.min(TAIL_BYTES, size);
  const tail = Buffer.alloc(length);
  const handle = await open(path, 'r');
  try {
    await handle.read(tail, 0, length, size - length);
  } finally {
    await handle.close();
  }
  if (format === 'png') return tail.subarray(length - PNG_IEND.length).equals(PNG_IEND);
  for (let i = length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  return false;
}
