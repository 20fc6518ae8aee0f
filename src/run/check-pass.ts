import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { IngestError } from '../errors.js';
import type { Plan } from '../config/types.js';
import { runtimeFor } from '../categories/registry.js';
import { checkDestinationEmpty } from '../files/destination.js';
import { RecordChecker } from '../records/record-checker.js';
import { SequenceChecks } from '../records/sequence-checks.js';
import { openRecords } from './open-records.js';
import type { OpenedSource, RawRecord } from '../sources/types.js';
import type { LoadedProcessor } from '../plugins/load-processors.js';
import { Progress } from '../log/progress.js';
import { LabelValues } from './label-values.js';
import { TaskWindow } from './task-window.js';
import { SourceFingerprint, type FingerprintKind } from './source-fingerprint.js';
import type { RowSpool } from './row-spool.js';
import type { FileStage } from '../files/file-stage.js';

/** File checks in flight, each with its stage copy: the copies (and, on network disks, the reads) run on libuv's thread pool; a few per core keep it busy. */
const CHECK_CONCURRENCY = Math.max(4, availableParallelism() * 2);

/** Errors kept for the report; counting goes on past it. */
export const MAX_REPORTED_ERRORS = 100;

export interface CheckResult {
  /** Records found. */
  readonly total: number;
  /** Records that passed every check. */
  readonly valid: number;
  /** The first MAX_REPORTED_ERRORS problems, in source order. */
  readonly errors: readonly IngestError[];
  /** How many problems in all. */
  readonly errorCount: number;
  /** Label numbers of valid records, all or a uniform sample (bucket policy only; see LabelValues). A `run` drops them once the cut points are computed. */
  readonly labels: Float64Array | null;
  /** Rows each kept label value stands for (1 when all are kept). */
  readonly labelWeight: number;
  /** Distinct files referenced. */
  readonly files: number;
  /** The source's fingerprint (SourceFingerprint): a resumed run must see the same data. */
  readonly sourceHash: string;
  /** What `sourceHash` was taken over. */
  readonly sourceHashKind: FingerprintKind;
  /** Row numbers of records that failed a check (quarantine), up to MAX_TRACKED_INVALID_ROWS. */
  readonly invalidRows: ReadonlySet<number>;
  /** Problems of those rows for the quarantine file: where and what, never the value. */
  readonly quarantine: readonly QuarantineEntry[];
}

export interface QuarantineEntry {
  readonly row: number;
  readonly code: string;
  readonly column: string | null;
}

/** Quarantine bookkeeping stops growing here; a run reaching it is refused (see quarantineVerdict). */
export const MAX_TRACKED_INVALID_ROWS = 1_000_000;

export interface CheckPassOptions {
  logger: Logger;
  signal?: AbortSignal;
  tty?: NodeJS.WriteStream | null;
  /** Parallel file checks (sharp runs them on its thread pool). */
  fileConcurrency?: number;
  /** Continuing an interrupted run: the destination already holds its files. */
  resuming?: boolean;
  /** The run's record processors (plugins), loaded once. */
  processors?: readonly LoadedProcessor[];
  /** Keeps every valid record for the write pass (categories without files only). */
  spool?: RowSpool;
  /** Copies every valid record's files ahead of the write pass (categories with files, fresh runs). */
  stage?: FileStage;
  /**
   * The fingerprint's kind: a resumed run's must be its interrupted run's. Default: `bytes`, or
   * `cells` when the plan has record processors.
   */
  fingerprint?: FingerprintKind;
}

/**
 * Pass 1: reads every record and checks every cell and every referenced file, writing nothing.
 * Collects all problems (not just the first) and the label statistics the bucket policy needs.
 */
