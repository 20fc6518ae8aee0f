import type { Logger } from 'pino';
import { IngestError, IngestErrors } from '../errors.js';
import type { Plan } from '../config/types.js';
import type { BackendClient } from '../backend/client.js';
import { dataIdAssigner } from '../keys/data-id.js';
import { computeBuckets } from '../labels/bucket.js';
import { bucketEncoder, passthroughEncoder, type LabelEncoder } from '../labels/policy.js';
import { newCounters, isClean, type Counters } from '../report/counters.js';
import { EXIT, exitCodeFor, type ExitCode } from '../report/exit-codes.js';
import type { RowSink } from '../sinks/types.js';
import { checkPass, type CheckResult } from './check-pass.js';
import { registerDataset } from './register.js';
import { writePass } from './write-pass.js';

export type RunStatus = 'succeeded' | 'planned' | 'rejected' | 'failed' | 'interrupted';

export interface IngestOptions {
  plan: Plan;
  /** `plan`: pass 1 only, nothing written or sent. `run`: the whole ingest. */
  mode: 'plan' | 'run';
  sink: RowSink;
  /** Opened only once the check pass accepted the data (so a rejected run creates nothing). */
  openBackend: () => Promise<BackendClient>;
  logger: Logger;
  ingestorId: string;
  correlationId: string | null;
  /** Dataset title; default `<category>_<ingestorId>`. */
  title?: string;
  signal?: AbortSignal;
  tty?: NodeJS.WriteStream | null;
}

export interface IngestResult {
  readonly status: RunStatus;
  readonly exitCode: ExitCode;
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
 * One ingest: preflight, check pass (writes nothing), then — in `run` mode and only if every
 * record passed — write pass and registration. Never throws: the result carries the outcome.
 */
export async function ingest(o: IngestOptions): Promise<IngestResult> {
  const started = performance.now();
  const counters = newCounters();
  const timings = { checkMs: 0, writeMs: 0, registerMs: 0, totalMs: 0 };
  let check: CheckResult | null = null;
  let labels: LabelEncoder | null = null;
  let opened = false;

  const finish = async (status: RunStatus, error: IngestError | null, problems: readonly IngestError[] = []) => {
    timings.totalMs = Math.round(performance.now() - started);
    const exitCode: ExitCode =
      status === 'succeeded' || status === 'planned'
        ? EXIT.OK
        : status === 'interrupted'
          ? EXIT.INTERRUPTED
          : exitCodeFor((error ?? problems[0])?.errorClass ?? 'internal');
    const result: IngestResult = {
      status,
      exitCode,
      counters,
      error,
      problems,
      problemCount: check?.errorCount ?? problems.length,
      check,
      labels,
      timings,
    };
    if (opened) {
      await o.sink
        .finish({ status: status === 'succeeded' ? 'succeeded' : status === 'interrupted' ? 'interrupted' : 'failed', counters: { ...counters }, summary: { status, counters, timings, error: error?.toJSON() ?? null } })
        .catch((err: unknown) => o.logger.error({ code: codeOf(err) }, 'recording the run outcome failed'));
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
    await o.sink.preflight();

    let t = performance.now();
    check = await checkPass(o.plan, { logger: o.logger, signal: o.signal, tty: o.tty });
    timings.checkMs = Math.round(performance.now() - t);
    counters.total = check.total;
    if (check.errorCount > 0) {
      counters.processed = check.valid;
      return await finish('rejected', null, check.errors);
    }
    labels = labelEncoderFor(o.plan, check);
    if (o.mode === 'plan') {
      counters.processed = check.valid;
      return await finish('planned', null);
    }

    const backend = await o.openBackend();
    await o.sink.open({ ingestorId: o.ingestorId, correlationId: o.correlationId, startedAt: new Date() });
    opened = true;
    t = performance.now();
    await writePass({
      plan: o.plan,
      sink: o.sink,
      backend,
      keys: dataIdAssigner(o.plan.dataId),
      labels,
      counters,
      logger: o.logger,
      signal: o.signal,
      tty: o.tty,
    });
    timings.writeMs = Math.round(performance.now() - t);
    if (o.signal?.aborted) {
      counters.skipped = 0;
      return await finish('interrupted', new IngestError('INTERRUPTED', 'stopped by a signal; a retry resumes'));
    }
    if (!isClean(counters)) {
      return await finish('failed', new IngestError('INTERNAL', 'the write pass did not account for every record'));
    }
    t = performance.now();
    await registerDataset(o.plan, backend, labels, o.title ?? `${o.plan.category}_${o.ingestorId}`);
    timings.registerMs = Math.round(performance.now() - t);
    return await finish('succeeded', null);
  } catch (err) {
    if (err instanceof IngestErrors) return await finish('rejected', null, err.errors);
    const error = toIngestError(err);
    if (error.code === 'INTERRUPTED') return await finish('interrupted', error);
    const dataClass = error.errorClass === 'data' || error.errorClass === 'config';
    return await finish(dataClass && !opened ? 'rejected' : 'failed', error);
  }
}

function labelEncoderFor(plan: Plan, check: CheckResult): LabelEncoder | null {
  const label = plan.label;
  if (label === null) return null;
  if (label.policy === 'passthrough') return passthroughEncoder();
  const spec = { strategy: label.strategy, bins: label.bins, minBucketSize: label.minBucketSize };
  return bucketEncoder(computeBuckets(check.labels ?? new Float64Array(0), spec), spec);
}

export function toIngestError(err: unknown): IngestError {
  if (err instanceof IngestError) return err;
  if (err instanceof IngestErrors) return err.errors[0] ?? new IngestError('INTERNAL', 'unknown failure');
  return new IngestError('INTERNAL', `unexpected failure: ${err instanceof Error ? err.name : 'unknown'}`, {}, { cause: err });
}

function codeOf(err: unknown): string {
  return err instanceof IngestError ? err.code : 'INTERNAL';
}
