import { IngestError } from '../errors.js';
import type { Plan } from '../config/types.js';
import { isCastFailure, parseTimestampMs, type CellValue } from './cast.js';
import type { CheckedCells } from './record-checker.js';

/**
 * Checks that span records, applied in source order: time-series timestamps non-decreasing and in
 * the past, `data_id` source values unique.
 */
export class SequenceChecks {
  private readonly timestampIndex: number;
  private lastTimestamp = Number.NEGATIVE_INFINITY;
  private readonly seenIds: Set<string> | null;

  constructor(
    private readonly plan: Plan,
    private readonly now: number = Date.now(),
  ) {
    this.timestampIndex = plan.category === 'time_series_forecasting' ? timestampColumnIndex(plan) : -1;
    this.seenIds = plan.dataId.strategy === 'column' ? new Set() : null;
  }

  check(record: CheckedCells): IngestError[] | null {
    let problems: IngestError[] | null = null;
    const ctx = (field: string) => ({ file: this.plan.source.configured, row: record.row, field });
    if (this.timestampIndex >= 0) {
      const column = this.plan.columns[this.timestampIndex]!.name;
      const ms = timestampOf(record.values[this.timestampIndex]);
      if (ms === null) {
        (problems ??= []).push(new IngestError('CAST_INVALID', 'the timestamp is empty', ctx(column)));
      } else if (ms < this.lastTimestamp) {
        (problems ??= []).push(
          new IngestError('TIMESTAMP_ORDER', 'timestamps must be non-decreasing; this one is earlier than the row before', ctx(column)),
        );
      } else if (ms > this.now) {
        (problems ??= []).push(new IngestError('TIMESTAMP_FUTURE', 'the timestamp lies in the future', ctx(column)));
      } else {
        this.lastTimestamp = ms;
      }
    }
    if (this.seenIds !== null && record.dataIdSource !== null && this.plan.dataId.strategy === 'column') {
      if (this.seenIds.has(record.dataIdSource)) {
        (problems ??= []).push(
          new IngestError('DATA_ID_DUPLICATE', 'the data_id value occurs in an earlier row; data_id must be unique', ctx(this.plan.dataId.column)),
        );
      } else {
        this.seenIds.add(record.dataIdSource);
      }
    }
    return problems;
  }
}

/** The time axis of a time series: the column named `timestamp`, else the first date/time column. */
function timestampColumnIndex(plan: Plan): number {
  const isTime = (k: string) => k === 'timestamp' || k === 'datetime' || k === 'date';
  const named = plan.columns.findIndex((c) => c.name === 'timestamp' && isTime(c.type.kind));
  return named >= 0 ? named : plan.columns.findIndex((c) => isTime(c.type.kind));
}

function timestampOf(value: CellValue | undefined): number | null {
  if (typeof value !== 'string') return null;
  const ms = parseTimestampMs(value);
  return isCastFailure(ms) ? null : ms;
}