export async function checkPass(plan: Plan, options: CheckPassOptions): Promise<CheckResult> {
  const problems: IngestError[] = [];
  let errorCount = 0;
  const invalidRows = new Set<number>();
  const quarantine: QuarantineEntry[] = [];
  const report = (errs: readonly IngestError[]) => {
    errorCount += errs.length;
    for (const e of errs) {
      if (problems.length < MAX_REPORTED_ERRORS) problems.push(e);
      const row = e.context.row;
      if (row !== undefined && invalidRows.size < MAX_TRACKED_INVALID_ROWS) {
        invalidRows.add(row);
        quarantine.push({ row, code: e.code, column: e.context.field ?? null });
      }
    }
  };

  const checker = new RecordChecker(plan);
  const sequence = new SequenceChecks(plan);
  const files = runtimeFor(plan.category).createFileHandler?.(plan) ?? null;
  const labels = plan.label?.policy === 'bucket' ? new LabelValues() : null;
  const window = new TaskWindow(options.fileConcurrency ?? CHECK_CONCURRENCY);
  const progress = new Progress('check', null, options.logger, options.tty ?? null);
  const distinctFiles = new Set<string>();
  const spool = options.spool ?? null;
  if (spool && files) throw new IngestError('INTERNAL', 'the row spool is for categories without files');

  if (!options.resuming) await checkDestinationEmpty(plan.destination);
  const fingerprint = new SourceFingerprint(options.fingerprint ?? (plan.processors.length > 0 ? 'cells' : 'bytes'));
  await files?.open();
  report((await files?.checkDataset?.()) ?? []);
  const onBytes = fingerprint.kind === 'bytes' ? fingerprint.addBytes : undefined;
  const source = await openRecords(plan, checker.wanted, 'check', options.processors, onBytes);
  let total = 0;
  let valid = 0;
  try {
    for await (const batch of batchesOf(source)) {
      for (const record of batch) {
        if (options.signal?.aborted) throw new IngestError('INTERRUPTED', 'interrupted during the check pass');
        total++;
        progress.update(total);
        fingerprint.addRecord(record.cells);
        const cells = checker.check(record);
        if (Array.isArray(cells)) {
          report(cells);
          continue;
        }
        const seqProblems = sequence.check(cells);
        if (seqProblems) {
          report(seqProblems);
          continue;
        }
        if (files) {
          await window.add(async () => {
            try {
              const found = await files.check(cells);
              await options.stage?.add(found);
              for (const f of found.all) distinctFiles.add(f.path);
              valid++;
              labels?.push(cells.labelNumber);
            } catch (err) {
              report([locate(err, plan, record.row, cells.fileReference ?? '')]);
            }
          });
          continue;
        }
        valid++;
        labels?.push(cells.labelNumber);
        const full = spool?.add(cells);
        if (full) await full;
      }
    }
    await window.drain();
    await spool?.finish();
    for (const warning of (await files?.afterCheck?.()) ?? []) options.logger.warn(warning);
  } finally {
    // File checks (and their stage copies) still in flight finish before the pass ends, whatever ended it.
    await window.drain().catch(() => undefined);
    await source.close();
  }
  progress.end(total);
  if (total === 0) {
    report([new IngestError('SOURCE_EMPTY', 'the source has a header but no records', { file: plan.source.configured })]);
  }
  problems.sort((a, b) => (a.context.row ?? 0) - (b.context.row ?? 0));
  return {
    total,
    valid,
    errors: problems,
    errorCount,
    labels: labels?.take() ?? null,
    labelWeight: labels?.weight ?? 1,
    files: distinctFiles.size,
    // The rows left out are part of what a resumed run must see again: batches are cut after them.
    sourceHash: fingerprint.digest(invalidRows),
    sourceHashKind: fingerprint.kind,
    invalidRows,
    quarantine: quarantine.sort((a, b) => a.row - b.row),
  };
}

/** Adds the record's row and the file column to a file error. */
function locate(err: unknown, plan: Plan, row: number, reference: string): IngestError {
  if (err instanceof IngestError) {
    return new IngestError(err.code, err.message, {
      field: plan.filenameColumn ?? undefined,
      reference,
      ...err.context,
      file: plan.source.configured,
      row,
    });
  }
  return new IngestError('FILE_DECODE', 'the file cannot be checked', { file: plan.source.configured, row, reference });
}

/** The source's records in arrays: the reader's own when it has them, else one record per array. */
async function* batchesOf(source: OpenedSource): AsyncGenerator<readonly RawRecord[]> {
  if (source.batches) {
    yield* source.batches;
    return;
  }
  for await (const record of source.records) yield [record];
}
