import { describe, expect, it } from 'vitest';
import { formatBanner } from '../../src/report/banner.js';
import { isClean, newCounters } from '../../src/report/counters.js';
import { EXIT, exitCodeFor } from '../../src/report/exit-codes.js';
import { ERROR_CODES } from '../../src/errors.js';

describe('summary banner', () => {
  it('prints every line, labels exactly as the platform CLI parses them, the value last', () => {
    const c = { ...newCounters(), total: 1234, processed: 1234, inserted: 1200, sent: 1100, skipped: 3, fileFailures: 2, failedInserts: 1 };
    expect(formatBanner('abc-123', c)).toBe(
      [
        '📊 INGESTION SUMMARY 📊',
        'Ingestor ID: abc-123',
        '📈 Total Records Found: 1234',
        '✅ Successfully Processed: 1234',
        '💾 Inserted to Database: 1200',
        '🚀 Sent to API: 1100',
        '⏭️  Skipped Records: 3',
        '📁 File Transfer Failures: 2',
        '❌ Failed DB Insertion: 1',
        '═'.repeat(60),
      ].join('\n'),
    );
  });

  it('is clean exactly when the platform CLI would call it clean', () => {
    const ok = { ...newCounters(), total: 5, processed: 5, inserted: 5, sent: 5 };
    expect(isClean(ok)).toBe(true);
    expect(isClean({ ...ok, sent: 4 })).toBe(false);
    expect(isClean({ ...ok, inserted: 4 })).toBe(false);
    expect(isClean({ ...ok, skipped: 1 })).toBe(false);
    expect(isClean({ ...ok, fileFailures: 1 })).toBe(false);
    expect(isClean({ ...ok, failedInserts: 1 })).toBe(false);
  });
});

describe('exit codes', () => {
  it('maps every error class to a documented status; retryable ones are distinct from final ones', () => {
    const retryable = new Set<number>([EXIT.MYSQL_UNAVAILABLE, EXIT.TRANSIENT, EXIT.INTERRUPTED]);
    const final = new Set<number>([EXIT.CONFIG, EXIT.DATA, EXIT.CONFLICT, EXIT.ENV_MISSING, EXIT.AUTH, EXIT.INTERNAL]);
    for (const cls of new Set(Object.values(ERROR_CODES))) {
      const code = exitCodeFor(cls);
      expect(retryable.has(code) || final.has(code)).toBe(true);
      expect(code).not.toBe(0);
    }
    expect(exitCodeFor('data')).toBe(3);
    expect(exitCodeFor('interrupted')).toBe(130);
  });
});
