import type { IngestError } from '../errors.js';
import type { CheckedCells } from '../records/record-checker.js';
import type { ResolvedFile } from './resolve-reference.js';

/** The files one record references. */
export interface RecordFiles {
  /** The record's main file: its stem and extension fill the `filename` and `extension` columns. */
  readonly primary: ResolvedFile;
  /** Every file the record copies, primary first; copied both-or-neither. */
  readonly all: readonly ResolvedFile[];
  /** Facts the content checks learned (e.g. the image size), for checks that need them. */
  readonly width?: number;
  readonly height?: number;
}

/**
 * The file side of a category: resolve a record's references inside their directories, check the
 * content (check pass), copy them into `<storage-root>/<table>/` (write pass). One resolution
 * serves both passes, so they cannot disagree. Errors are IngestErrors carrying the `reference`;
 * the pipeline adds the row and column.
 */
export interface FileHandler {
  /** Resolves the configured directories; called at the start of each pass. */
  open(): Promise<void>;
  /**
   * Check pass, once after `open()` and before the records: checks dataset-wide files (e.g. the
   * text family's tokenizer.json). Its problems are reported with the records' problems.
   */
  checkDataset?(): Promise<IngestError[]>;
  /** Check pass: resolve and check the content of the record's files. */
  check(record: CheckedCells): Promise<RecordFiles>;
  /** Write pass: resolve only (the content was checked). */
  resolve(record: CheckedCells): Promise<RecordFiles>;
  /** Copies the record's files, skipping those an earlier record already copied. */
  copy(files: RecordFiles): Promise<void>;
  /** After the check pass: warnings (counts and names of unreferenced files, never content). */
  afterCheck?(): Promise<string[]>;
  /** After the last batch of the write pass (e.g. a dataset-wide file copied once). */
  afterWrite?(): Promise<void>;
}
