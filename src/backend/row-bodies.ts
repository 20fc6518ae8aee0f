import { IngestError } from '../errors.js';
import { jsonString, type JsonDataIds } from '../keys/json-ids.js';

/** One row's metadata as call 1 sends it (PLATFORM.md §5): only these keys ever leave. */
export interface RowMeta {
  data_id: string;
  data_intent: 'train' | 'test';
  /** The encoded label (see `LabelEncoder`): class value, bin index, or null. */
  label: string | number | null;
}

/** Call 1's body for a batch, serialized when the batch is cut (see `BackendClient.encodeRows`). */
export interface EncodedRows {
  readonly count: number;
  /** The body's JSON, as UTF-8 bytes, exactly as `sendRows` would send it. */
  readonly bytes: Buffer;
}

/** Distinct (intent, label) endings kept per writer; past it the cache starts over (class labels of a huge vocabulary). */
const MAX_CACHED_ENDINGS = 1024;

/**
 * Writes call 1's bodies of one run as UTF-8 bytes: exactly the text `JSON.stringify` gives for the
 * rows (keys data_id, data_intent, label, is_sample, injestor_id, in that order).
 *
 * A row is `{"data_id":` + the id's JSON + an ending that depends only on the row's intent and label
 * (`,"data_intent":…,"label":…,"is_sample":false,"injestor_id":…}`), so each distinct ending is
 * encoded once and a body is a series of byte copies: no string or object per row (a generic
 * serializer walks every key of every object; measured 2-3x the cost of templates, which in turn
 * cost several times these copies). A non-finite label is refused as `toJsonText` refuses it.
 */
export class RowsBodyWriter {
  readonly #tail: string;
  readonly #endings = new Map<RowMeta['data_intent'], Map<RowMeta['label'], Uint8Array>>();
  #cached = 0;

  constructor(ingestorId: string) {
    this.#tail = `,"is_sample":false,"injestor_id":${jsonString(ingestorId)}}`;
  }

  /** The body for the rows with these ids (in order), intents and labels. */
  write(ids: JsonDataIds, intent: (i: number) => RowMeta['data_intent'], label: (i: number) => RowMeta['label']): Buffer {
    const count = ids.count;
    const endings = new Array<Uint8Array>(count);
    // '[' and ']', one comma between rows, the head of each row, its id and its ending.
    let size = 2 + Math.max(0, count - 1) + count * HEAD.length + (count > 0 ? ids.ends[count - 1]! : 0);
    for (let i = 0; i < count; i++) {
      const ending = this.#ending(intent(i), label(i));
      endings[i] = ending;
      size += ending.length;
    }
    const out = Buffer.allocUnsafe(size);
    const idBytes = ids.bytes;
    let at = 0;
    out[at++] = OPEN;
    let idStart = 0;
    for (let i = 0; i < count; i++) {
      if (i > 0) out[at++] = COMMA;
      out.set(HEAD, at);
      at += HEAD.length;
      const idEnd = ids.ends[i]!;
      for (let k = idStart; k < idEnd; k++) out[at++] = idBytes[k]!;
      idStart = idEnd;
      const ending = endings[i]!;
      out.set(ending, at);
      at += ending.length;
    }
    out[at++] = CLOSE;
    if (at !== size) throw new IngestError('INTERNAL', 'a metadata body came out of the wrong size');
    return out;
  }

  #ending(intent: RowMeta['data_intent'], label: RowMeta['label']): Uint8Array {
    let byLabel = this.#endings.get(intent);
    if (byLabel === undefined) {
      byLabel = new Map();
      this.#endings.set(intent, byLabel);
    }
    let ending = byLabel.get(label);
    if (ending === undefined) {
      ending = Buffer.from(`,"data_intent":${jsonString(intent)},"label":${labelJson(label)}${this.#tail}`, 'utf8');
      if (this.#cached >= MAX_CACHED_ENDINGS) {
        this.#endings.clear();
        this.#cached = 0;
        byLabel = new Map();
        this.#endings.set(intent, byLabel);
      }
      byLabel.set(label, ending);
      this.#cached++;
    }
    return ending;
  }
}

const HEAD = Buffer.from('{"data_id":', 'latin1');
const OPEN = 0x5b; // [
const COMMA = 0x2c; // ,
const CLOSE = 0x5d; // ]
const SEPARATOR = Buffer.of(COMMA);

/**
 * Bodies as one body: their rows in order, in one JSON array (call 1 takes an array of any length,
 * so several committed batches can leave in one request).
 */
export function joinEncodedRows(parts: readonly EncodedRows[]): EncodedRows {
  const filled = parts.filter((p) => p.count > 0);
  if (filled.length === 1) return filled[0]!;
  const pieces: Buffer[] = [];
  let count = 0;
  filled.forEach((p, i) => {
    const b = p.bytes;
    if (b[0] !== OPEN || b[b.length - 1] !== CLOSE) throw new IngestError('INTERNAL', 'a row body is not a JSON array');
    if (i > 0) pieces.push(SEPARATOR);
    pieces.push(b.subarray(i === 0 ? 0 : 1, i === filled.length - 1 ? b.length : b.length - 1));
    count += p.count;
  });
  return { count, bytes: filled.length === 0 ? Buffer.from('[]') : Buffer.concat(pieces) };
}

/** A row's label as JSON. */
function labelJson(label: RowMeta['label']): string {
  if (label === null) return 'null';
  if (typeof label === 'number') {
    if (!Number.isFinite(label)) throw new IngestError('INTERNAL', 'refusing to send a non-finite number (key "label") to the backend');
    // For a finite number, JSON's text is its String() text.
    return String(label);
  }
  return jsonString(label);
}
