import type { CellValue } from './cast.js';
import type { ResolvedFile } from '../files/resolve-reference.js';

/** A record that passed every per-record check: cast, labelled, its files resolved. */
export interface PreparedRecord {
  readonly row: number;
  /** Declared feature columns, cast, in the plan's column order. */
  readonly values: readonly CellValue[];
  /** The exact label as stored in MySQL (null for unlabelled categories). */
  readonly label: string | null;
  /** The label as a number for the bucket policy (NaN otherwise). */
  readonly labelNumber: number;
  /** The source value for `data_id: {strategy: column}`. */
  readonly dataIdSource: string | null;
  /** The referenced file of file categories. */
  readonly file: ResolvedFile | null;
  /** The `annotation` column (keypoints). */
  readonly annotation: string | null;
}
