import { IngestError } from '../errors.js';
import { Utf8Pieces } from '../bytes/utf8-pieces.js';

/** One row's metadata as call 1 sends it (PLATFORM.md §5): only these keys ever leave. */
export interface RowMeta {
  data_id: string;
  data_intent: 'train' | 'test';
  /** The encoded label (see `LabelEncoder`): class value, bin index, or null. */
  label: string | number | null;
}

/**
 * Call 1's body for `count` rows, as UTF-8 bytes: exactly the text `JSON.stringify` gives for the
 * rows (keys data_id, data_intent, label, is_sample, injestor_id, in that order), built per row
 * from a template (a generic serializer walks every key of every object; measured 2-3x the cost).
 * Strings are quoted as JSON.stringify quotes them (plain ones directly, see jsonString); a
 * non-finite label is refused as toJsonText refuses it.
 */
export function rowsBody(
  ingestorId: string,
  count: number,
  dataId: (i: number) => string,
  intent: (i: number) => RowMeta['data_intent'],
  label: (i: number) => RowMeta['label'],
): Buffer {
  const tail = `,"is_sample":false,"injestor_id":${JSON.stringify(ingestorId)}}`;
  const out = new Utf8Pieces();
  out.add('[');
  // The intent is the same for (almost) every row: its JSON is made once per change.
  let lastIntent: string | null = null;
  let intentJson = '';
  for (let i = 0; i < count; i++) {
    const rowIntent = intent(i);
    if (rowIntent !== lastIntent) {
      lastIntent = rowIntent;
      intentJson = JSON.stringify(rowIntent);
    }
    out.add(`${i === 0 ? '' : ','}{"data_id":${jsonString(dataId(i))},"data_intent":${intentJson},"label":${labelJson(label(i))}${tail}`);
  }
  out.add(']');
  return Buffer.concat(out.take());
}

/** Printable ASCII but `"` and `\`: such a string's JSON is itself in quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify(s)`, without the serializer's call for the common plain strings (UUIDs, class names). */
function jsonString(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s);
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
