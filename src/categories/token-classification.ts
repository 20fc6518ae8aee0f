import { IngestError } from '../errors.js';
import { TokenFiles } from '../files/token-files.js';
import { textFilesOptions } from './text-family.js';
import type { CategoryRuntime } from './types.js';

/**
 * token_classification: `filename` names a UTF-8 file in `texts`; the label is a space-separated
 * IOB2 tag sequence, one tag per word of that file (checked with the file, since it needs it);
 * the MySQL label column is TEXT (Plan.longLabel). tokenizer.json is optional, with [PAD].
 */
export const TOKEN_CLASSIFICATION: CategoryRuntime = {
  extraColumns: [],
  createFileHandler(plan) {
    if (!plan.label) throw new IngestError('INTERNAL', 'token_classification needs a label plan');
    return new TokenFiles(textFilesOptions(plan, 'texts', { required: false, tokens: ['[PAD]'] }), plan.label.column);
  },
};
