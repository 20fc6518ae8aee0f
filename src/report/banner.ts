import type { Counters } from './counters.js';

export const BANNER_RULE = '═'.repeat(60);

/**
 * The summary banner the platform CLI parses from the pod log (PLATFORM.md §6): every line every
 * time, labels exactly as shown, the value last on its line.
 */
export function formatBanner(ingestorId: string, c: Counters): string {
  return [
    '📊 INGESTION SUMMARY 📊',
    `Ingestor ID: ${ingestorId}`,
    `📈 Total Records Found: ${c.total}`,
    `✅ Successfully Processed: ${c.processed}`,
    `💾 Inserted to Database: ${c.inserted}`,
    `🚀 Sent to API: ${c.sent}`,
    `⏭️  Skipped Records: ${c.skipped}`,
    `📁 File Transfer Failures: ${c.fileFailures}`,
    `❌ Failed DB Insertion: ${c.failedInserts}`,
    BANNER_RULE,
  ].join('\n');
}
