import { IngestError } from '../errors.js';
import { jsonString, type DeferredJsonIds } from '../keys/json-ids.js';

/** One row's metadata as call 1 sends it (PLATFORM.md §5): only these keys ever leave. */
export interface RowMeta {
  data_id: string;
  data_intent: 'train' | 'test';
  /** The encoded label (see `LabelEncoder`): class value, bin index, or null. */
  label: string | number | null;
}

/**
 * A batch's rows of call 1, held until they are sent: per row a reference to its ending (shared by
 * the rows of one intent and label), and the ids, whose JSON is made when the body is written. No
 * bytes of their own while they wait, so a batch held for a while leaves nothing in external memory
 * (measured: bodies built per batch and held piled up as tens of MB of buffers waiting for a full
 * collection, BENCHMARKS.md).
 */
export interface HeldRows {
  readonly count: number;
  /** The bytes these rows add to a body, each with the one separator or bracket that follows it. */
  readonly byteLength: number;
  readonly ids: DeferredJsonIds;
  readonly endings: readonly Uint8Array[];
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
 * cost several times these copies). A non-finite label is refused as `toJsonText` refuses it, when
 * the rows are held.
 */
export class RowsBodyWriter {
  readonly #tail: string;
  readonly #endings = new Map<RowMeta['data_intent'], Map<RowMeta['label'], Uint8Array>>();
  #cached = 0;

  constructor(ingestorId: string) {
    this.#tail = `,"is_sample":false,"injestor_id":${jsonString(ingestorId)}}`;
  }

  /** The rows with these ids (in order), intents and labels, held until `body` writes them. */
  hold(ids: DeferredJsonIds, intent: (i: number) => RowMeta['data_intent'], label: (i: number) => RowMeta['label']): HeldRows {
    const count = ids.count;
    const endings = new Array<Uint8Array>(count);
    let byteLength = count * (HEAD.length + 1) + ids.byteLength;
    for (let i = 0; i < count; i++) {
      const ending = this.#ending(intent(i), label(i));
      endings[i] = ending;
      byteLength += ending.length;
    }
    return { count, byteLength, ids, endings };
  }

  /** One body (a JSON array) of the held rows of `parts`, in order. */
  body(parts: readonly HeldRows[]): Buffer {
    const size = bodyLength(parts);
    const out = Buffer.allocUnsafe(size);
    let at = 0;
    out[at++] = OPEN;
    for (const part of parts) {
      if (part.count === 0) continue;
      const ids = part.ids.make();
      if (ids.count !== part.count || ids.ends[ids.count - 1] !== part.ids.byteLength) {
        throw new IngestError('INTERNAL', 'the data_ids of a metadata body are not the ones it was sized for');
      }
      const idBytes = ids.bytes;
      let idStart = 0;
      for (let i = 0; i < part.count; i++) {
        if (at > 1) out[at++] = COMMA;
        out.set(HEAD, at);
        at += HEAD.length;
        const idEnd = ids.ends[i]!;
        for (let k = idStart; k < idEnd; k++) out[at++] = idBytes[k]!;
        idStart = idEnd;
        const ending = part.endings[i]!;
        out.set(ending, at);
        at += ending.length;
      }
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

/** The size of the body of `parts`: `[`, each row with the comma or `]` after it (`[]` when empty). */
function bodyLength(parts: readonly HeldRows[]): number {
  let size = 1;
  let rows = 0;
  for (const p of parts) {
    size += p.byteLength;
    rows += p.count;
  }
  return rows === 0 ? 2 : size;
}

const HEAD = Buffer.from('{"data_id":', 'latin1');
const OPEN = 0x5b; // [
const COMMA = 0x2c; // ,
const CLOSE = 0x5d; // ]

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
