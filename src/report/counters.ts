/** The run's counters, as the banner reports them. Only ever incremented by what really happened. */
export interface Counters {
  /** Records found in the source. */
  total: number;
  /** Records that passed every check and were prepared for writing. */
  processed: number;
  /** Rows committed to the sink. */
  inserted: number;
  /** Rows whose metadata the backend accepted. */
  sent: number;
  /** Records left out as invalid (quarantine). */
  skipped: number;
  /** Records whose files could not be copied. */
  fileFailures: number;
  /** Records whose insert failed. */
  failedInserts: number;
}

export function newCounters(): Counters {
  return { total: 0, processed: 0, inserted: 0, sent: 0, skipped: 0, fileFailures: 0, failedInserts: 0 };
}

/** The platform CLI's own rule for a clean run (PLATFORM.md §6). */
export function isClean(c: Counters): boolean {
  return (
    c.failedInserts === 0 &&
    c.fileFailures === 0 &&
    c.skipped === 0 &&
    c.inserted >= c.total &&
    c.sent >= c.inserted
  );
}
