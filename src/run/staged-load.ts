import type { DataIdAssigner } from '../keys/data-id.js';
import type { EncodedBatch, RowStage } from '../sinks/types.js';
import { IngestError } from '../errors.js';
import { joinEncoded, SpooledBatcher, type SpooledBatch } from './encoded-batches.js';

/**
 * Batches waiting for the sink before the check pass waits for it (backpressure); also the most
 * handed to the stage at once. Chosen when each group was a statement of its own (8 shortened the
 * check pass by 0.16-0.3 s against 4 at 200k rows; 16 was no faster); the stage now streams them all
 * into one statement, which holds the reader back itself once a few MB wait (RowStage.load), and
 * while the stage opens (its table is created) this bounds the rows waiting for it.
 */
const MAX_WAITING = 8;
/**
 * Batches waiting while the stage opens (its table is created): the reader then waits after the
 * first instead of filling MAX_WAITING, so the stage's statements are not kept waiting for the event
 * loop (measured at 200k rows: the opening took 33-40 ms instead of 69-95 ms).
 */
const WAITING_WHILE_OPENING = 1;

/** Where the rows go once the sink's stage is open: the stage, and the data_id keys of its table. */
export interface StageTarget {
  readonly stage: RowStage;
  readonly keys: DataIdAssigner;
  /** The table's salt (the keys are derived from it). */
  readonly salt: string;
}

/**
 * The check pass's accepted rows, cut into the write pass's batches (same size, same order, same
 * data_ids) and loaded into the sink's stage while the source is still being read, so MySQL works
 * on the other core instead of after the check. Batches that wait when the stage gets to them are
 * handed over together; `finish` seals the stage (RowStage.seal: every row taken). The stage may
 * still be opening when the first rows come (its table is created meanwhile): they wait for it,
 * unencoded, within a tighter bound. A stage that cannot be opened, a load that fails, or a seal
 * that finds rows missing ends the staging (the write pass then writes every row as usual); it
 * never fails the run.
 */
export class StagedLoad {
  private readonly batcher: SpooledBatcher;
  /** Cut batches not loaded yet: encoded, or as cut while the stage was still opening. */
  private readonly waiting: (EncodedBatch | SpooledBatch)[] = [];
  private loading: Promise<void> | null = null;
  private readonly roomWaiters: (() => void)[] = [];
  private target: StageTarget | null = null;
  private opened: Promise<StageTarget | null> | null = null;
  /** The first failure (opening the stage or a load): the stage is then unusable. */
  failure: unknown = null;
  /** Batches cut so far (after `finish`, all of them). */
  batches = 0;

  constructor(
    private readonly opening: Promise<StageTarget | null>,
    batchSize: number,
  ) {
    this.batcher = new SpooledBatcher(batchSize);
    // Seen by the first load or by `finish`; not an unhandled rejection meanwhile.
    opening.catch(() => undefined);
  }

  /** The stage's table salt, once it is open (after `finish`, if it opened). */
  get salt(): string | null {
    return this.target?.salt ?? null;
  }

  /** Takes an accepted row; returns a promise only when the check pass must wait for the sink. */
  add(row: number, dataIdSource: string | null, encoded: string): Promise<void> | undefined {
    if (this.failure !== null) return undefined;
    if (!this.batcher.add(row, dataIdSource, null, encoded)) return undefined;
    this.cut();
    if (this.waiting.length < (this.target !== null ? MAX_WAITING : WAITING_WHILE_OPENING)) return undefined;
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** After the last row: loads what is left and seals the stage; resolves to whether every row is in it. */
  async finish(): Promise<boolean> {
    if (this.batcher.pending > 0 && this.failure === null) this.cut();
    while (this.loading !== null) await this.loading;
    // No batch at all (no valid row): the stage must still have opened to be committed.
    const target = this.failure === null ? await this.open() : null;
    if (target !== null && this.failure === null) {
      try {
        await target.stage.seal();
      } catch (err) {
        this.failure ??= err;
      }
    }
    return this.failure === null;
  }

  /** Undoes the stage (RowStage.discard), once it has opened, if it did. Never throws. */
  async discard(how: 'undo' | 'abandon'): Promise<void> {
    const target = await this.opening.catch(() => null);
    await target?.stage.discard(how).catch(() => undefined);
  }

  private cut(): void {
    const batch = this.batcher.take();
    this.batches++;
    try {
      // Encoded now when the stage is open, so it is ready when the previous load ends.
      this.waiting.push(this.target ? encode(this.target, batch) : batch);
    } catch (err) {
      // Like a failed load: the staging ends, the run goes on.
      this.failure ??= err;
      this.waiting.length = 0;
      this.wakeWaiters();
      return;
    }
    this.loading ??= this.drain();
  }

  /** The stage, waited for once; a failure to open it is the staging's failure. */
  private open(): Promise<StageTarget | null> {
    this.opened ??= this.opening.then(
      (target) => {
        if (target === null) this.failure ??= new IngestError('MYSQL_FAILED', 'the stage could not be opened');
        this.target = target;
        return target;
      },
      (err: unknown) => {
        this.failure ??= err;
        return null;
      },
    );
    return this.opened;
  }

  private async drain(): Promise<void> {
    try {
      const target = await this.open();
      while (target !== null && this.waiting.length > 0 && this.failure === null) {
        const group = this.waiting.splice(0, MAX_WAITING).map((b) => ('payload' in b ? b : encode(target, b)));
        this.wakeWaiters();
        await target.stage.load(joinEncoded(group));
      }
    } catch (err) {
      this.failure ??= err;
    } finally {
      if (this.failure !== null) this.waiting.length = 0;
      this.loading = null;
      this.wakeWaiters();
    }
  }

  private wakeWaiters(): void {
    for (const wake of this.roomWaiters.splice(0)) wake();
  }
}

function encode(target: StageTarget, batch: SpooledBatch): EncodedBatch {
  return target.stage.encode(target.keys.assignMany(batch.rows, batch.sources), batch.encoded);
}
