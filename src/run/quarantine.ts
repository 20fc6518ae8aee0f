import { IngestError } from '../errors.js';
import type { Plan } from '../config/types.js';
import { MAX_TRACKED_INVALID_ROWS, type CheckResult } from './check-pass.js';

export interface QuarantineVerdict {
  /** Refuse the run (nothing is written). */
  readonly reject: boolean;
  readonly error: IngestError | null;
  /** Rows the write pass leaves out. */
  readonly skipped: number;
}

/**
 * Decides what the check pass's problems mean. Default: any invalid row refuses the run. With
 * `spec.on_invalid_row: quarantine`, invalid rows are left out up to `max_invalid_rows` (a count
 * or a percentage of all rows); past that the run is refused.
 */
export function quarantineVerdict(plan: Plan, check: CheckResult): QuarantineVerdict {
  if (check.errorCount === 0) return { reject: false, error: null, skipped: 0 };
  const policy = plan.invalidRows;
  // A problem without a row (the source as a whole) cannot be quarantined.
  const rowless = check.errors.some((e) => e.context.row === undefined);
  if (policy.mode === 'fail' || rowless || check.total === 0) return { reject: true, error: null, skipped: 0 };
  const invalid = check.invalidRows.size;
  const limit = policy.maxCount ?? Math.floor(((policy.maxPercent ?? 0) / 100) * check.total);
  if (invalid > limit || check.valid === 0 || invalid >= MAX_TRACKED_INVALID_ROWS) {
    return {
      reject: true,
      error: new IngestError(
        'QUARANTINE_LIMIT',
        `${invalid} invalid rows exceed max_invalid_rows (${policy.maxCount ?? `${policy.maxPercent}%`} of ${check.total} = ${limit}); nothing was written`,
        { file: plan.source.configured },
      ),
      skipped: 0,
    };
  }
  return { reject: false, error: null, skipped: invalid };
}
