import type { Plan } from '../config/types.js';
import type { ErrorCode } from '../errors.js';
import type { FileHandler } from '../files/types.js';

/** A problem in a category's own cells; the pipeline adds the file and row. */
export interface CellProblem {
  readonly code: ErrorCode;
  readonly message: string;
  /** The source column. */
  readonly field: string;
}

/**
 * What a category adds to the shared pipeline. The conventions (defaults, family, data_format)
 * are data in config/categories.ts; this is the behaviour. Each category is one module in this
 * folder, registered in ./registry.ts.
 */
export interface CategoryRuntime {
  /** Source columns the category reads besides the schema, label, file and data_id columns. */
  readonly extraColumns: readonly string[];
  /**
   * Pure checks of the extra columns (JSON shapes, tag syntax), in source order. Returns problems,
   * or what to store in the `annotation` column.
   */
  checkCells?(extras: readonly (string | null)[], label: string | null): CellProblem[] | { annotation: string | null };
  /** The category's file side; absent when it copies nothing. */
  createFileHandler?(plan: Plan): FileHandler;
}
