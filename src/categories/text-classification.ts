import { textFiles } from './text-family.js';
import type { CategoryRuntime } from './types.js';

/**
 * text_classification: `filename` names a UTF-8 file in `texts`; the label is passed through.
 * tokenizer.json beside the source is optional; when present it must hold [PAD].
 */
export const TEXT_CLASSIFICATION: CategoryRuntime = {
  extraColumns: [],
  createFileHandler: textFiles('texts', { required: false, tokens: ['[PAD]'] }),
};
