/**
 * Many records' data_ids as the backend receives them: each one's JSON text (a quoted string),
 * UTF-8, back to back in one buffer. Call 1's bodies are written from these bytes (see
 * `RowsBodyWriter`), so sending a batch makes no string per id.
 */
export interface JsonDataIds {
  readonly count: number;
  readonly bytes: Uint8Array;
  /** Where id i ends in `bytes` (it starts where id i-1 ends, or at 0). */
  readonly ends: Uint32Array;
}

/** Printable ASCII but `"` and `\`: such a string's JSON is itself in quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify(s)`, without the serializer's call for the common plain strings (UUIDs, class names). */
export function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** `count` ids given as strings, as JsonDataIds (the same bytes `JSON.stringify` gives each). */
export function jsonIdsOf(count: number, id: (i: number) => string): JsonDataIds {
  const ends = new Uint32Array(count);
  let text = '';
  let end = 0;
  for (let i = 0; i < count; i++) {
    const json = jsonString(id(i));
    text += json;
    end += Buffer.byteLength(json, 'utf8');
    ends[i] = end;
  }
  return { count, bytes: Buffer.from(text, 'utf8'), ends };
}

/**
 * Ids whose JSON is made when a body is written, not when their batch is cut: a batch waiting to be
 * sent then holds its row numbers (or id strings) on the JavaScript heap, not a buffer that would
 * outlive the young generation and wait for a full collection as external memory. The size is known
 * ahead, so requests are cut to size before any byte is made.
 */
export interface DeferredJsonIds {
  readonly count: number;
  /** The bytes of all the ids' JSON together (what `make().ends[count - 1]` will be). */
  readonly byteLength: number;
  make(): JsonDataIds;
}

/** Ids made already, as DeferredJsonIds. */
export function madeJsonIds(ids: JsonDataIds): DeferredJsonIds {
  const byteLength = ids.count > 0 ? ids.ends[ids.count - 1]! : 0;
  return { count: ids.count, byteLength, make: () => ids };
}

/** Ids given as strings, their JSON made when needed (the strings are held until then; the array must not change meanwhile). */
export function deferredJsonIdsOf(ids: readonly string[]): DeferredJsonIds {
  let byteLength = 0;
  for (const id of ids) byteLength += PLAIN.test(id) ? id.length + 2 : Buffer.byteLength(JSON.stringify(id), 'utf8');
  return { count: ids.length, byteLength, make: () => jsonIdsOf(ids.length, (i) => ids[i]!) };
}
