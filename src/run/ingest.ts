import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { IngestError, IngestErrors } from '../errors.js';
import type { Plan } from '../config/types.js';
import type { BackendClient } from '../backend/client.js';
import { dataIdAssigner, type DataIdKeyMaterial } from '../keys/data-id.js';
import { computeBuckets } from '../labels/bucket.js';
import { bucketEncoder, passthroughEncoder, type LabelEncoder } from '../labels/policy.js';
import { newCounters, type Counters } from '../report/counters.js';
import { EXIT, exitCodeFor, type ExitCode } from '../report/exit-codes.js';
import type { PriorRun, RowSink } from '../sinks/types.js';
import { checkPass, type CheckResult } from './check-pass.js';
import { quarantineVerdict } from './quarantine.js';
import { registerDataset } from './register.js';
import { writePass } from './write-pass.js';
import { loadProcessors } from '../plugins/load-processors.js';
import { runtimeFor } from '../categories/registry.js';
import { RowSpool } from './row-spool.js';
import { FileStage } from '../files/file-stage.js';
import { StagedLoad, type StageTarget } from './staged-load.js';

export type RunStatus = 'succeeded' | 'quarantined' | 'planned' | 'rejected' | 'failed' | 'interrupted';

export interface IngestOptions {
  plan: Plan;
  /** `plan`: pass 1 only, nothing written or sent. `run`: the whole ingest. */
  mode: 'plan' | 'run';
  sink: RowSink;
  /** Opened only once the check pass accepted the data (so a rejected run creates nothing). */
  openBackend: (ingestorId: string) => Promise<BackendClient>;
  /**
   * Loads what talking to the backend needs (the HTTP client's code), creating and sending nothing:
   * called during the check pass of a run, so that work is not on the path after it.
   */
  prepareBackend?: () => Promise<void>;
  logger: Logger;
  /** The id of a fresh run; a resumed run keeps the id of the run it continues. */
  ingestorId: string;
  correlationId: string | null;
  /** Dataset title; default `<category>_<ingestorId>`. */
  title?: string;
  signal?: AbortSignal;
  tty?: NodeJS.WriteStream | null;
  /**
   * Where the check pass may keep the rows it accepted, already encoded, so the write pass need not
   * read and check the source again (RowSpool). Used in `run` mode for categories without files
   * when the sink can take encoded rows; without it the write pass reads the source again.
   */
  spoolDir?: string;
  /**
   * Where the check pass of a fresh run may copy the files of the records it accepts, into a
   * directory that then becomes the destination in one rename (FileStage); without it the write
   * pass copies them. Must be on the destination's volume for the rename.
   */
  stageDir?: string;
}

export interface IngestResult {
  readonly status: RunStatus;
  readonly exitCode: ExitCode;
  /** The run's id: the given one, or the id of the interrupted run it continued. */
  readonly ingestorId: string;
  /** Set when this run continued (or found complete) an earlier attempt of the same ingest. */
  readonly resumed: PriorRun | null;
  readonly counters: Counters;
  /** The error that ended the run, if any. */
  readonly error: IngestError | null;
  /** Every problem the check pass reported (at most MAX_REPORTED_ERRORS) and their total. */
  readonly problems: readonly IngestError[];
  readonly problemCount: number;
  readonly check: CheckResult | null;
  readonly labels: LabelEncoder | null;
  readonly timings: { checkMs: number; writeMs: number; registerMs: number; totalMs: number };
}

/**
 * One ingest: preflight (is this a retry of an earlier attempt?), check pass (writes nothing),
 * then — in `run` mode and only if the data is accepted — write pass and registration.
 * Never throws: the result carries the outcome.
 */
