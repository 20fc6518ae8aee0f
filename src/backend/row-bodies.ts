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
 * Every string goes through JSON.stringify; a non-finite label is refused as toJsonText refuses it.
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
  for (let i = 0; i < count; i++) {
    out.add(`${i === 0 ? '' : ','}{"data_id":${JSON.stringify(dataId(i))},"data_intent":${JSON.stringify(intent(i))},"label":${labelJson(label(i))}${tail}`);
  }
  out.add(']');
  return Buffer.concat(out.take());
}

/** A row's label as JSON. */
function labelJson(label: RowMeta['label']): string {
  if (label === null) return 'null';
  if (typeof label === 'number' && !Number.isFinite(label)) {
    throw new IngestError('INTERNAL', 'refusing to send a non-finite number (key "label") to the backend');
  }
  return JSON.stringify(label);
}
