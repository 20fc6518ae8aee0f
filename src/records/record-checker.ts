import { IngestError } from '../errors.js';
import type { Plan } from '../config/types.js';
import type { RawCell, RawRecord } from '../sources/types.js';
import { casterFor, isCastFailure, type Caster, type CellValue } from './cast.js';
import { MAX_DATA_ID_LENGTH } from '../keys/data-id.js';
import { runtimeFor } from '../categories/registry.js';
import type { CategoryRuntime } from '../categories/types.js';

/** What the cell checks of one record produce; file checks come after (they need the disk). */
export interface CheckedCells {
  readonly row: number;
  readonly values: CellValue[];
  readonly label: string | null;
  readonly labelNumber: number;
  readonly dataIdSource: string | null;
  readonly fileReference: string | null;
  /** The category's extra columns (CategoryRuntime.extraColumns), as text. */
  readonly extras: readonly (string | null)[];
  /** What goes to the `annotation` column (keypoints). */
  readonly annotation: string | null;
}

const LABEL_MAX_CHARS = 255;

/**
 * Per-record checks on cells: every declared column cast by its SQL type, the label present (and
 * numeric for the bucket policy), the data_id source value, the file reference. Built once per
 * run; `check` is the hot path.
 */
export class RecordChecker {
  /** The source columns this checker reads, in the order the source must deliver them. */
  readonly wanted: readonly string[];
  private readonly casters: readonly Caster[];
  private readonly labelIndex: number;
  private readonly dataIdIndex: number;
  private readonly fileIndex: number;
  private readonly timeIndex: number;
  private readonly extraIndexes: readonly number[];
  private readonly runtime: CategoryRuntime;

  constructor(private readonly plan: Plan) {
    const wanted = plan.columns.map((c) => c.name);
    const indexOf = (name: string | null | undefined): number => {
      if (name === null || name === undefined) return -1;
      const i = wanted.indexOf(name);
      if (i >= 0) return i;
      wanted.push(name);
      return wanted.length - 1;
    };
    // Values go to MySQL as text anyway: keep FLOAT/DOUBLE cells as their checked text.
    this.casters = plan.columns.map((c) => casterFor(c.type, { numbersAsText: true }));
    this.labelIndex = indexOf(plan.label?.column);
    this.dataIdIndex = indexOf(plan.dataId.strategy === 'column' ? plan.dataId.column : null);
    this.fileIndex = indexOf(plan.filenameColumn);
    this.timeIndex = indexOf(plan.timeColumn);
    this.runtime = runtimeFor(plan.category);
    this.extraIndexes = this.runtime.extraColumns.map(indexOf);
    this.wanted = wanted;
  }

  /** Checks one record; returns the checked cells, or the problems found (all of them). */
  check(record: RawRecord): CheckedCells | IngestError[] {
    const { cells, row } = record;
    const file = this.plan.source.configured;
    let problems: IngestError[] | null = null;
    const fail = (code: IngestError['code'], message: string, field: string): void => {
      (problems ??= []).push(new IngestError(code, message, { file, row, field }));
    };

    const columns = this.plan.columns;
    const values = new Array<CellValue>(columns.length);
    for (let i = 0; i < columns.length; i++) {
      const v = this.casters[i]!(cells[i]);
      if (isCastFailure(v)) {
        fail(v.code, v.message, columns[i]!.name);
        values[i] = null;
      } else {
        values[i] = v;
      }
    }

    let label: string | null = null;
    let labelNumber = Number.NaN;
    const labelPlan = this.plan.label;
    if (labelPlan !== null) {
      label = textOf(cells[this.labelIndex]);
      if (label === null || label.trim() === '') {
        fail('LABEL_MISSING', 'the label is empty; every record needs one', labelPlan.column);
        label = null;
      } else if (!this.plan.longLabel && label.length > LABEL_MAX_CHARS && [...label].length > LABEL_MAX_CHARS) {
        fail('LABEL_INVALID', `the label is longer than ${LABEL_MAX_CHARS} characters`, labelPlan.column);
      } else if (labelPlan.policy === 'bucket') {
        labelNumber = Number(label.trim());
        if (!Number.isFinite(labelNumber) || label.trim() === '') {
          fail('LABEL_INVALID', 'the bucket policy needs a finite number as label', labelPlan.column);
        }
      }
    }

    let dataIdSource: string | null = null;
    if (this.dataIdIndex >= 0) {
      dataIdSource = textOf(cells[this.dataIdIndex]);
      const column = this.plan.dataId.strategy === 'column' ? this.plan.dataId.column : '';
      if (dataIdSource === null || dataIdSource.trim() === '') {
        fail('DATA_ID_INVALID', 'the data_id column is empty', column);
      } else if (dataIdSource.length > MAX_DATA_ID_LENGTH) {
        fail('DATA_ID_INVALID', `the data_id value is longer than ${MAX_DATA_ID_LENGTH} characters`, column);
      }
    }

    let fileReference: string | null = null;
    if (this.fileIndex >= 0) {
      fileReference = textOf(cells[this.fileIndex]);
      if (fileReference === null || fileReference === '') {
        fail('FILE_REFERENCE_INVALID', 'the file reference is empty', this.plan.filenameColumn ?? '');
      }
    }

    if (this.timeIndex >= 0) {
      const raw = textOf(cells[this.timeIndex]);
      const t = raw === null || raw.trim() === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(t) || t < 0) {
        fail('CAST_INVALID', 'the time column must be a number >= 0', this.plan.timeColumn ?? '');
      }
    }

    const extras = this.extraIndexes.map((i) => textOf(cells[i]));
    let annotation: string | null = null;
    if (this.runtime.checkCells) {
      const outcome = this.runtime.checkCells(extras, label);
      if (Array.isArray(outcome)) for (const p of outcome) fail(p.code, p.message, p.field);
      else annotation = outcome.annotation;
    }

    if (problems !== null) return problems;
    return { row, values, label, labelNumber, dataIdSource, fileReference, extras, annotation };
  }
}

function textOf(cell: RawCell): string | null {
  if (cell === null || cell === undefined) return null;
  return typeof cell === 'string' ? cell : String(cell);
}