export async function ingest(o: IngestOptions): Promise<IngestResult> {
  const started = performance.now();
  const counters = newCounters();
  const timings = { checkMs: 0, writeMs: 0, registerMs: 0, totalMs: 0 };
  let check: CheckResult | null = null;
  let labels: LabelEncoder | null = null;
  let prior: PriorRun | null = null;
  let ingestorId = o.ingestorId;
  let opened = false;
  let spool: RowSpool | null = null;
  let stage: FileStage | null = null;
  let staged: StagedLoad | null = null;
  /** Settles (never rejects) once the staged loads ended: whether every accepted row is in the stage. */
  let stagedLoad: Promise<boolean> = Promise.resolve(false);
  /** What the run needs after the check pass, readied during it (never rejects). */
  let readied: Promise<unknown> = Promise.resolve();

  let refused = false;
  const finish = async (status: RunStatus, error: IngestError | null, problems: readonly IngestError[] = []) => {
    refused = status === 'rejected';
    // The staged loads end first: the check's time (stamped when they do) is within the total.
    await stagedLoad;
    timings.totalMs = Math.round(performance.now() - started);
    const result: IngestResult = {
      status,
      exitCode: exitCodeOf(status, error ?? problems[0] ?? null),
      ingestorId,
      resumed: prior,
      counters,
      error,
      problems,
      problemCount: check?.errorCount ?? problems.length,
      check,
      labels,
      timings,
    };
    if (opened) {
      const recorded = status === 'succeeded' || status === 'quarantined' || status === 'interrupted' ? status : 'failed';
      await o.sink
        .finish({ status: recorded, counters: { ...counters }, summary: runSummary(result) })
        .catch((err: unknown) => o.logger.error({ code: err instanceof IngestError ? err.code : 'INTERNAL' }, 'recording the run outcome failed'));
    }
    return result;
  };

  if (o.plan.dataId.strategy === 'column') {
    o.logger.warn(
      { column: o.plan.dataId.column },
      `data_id: values of source column "${o.plan.dataId.column}" are sent to the backend as record ids; make sure the column holds no personal data`,
    );
  }
  try {
    prior = await o.sink.preflight({ configHash: o.plan.configHash, correlationId: o.correlationId });
    if (prior) {
      ingestorId = prior.ingestorId;
      o.logger.info({ ingestorId, status: prior.status, batchesCommitted: prior.batchesCommitted, batchesSent: prior.batchesSent }, 'continuing an earlier attempt of this ingest');
    }

    const processors = await loadProcessors(o.plan);
    spool = await openSpool(o, prior);
    stage = await openStage(o, prior);
    staged = spool ? await openRowStage(o, prior, spool) : null;
    // A staged run needs neither: its stage prepared the sink, and the loads' tail after its check
    // pass leaves the thread free for openBackend (the client's code would instead delay the stage's opening).
    if (o.mode === 'run' && !prior?.registered && staged === null) readied = readyAhead(o).catch(() => undefined);
    let t = performance.now();
    check = await checkPass(o.plan, {
      logger: o.logger,
      signal: o.signal,
      tty: o.tty,
      resuming: prior !== null,
      // Compared with the interrupted run's fingerprint: taken the same way.
      fingerprint: prior ? prior.sourceHashKind : undefined,
      processors,
      spool: spool ?? undefined,
      stage: stage ?? undefined,
    });
    // The rows loaded while checking: all of them, or none are used (the write pass writes them). The
    // last loads are still running: what needs no MySQL (verdict, cut points, the backend client) is
    // done meanwhile, and the check's time ends when they do.
    const checkStarted = t;
    stagedLoad = (staged ? finishStagedLoad(o, staged) : Promise.resolve(false)).then((ok) => {
      timings.checkMs = Math.round(performance.now() - checkStarted);
      return ok;
    });
    counters.total = check.total;

    const verdict = quarantineVerdict(o.plan, check);
    if (verdict.reject) {
      counters.processed = check.valid;
      return await finish('rejected', verdict.error, check.errors);
    }
    if (prior && prior.sourceHash !== null && prior.sourceHash !== check.sourceHash) {
      return await finish(
        'rejected',
        new IngestError('SOURCE_CHANGED', `the data changed since the interrupted run ${prior.ingestorId}; delete the partial dataset (tracebloc data delete) and ingest again`),
      );
    }
    labels = labelEncoderFor(o.plan, check);
    // The cut points are known: the label numbers (8 MiB at 2^20 rows) need not live through the write pass.
    if (o.mode === 'run') check = { ...check, labels: null };
    if (o.mode === 'plan') {
      counters.processed = check.valid;
      return await finish('planned', null);
    }

    if (prior?.registered) {
      // A retry of an ingest that already finished: nothing to write, nothing to send.
      counters.processed = counters.inserted = counters.sent = prior.rows;
      counters.skipped = verdict.skipped;
      o.logger.info({ ingestorId }, 'this ingest already completed; nothing to do');
      return await finish(verdict.skipped > 0 ? 'quarantined' : 'succeeded', null);
    }

    const backend = await o.openBackend(ingestorId);
    const stagedBatches = staged && (await stagedLoad) ? staged.batches : null;
    const batchSize = prior && prior.batchSize > 0 ? prior.batchSize : o.plan.batchSize;
    const openedSink = await o.sink.open({
      ingestorId,
      correlationId: o.correlationId,
      startedAt: new Date(),
      batchSize,
      sourceHash: check.sourceHash,
      sourceHashKind: check.sourceHashKind,
      resume: prior,
      staged: stagedBatches !== null ? { batches: stagedBatches } : null,
    });
    opened = true;
    const { salt } = openedSink;
    // The staged rows are in the table now (if the sink committed them): every accepted row, whatever happens to the sends.
    const committedStage = openedSink.staged === true && stagedBatches !== null ? stagedBatches : null;
    if (committedStage !== null) {
      // Counted first: whatever happens next, the banner tells what the table holds.
      counters.inserted = check.valid;
      if (salt !== staged?.salt) throw new IngestError('INTERNAL', 'the table salt changed during the run');
    } else if (stagedBatches !== null) {
      o.logger.warn('the rows loaded during the check pass could not be committed at once; the write pass writes them');
    }
    t = performance.now();
    const skipped = check.invalidRows;
    counters.skipped = verdict.skipped;
    await writePass({
      plan: o.plan,
      sink: o.sink,
      backend,
      keys: dataIdAssigner(o.plan.dataId, { salt, configHash: o.plan.configHash, scope: idScope(prior, ingestorId, check.sourceHash) }),
      labels,
      counters,
      logger: o.logger,
      batchSize,
      resume: prior,
      skip: skipped.size > 0 ? (row) => skipped.has(row) : undefined,
      signal: o.signal,
      tty: o.tty,
      processors,
      // A spool whose encodings went to the stage feeds only a committed stage; otherwise the source is read again.
      spool: spool && (spool.holdsRows || committedStage !== null) ? spool : undefined,
      stage: stage ?? undefined,
      stagedBatches: committedStage ?? undefined,
    });
    timings.writeMs = Math.round(performance.now() - t);
    if (o.signal?.aborted) {
      return await finish('interrupted', new IngestError('INTERRUPTED', 'stopped by a signal; a retry of the same Job resumes'));
    }
    if (counters.inserted !== counters.processed || counters.sent !== counters.inserted) {
      return await finish('failed', new IngestError('INTERNAL', 'the write pass did not account for every record'));
    }
    t = performance.now();
    await registerDataset(o.plan, backend, labels, o.title ?? `${o.plan.category}_${ingestorId}`);
    await o.sink.markProgress({ registered: true });
    timings.registerMs = Math.round(performance.now() - t);
    return await finish(verdict.skipped > 0 ? 'quarantined' : 'succeeded', null);
  } catch (err) {
    if (err instanceof IngestErrors) return await finish('rejected', null, err.errors);
    const error = toIngestError(err);
    if (error.code === 'INTERRUPTED' || o.signal?.aborted) return await finish('interrupted', error);
    const dataClass = error.errorClass === 'data' || error.errorClass === 'config' || error.errorClass === 'conflict';
    return await finish(dataClass && !opened ? 'rejected' : 'failed', error);
  } finally {
    // A refused run leaves no table behind; any other end leaves the rollback to the server (fast exit).
    // Loads still running end first (those of a check pass that ended by an error are not waited
    // for: 'abandon' drops their connection, 'undo' rolls back behind them).
    await stagedLoad;
    await readied;
    await staged?.discard(refused ? 'undo' : 'abandon');
    await spool?.remove();
    await stage?.remove();
  }
}

