/** How far from the end the end marker may sit (some writers pad a JPEG after its EOI marker). */
export const TAIL_BYTES = 64;
const PNG_IEND = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/**
 * Whether the last bytes of a JPEG or PNG file (`tail`, at most TAIL_BYTES) hold its format's end
 * marker (JPEG EOI `FF D9`, PNG `IEND` chunk). A header check alone passes a file cut off mid-way;
 * this catches it for the cost of reading the last bytes, without decoding pixels. Other formats
 * have no marker checked here.
 */
export function endsWithMarker(tail: Buffer, format: string): boolean {
  if (format === 'png') return tail.length >= PNG_IEND.length && tail.subarray(tail.length - PNG_IEND.length).equals(PNG_IEND);
  if (format !== 'jpeg') return true;
  for (let i = tail.length - 2; i >= 0; i--) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  return false;
}
