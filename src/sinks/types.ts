import type { FingerprintKind } from '../run/source-fingerprint.js';
import type { CellValue } from '../records/cast.js';
import type { Counters } from '../report/counters.js';

/** One row as every sink writes it: the platform columns plus the declared feature columns. */
export interface OutRow {
  readonly dataId: string;
  /** Exact label (MySQL keeps it; only the backend sees the policy's encoding). */
  readonly label: string | null;
  readonly filename: string | null;
  readonly extension: string | null;
  readonly annotation: string | null;
  /** Declared feature columns in plan order. */
  readonly values: readonly CellValue[];
}

/**
 * A sink's own text form of a row without its data_id, built once in the check pass (see
 * RowSpool) so the write pass does no per-value work. One line: never contains a newline.
 */
export interface RowEncoder {
  encodeRow(row: Omit<OutRow, 'dataId'>): string;
}

/**
 * Encoded rows made ready for the sink (`RowSink.encodeBatch`): the sink's own bytes, built when
 * the batch is cut, so a batch waiting for MySQL holds one buffer rather than thousands of strings.
 */
export interface EncodedBatch {
  readonly count: number;
  /** The first row's data_id (after an ambiguous commit, whether the batch landed is looked up by it). */
  readonly firstDataId: string;
  /** Rows in the sink's format, each ending with a newline. */
  readonly payload: readonly Buffer[];
}

/** Facts about the run that sinks record. */
export interface RunInfo {
  readonly ingestorId: string;
  readonly correlationId: string | null;
  readonly startedAt: Date;
  /** Rows per batch: a resumed run must cut the source into the same batches. */
  readonly batchSize: number;
  /** Fingerprint of the source (check pass), so a resume never mixes two versions of the data. */
  readonly sourceHash: string;
  /** What the fingerprint was taken over (see FingerprintKind). */
  readonly sourceHashKind: FingerprintKind;
  /** The interrupted run this one continues, if any. */
  readonly resume: PriorRun | null;
  /**
   * Set when the check pass loaded every accepted row into the sink's stage (`RowSink.stage`):
   * `open` commits them, with the run's record, as `batches` committed batches.
   */
  readonly staged?: { readonly batches: number } | null;
}

/** What identifies "the same ingest" across Job retries. */
export interface RunIdentity {
  readonly configHash: string;
  readonly correlationId: string | null;
}

/** An earlier run of the same config on the same table, as recorded by the sink. */
export interface PriorRun {
  readonly ingestorId: string;
  readonly status: string;
  readonly batchSize: number;
  readonly sourceHash: string | null;
  /** What `sourceHash` was taken over: `cells` for runs recorded by earlier versions. */
  readonly sourceHashKind: FingerprintKind;
  /** Batches whose rows are committed (atomically with this counter). */
  readonly batchesCommitted: number;
  /** Batches whose metadata the backend accepted. */
  readonly batchesSent: number;
  /** Whether the dataset registration (calls 2–5) completed. */
  readonly registered: boolean;
  /** Rows the dataset holds. */
  readonly rows: number;
  /** What its data_ids are bound to besides salt and config (see DataIdKeyMaterial): its id, or (runs recorded by earlier versions) the source fingerprint. */
  readonly idScope: 'run' | 'source';
}

/**
 * Rows loaded while the check pass still reads the source (`RowSink.stage`), invisible to everyone
 * until `open` commits them with the run's record; dropped if the data is refused or the run ends
 * otherwise (a killed run's server-side transaction is rolled back by the server).
 */
export interface RowStage {
  /** Encoded rows with their data_ids (as `RowSink.encodeBatch`), for `load`. */
  encode(dataIds: readonly string[], rows: readonly string[]): EncodedBatch;
  /**
   * Takes the next batch, in order, into the stage's load; resolves when the stage can take another
   * (its rows may still be loading: `seal` waits for them). A failure means the stage is unusable:
   * the caller stops using it.
   */
  load(batch: EncodedBatch): Promise<void>;
  /**
   * After the last batch: resolves once the stage holds every row given to `load`. A failure means
   * the stage is unusable (the caller discards it).
   */
  seal(): Promise<void>;
  /**
   * Undoes everything loaded; nothing once `open` committed it. Never throws. `undo` (a refused run, or
   * a stage given up while the run goes on): waits until the rows are rolled back and the table the
   * stage created is gone. `abandon` (an interrupted or failed run): drops the connection at once and
   * leaves the rollback to the server, so the process can exit; the next run recreates the empty table.
   */
  discard(how: 'undo' | 'abandon'): Promise<void>;
}

/** A stage opened by `RowSink.stage`, with the per-table salt of the data_id keys. */
export interface OpenedStage {
  readonly stage: RowStage;
  readonly salt: string;
}

export interface RunOutcome {
  readonly status: 'succeeded' | 'quarantined' | 'failed' | 'interrupted';
  readonly counters: Readonly<Counters>;
  readonly summary: unknown;
}

export type BatchProgress = { batchesSent: number } | { registered: true };

/** Where rows go. Each method resolves only when its effect is durable. */
export interface RowSink {
  readonly kind: 'mysql' | 'local';
  /** Human description of where rows go (no credentials). */
  readonly where: string;
  /**
   * Read-only checks before the check pass. Returns the earlier run of the same ingest that this
   * run continues (a Job retry), or null for a fresh start; refuses a table holding another dataset.
   */
  preflight(identity: RunIdentity): Promise<PriorRun | null>;
  /**
   * Creates what every run of this sink needs whatever its data (for MySQL: the database and the
   * bookkeeping tables; never the dataset table), so `open` has less to do once the data is accepted.
   * Called during the check pass of a run; idempotent, and `open` does it anyway (a failure here is
   * met again there).
   */
  prepare?(): Promise<void>;
  /**
   * Creates the destination (or reopens it to resume). Called only after the check pass accepted the
   * data. Returns the per-table salt of the data_id keys, and `staged: true` when it committed the
   * stage's rows (`RunInfo.staged`); otherwise the write pass writes every row.
   */
  open(run: RunInfo): Promise<{ salt: string; staged?: boolean }>;
  /** Writes batch number `batch` (0-based); resolves when it is committed together with the progress counter. */
  write(rows: readonly OutRow[], batch: number): Promise<void>;
  /**
   * Optional fast path: the sink's row encoding (used in the check pass), batches of such rows,
   * and their write, with the same guarantees as `write`. A sink offers all three or none.
   */
  readonly encoder?: RowEncoder;
  /** Encoded rows (`encodeRow`) with their data_ids, ready to write; after `open`. */
  encodeBatch?(dataIds: readonly string[], rows: readonly string[]): EncodedBatch;
  writeEncoded?(batch: EncodedBatch, index: number): Promise<void>;
  /**
   * Optional: for a fresh run whose rows the check pass encodes (`encoder`), a stage to load them
   * into as they are checked, and the per-table salt of the data_id keys (they are assigned then).
   * Decided at once: null when the sink cannot stage this run (the write pass then writes as usual).
   * Otherwise the stage opens while the check pass starts reading: `opening` resolves to it, or to
   * null (or rejects) when it could not be opened after all.
   */
  stage?(run: { readonly ingestorId: string }): { readonly opening: Promise<OpenedStage | null> } | null;
  /** Records progress that is not part of a write (metadata sent, registration done). */
  markProgress(progress: BatchProgress): Promise<void>;
  /** Records the run's outcome. */
  finish(outcome: RunOutcome): Promise<void>;
  close(): Promise<void>;
}