/**
 * The sink's bookkeeping (RowSink.prepare) and the backend client's code (prepareBackend), readied
 * while the check pass reads: for a run whose check pass waits on its files (images), they are then
 * off the path between the passes (measured: 10 ms between the passes instead of 61 ms). Never
 * rejects: a failure here is met again by `open` or `openBackend`, which report it.
 */
async function readyAhead(o: IngestOptions): Promise<void> {
  // A turn first: the check pass starts its reads before this takes the thread.
  await new Promise((resolve) => setImmediate(resolve));
  await Promise.allSettled([(async () => o.sink.prepare?.())(), (async () => o.prepareBackend?.())()]);
}

/** A row spool when this run can use one (see IngestOptions.spoolDir), else null. */
async function openSpool(o: IngestOptions, prior: PriorRun | null): Promise<RowSpool | null> {
  const encoder = o.sink.encoder;
  // The sink offers the whole fast path (encoder, encodeBatch, writeEncoded) or none of it.
  if (o.mode !== 'run' || o.spoolDir === undefined || encoder === undefined || !o.sink.encodeBatch || !o.sink.writeEncoded) return null;
  if (prior?.registered || runtimeFor(o.plan.category).createFileHandler !== undefined) return null;
  try {
    return await RowSpool.create(o.spoolDir, o.plan.table, o.ingestorId, encoder);
  } catch (err) {
    // Without a spool the write pass reads the source again: slower, not wrong.
    o.logger.warn({ code: toIngestError(err).code, dir: o.spoolDir }, 'the row spool cannot be created; the write pass will read the source again');
    return null;
  }
}

/** Sources larger than this are not staged (see openRowStage): about 2.5 million rows of 10 numbers. */
export const STAGE_MAX_SOURCE_BYTES = 256 * 1024 * 1024;

/** What this run's data_ids are bound to: its id, or the source for a resumed run recorded by an earlier version. */
function idScope(prior: PriorRun | null, ingestorId: string, sourceHash: string): DataIdKeyMaterial['scope'] {
  return prior?.idScope === 'source' ? { source: sourceHash } : { run: ingestorId };
}

