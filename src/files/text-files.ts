import type { Category, FileSetPlan, SourcePlan } from '../config/types.js';
import { IngestError } from '../errors.js';
import type { CheckedCells } from '../records/record-checker.js';
import { checkTextFile, type TextInfo } from './check-text.js';
import { CopyTracker, destinationName } from './copy-tracker.js';
import { referenceOf } from './file-handler.js';
import { realDirectory, resolveReference } from './resolve-reference.js';
import { isLocalDisk } from './local-disk.js';
import {
  checkTokenizer,
  locateTokenizer,
  missingTokenizer,
  TOKENIZER_FILE,
  type TokenizerLookup,
  type TokenizerRule,
} from './tokenizer.js';
import type { FileHandler, RecordFiles } from './types.js';
import { ReferencedFiles } from './unreferenced.js';

export interface TextFilesOptions {
  readonly category: Category;
  /** The directory of the referenced files (`texts` or `sequences`). */
  readonly files: FileSetPlan;
  /** The CSV/JSON source: tokenizer.json is looked for in its directory. */
  readonly source: SourcePlan;
  readonly destination: string;
  readonly tokenizer: TokenizerRule;
}

/**
 * One UTF-8 text file per record (text family), copied once however many records name it, plus the
 * dataset's tokenizer.json, checked once before the records and copied once after the last batch.
 */
export class TextFiles implements FileHandler {
  protected realDir = '';
  /** Whether the texts are on a local file system (see isLocalDisk). */
  protected localDisk = false;
  protected readonly tracker: CopyTracker;
  private readonly referenced: ReferencedFiles;
  private tokenizer: TokenizerLookup = { kind: 'absent' };

  constructor(protected readonly options: TextFilesOptions) {
    this.tracker = new CopyTracker(options.destination);
    this.referenced = new ReferencedFiles(options.files, 'text');
  }

  async open(): Promise<void> {
    this.realDir = await realDirectory(this.options.files);
    this.localDisk = await isLocalDisk(this.realDir);
    this.tracker.reset();
    this.referenced.clear();
    this.tokenizer = await locateTokenizer(this.options.source);
    // Claimed first, so a text file that would also land on tokenizer.json is refused.
    if (this.tokenizer.kind === 'found') this.tracker.claim(this.tokenizer.file, TOKENIZER_FILE);
  }

  async checkDataset(): Promise<IngestError[]> {
    const { source, category, tokenizer: rule } = this.options;
    const t = this.tokenizer;
    if (t.kind === 'problem') return [t.error];
    if (t.kind === 'absent') return rule.required ? [missingTokenizer(source, category, rule)] : [];
    const problem = await checkTokenizer(t.file, source, category, rule);
    return problem ? [problem] : [];
  }

  async check(record: CheckedCells): Promise<RecordFiles> {
    const files = await this.resolve(record);
    this.referenced.add(files.primary.path);
    const text = await checkTextFile(files.primary);
    this.checkContent(record, text);
    return files;
  }

  /** A category's own check of the text against the record (token_classification: the tags). */
  protected checkContent(_record: CheckedCells, _text: TextInfo): void {}

  async resolve(record: CheckedCells): Promise<RecordFiles> {
    const file = await resolveReference(referenceOf(record), this.options.files, this.realDir, this.localDisk);
    this.tracker.claim(file, destinationName(file));
    return { primary: file, all: [file] };
  }

  async copy(files: RecordFiles): Promise<void> {
    await this.tracker.copyAllOrNone(files.all.map((f) => [f, destinationName(f)] as const));
  }

  async afterCheck(): Promise<string[]> {
    const warning = await this.referenced.warning(this.realDir);
    return warning ? [warning] : [];
  }

  /** Copies tokenizer.json once, after every record's files; a tokenizer that vanished fails the run. */
  async afterWrite(): Promise<void> {
    const t = this.tokenizer;
    if (t.kind === 'problem') throw t.error;
    if (t.kind === 'absent') {
      if (this.options.tokenizer.required) throw missingTokenizer(this.options.source, this.options.category, this.options.tokenizer);
      return;
    }
    await this.tracker.copyAllOrNone([[t.file, TOKENIZER_FILE]]);
  }
}
