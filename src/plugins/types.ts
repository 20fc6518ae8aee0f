import type { JsonValue } from '../config/types.js';

/** One record as a processor sees it: the columns the run reads, by name, as read from the source. */
export type ProcessorRecord = Record<string, string | number | boolean | null | undefined>;

export interface ProcessorContext {
  /** The columns every record carries, in order. */
  readonly columns: readonly string[];
  /** `check` (pass 1) or `write` (pass 2): the same records go through both. */
  readonly pass: 'check' | 'write';
}

/**
 * A record processor: the escape hatch for what a declarative ingest.yaml cannot express
 * (decrypting a column, normalising a code), replacing the Python custom processors.
 *
 * A processor is an ES module (`.mjs` or `.js`) named by `spec.processors[].script`, exporting a
 * class named by `spec.processors[].class`, constructed once per run with `spec.processors[].args`.
 * It runs inside the cluster, before any check: checks, casts and writes see what it returns.
 *
 * Rules: `process` must be deterministic (it runs in the check pass and again in the write pass,
 * and a retried Job runs it again); it may change values of the columns it is given but not add
 * or remove columns; it must not log or send record values anywhere. A thrown error fails the run
 * with PROCESSOR_FAILED naming the processor and the row, never the message's values.
 */
export interface RecordProcessor {
  /** Called once before the first record of each pass. */
  start?(context: ProcessorContext): void | Promise<void>;
  /** Returns the record to use instead (it may be the same object, changed). */
  process(record: ProcessorRecord, context: ProcessorContext): ProcessorRecord | Promise<ProcessorRecord>;
}

export type RecordProcessorClass = new (args: Readonly<Record<string, JsonValue>>) => RecordProcessor;