/**
 * Where a fresh run with a row spool can load its rows while the check pass still reads (the sink's
 * stage, RowSink.stage): the spool hands each row to it too. The stage opens (its table is created)
 * while the first rows are read. Null when the sink cannot stage this run.
 */
async function openRowStage(o: IngestOptions, prior: PriorRun | null, spool: RowSpool): Promise<StagedLoad | null> {
  if (prior !== null || !o.sink.stage) return null;
  try {
    // One transaction per dataset is for datasets of moderate size: a larger one is written batch by
    // batch (a huge transaction is slow to roll back and may exceed a server's write-set limits).
    if ((await stat(o.plan.source.path)).size > STAGE_MAX_SOURCE_BYTES) return null;
    const asked = o.sink.stage({ ingestorId: o.ingestorId });
    if (asked === null) return null;
    const opening = asked.opening.then((opened): StageTarget | null =>
      opened === null
        ? null
        : {
            stage: opened.stage,
            salt: opened.salt,
            keys: dataIdAssigner(o.plan.dataId, { salt: opened.salt, configHash: o.plan.configHash, scope: { run: o.ingestorId } }),
          },
    );
    const load = new StagedLoad(opening, o.plan.batchSize);
    spool.tap((row, source, encoded) => load.add(row, source, encoded));
    return load;
  } catch (err) {
    // Without a stage the write pass writes the rows: slower, not wrong.
    o.logger.warn({ code: toIngestError(err).code }, 'rows cannot be loaded during the check pass; the write pass will write them');
    return null;
  }
}

/** Waits for the last staged loads; true when every accepted row is in the stage, else the stage is undone. */
async function finishStagedLoad(o: IngestOptions, staged: StagedLoad): Promise<boolean> {
  let failure: unknown;
  try {
    if (await staged.finish()) return true;
    failure = staged.failure;
  } catch (err) {
    // Never rejects: it runs while the caller does other work (see `stagedLoad` in ingest).
    failure = err;
  }
  o.logger.warn({ code: toIngestError(failure).code }, 'loading rows during the check pass failed; the write pass will write them');
  await staged.discard('undo');
  return false;
}

/** A file stage for a fresh run of a category with files (see IngestOptions.stageDir), else null. */
async function openStage(o: IngestOptions, prior: PriorRun | null): Promise<FileStage | null> {
  if (o.mode !== 'run' || o.stageDir === undefined) return null;
  if (runtimeFor(o.plan.category).createFileHandler === undefined) return null;
  if (prior !== null) {
    // A resumed run copies in its write pass; what a killed attempt staged is removed.
    await FileStage.removeLeftovers(o.stageDir, o.plan.table);
    return null;
  }
  try {
    return await FileStage.create(o.stageDir, o.plan, o.ingestorId);
  } catch (err) {
    // Without a stage the write pass copies the files: slower, not wrong.
    o.logger.warn({ code: toIngestError(err).code, dir: o.stageDir }, 'the file stage cannot be created; the write pass will copy the files');
    return null;
  }
}

function exitCodeOf(status: RunStatus, error: IngestError | null): ExitCode {
  switch (status) {
    case 'succeeded':
    case 'planned':
      return EXIT.OK;
    case 'quarantined':
      return EXIT.QUARANTINED;
    case 'interrupted':
      return EXIT.INTERRUPTED;
    default:
      return exitCodeFor(error?.errorClass ?? 'internal');
  }
}

function labelEncoderFor(plan: Plan, check: CheckResult): LabelEncoder | null {
  const label = plan.label;
  if (label === null) return null;
  if (label.policy === 'passthrough') return passthroughEncoder();
  const spec = { strategy: label.strategy, bins: label.bins, minBucketSize: label.minBucketSize };
  // On a sample (drawn without replacement) n kept values in a bin mean at least n rows, so the
  // unscaled min_bucket_size stays a hard lower bound on every bin's real size.
  return bucketEncoder(computeBuckets(check.labels ?? new Float64Array(0), spec), spec);
}

/** What the run record keeps: outcome, counts, durations; never values. */
function runSummary(r: IngestResult): Record<string, unknown> {
  return {
    status: r.status,
    ingestor_id: r.ingestorId,
    resumed: r.resumed !== null,
    counters: r.counters,
    timings_ms: r.timings,
    error: r.error?.toJSON() ?? null,
    problem_count: r.problemCount,
  };
}

export function toIngestError(err: unknown): IngestError {
  if (err instanceof IngestError) return err;
  if (err instanceof IngestErrors) return err.errors[0] ?? new IngestError('INTERNAL', 'unknown failure');
  return new IngestError('INTERNAL', `unexpected failure: ${err instanceof Error ? err.name : 'unknown'}`, {}, { cause: err });
}
