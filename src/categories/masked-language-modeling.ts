import { textFiles } from './text-family.js';
import type { CategoryRuntime } from './types.js';

/**
 * masked_language_modeling: `filename` names a UTF-8 file in `sequences`; no label (the backend
 * rows carry `label: null` and the edge-labels call is skipped, see Plan.sendsEdgeLabels); a
 * tokenizer.json holding [MASK] and [PAD] must sit beside the source. Other CSV columns (the
 * platform sample's `extension`) are not read.
 */
export const MASKED_LANGUAGE_MODELING: CategoryRuntime = {
  extraColumns: [],
  createFileHandler: textFiles('sequences', { required: true, tokens: ['[MASK]', '[PAD]'] }),
};
