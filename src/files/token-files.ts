import { IngestError } from '../errors.js';
import type { CheckedCells } from '../records/record-checker.js';
import type { TextInfo } from './check-text.js';
import { tagSequenceProblem } from './iob2.js';
import { TextFiles, type TextFilesOptions } from './text-files.js';

/**
 * token_classification: the text files of the text family, plus the label checked against the
 * text: IOB2 tags (see ./iob2.ts), exactly one per whitespace-separated word of the file.
 */
export class TokenFiles extends TextFiles {
  constructor(
    options: TextFilesOptions,
    private readonly labelColumn: string,
  ) {
    super(options);
  }

  protected override checkContent(record: CheckedCells, text: TextInfo): void {
    if (record.label === null) return; // already refused by the cell checks
    const problem = tagSequenceProblem(record.label, text.words);
    if (problem !== null) {
      throw new IngestError('LABEL_INVALID', problem, { field: this.labelColumn, reference: record.fileReference ?? undefined });
    }
  }
}
