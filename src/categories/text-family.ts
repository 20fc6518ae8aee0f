import type { FileSetName, Plan } from '../config/types.js';
import { IngestError } from '../errors.js';
import { TextFiles, type TextFilesOptions } from '../files/text-files.js';
import type { TokenizerRule } from '../files/tokenizer.js';

/** The options every text-family handler shares: its file directory, the source, the destination. */
export function textFilesOptions(plan: Plan, set: FileSetName, tokenizer: TokenizerRule): TextFilesOptions {
  const files = plan.fileSets[set];
  if (!files) throw new IngestError('INTERNAL', `${plan.category} needs a ${set} directory in its plan`);
  return { category: plan.category, files, source: plan.source, destination: plan.destination, tokenizer };
}

/** A text-family handler without content rules of its own (text_classification, MLM). */
export function textFiles(set: FileSetName, tokenizer: TokenizerRule) {
  return (plan: Plan): TextFiles => new TextFiles(textFilesOptions(plan, set, tokenizer));
}
