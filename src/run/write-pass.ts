import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { IngestError } from '../errors.js';
import type { Plan } from '../config/types.js';
import type { BackendClient, HeldRows, RowMeta } from '../backend/client.js';
import { createDestination } from '../files/destination.js';
import { runtimeFor } from '../categories/registry.js';
import type { FileHandler, RecordFiles } from '../files/types.js';
import type { DataIdAssigner } from '../keys/data-id.js';
import type { LabelEncoder } from '../labels/policy.js';
import { Progress } from '../log/progress.js';
import { RecordChecker } from '../records/record-checker.js';
import { SequenceChecks } from '../records/sequence-checks.js';
import type { Counters } from '../report/counters.js';
import type { EncodedBatch, OutRow, PriorRun, RowSink } from '../sinks/types.js';
import type { RowSpool } from './row-spool.js';
import type { FileStage } from '../files/file-stage.js';
import { openRecords } from './open-records.js';
import type { LoadedProcessor } from '../plugins/load-processors.js';
import { TaskWindow } from './task-window.js';
import { joinEncoded, SpooledBatcher } from './encoded-batches.js';

export interface WritePassOptions {
  plan: Plan;
  sink: RowSink;
  backend: BackendClient;
  keys: DataIdAssigner;
  labels: LabelEncoder | null;
  counters: Counters;
  logger: Logger;
  /** Rows per batch (a resumed run keeps the batches of the run it continues). */
  batchSize: number;
  /** The interrupted run this one continues: its committed batches are not written again, its sent ones not sent again. */
  resume: PriorRun | null;
  /** Rows the check pass left out (quarantine), by row number. */
  skip?: (row: number) => boolean;
  signal?: AbortSignal;
  tty?: NodeJS.WriteStream | null;
  fileConcurrency?: number;
  /** The run's record processors (plugins), loaded once. */
  processors?: readonly LoadedProcessor[];
  /** The check pass's valid rows, already encoded by the sink: written from here, the source is not read again. */
  spool?: RowSpool;
  /** The check pass's copies of the valid records' files: moved into the destination instead of copying. */
  stage?: FileStage;
  /**
   * The leading batches the sink's stage committed at `open` (RowSink.stage): only sent here. Their
   * rows are counted as inserted by the caller already.
   */
  stagedBatches?: number;
}

interface Batch {
  index: number;
  /** Rows as fields (the source was read again) … */
  rows: OutRow[];
  /** … or in the sink's encoding (from the spool). */
  encoded: EncodedBatch | null;
  meta: RowMeta[];
  files: RecordFiles[];
  /** The last, partial batch: taken in even if the run is stopped while it waits for room. */
  last: boolean;
  /** The metadata already held for call 1 (`meta` is then empty). */
  held?: HeldRows;
}

/** A batch taken into the pipeline: its metadata is held apart (see push). */
type HeldBatch = Omit<Batch, 'meta' | 'last' | 'held'>;

const emptyBatch = (index: number): Batch => ({ index, rows: [], encoded: null, meta: [], files: [], last: false });

const sizeOf = (b: HeldBatch): number => b.encoded?.count ?? b.rows.length;

/** Where pass 2's batches come from: the source read and checked again, or the row spool. */
interface BatchFeed {
  /** Full batches as they are cut, then the partial last one; none after `signal` aborts. */
  readonly batches: AsyncIterable<Batch>;
  /** The category's files, if it has any. */
  readonly files: FileHandler | null;
  /** Whether each batch's files are copied before its rows commit (not when the check pass staged them). */
  readonly copies: boolean;
  /** Batches held at most (see BatchPipeline). */
  readonly held: number;
  close(): Promise<void>;
}

/**
 * Pass 2: batches from the row spool when the check pass kept one, otherwise from the same reader
 * and checks as pass 1; per batch copy its files, commit its rows (with the progress counter), send
 * its metadata — in that order, so no row exists without its files and no metadata leaves for a row
 * that is not committed. Batches are cut only as fast as they are written (backpressure from MySQL
 * and the backend reaches the source). Stops at a batch boundary when `signal` aborts.
 */
export async function writePass(o: WritePassOptions): Promise<void> {
  const { counters } = o;
  const feed = o.spool ? spoolFeed(o, o.spool) : await sourceFeed(o);
  const progress = new Progress('write', counters.total, o.logger, o.tty ?? null);
  const pipeline = new BatchPipeline(o, feed.copies ? feed.files : null, feed.held);
  try {
    for await (const batch of feed.batches) {
      await pipeline.room();
      if (o.signal?.aborted && !batch.last) break;
      pipeline.push(batch);
      if (!batch.last) progress.update(counters.inserted);
    }
    await pipeline.drain();
    if (!o.signal?.aborted) await feed.files?.afterWrite?.();
  } catch (err) {
    // Whatever stopped the loop, the batches in flight finish (or fail) before the pass ends, and
    // the first failure in time is the one reported (a lane may have failed before the reader did).
    await pipeline.settle();
    throw pipeline.failure ?? err;
  } finally {
    await pipeline.settle();
    await feed.close();
    progress.end(counters.inserted);
  }
}

/** Batches from the source, read through the same processors and checks as pass 1, its files resolved again. */
async function sourceFeed(o: WritePassOptions): Promise<BatchFeed> {
  const { plan } = o;
  const checker = new RecordChecker(plan);
  const sequence = new SequenceChecks(plan);
  const files = runtimeFor(plan.category).createFileHandler?.(plan) ?? null;
  let staged = false;
  if (files) {
    // The check pass's copies become the destination in one rename; else each batch copies its files.
    staged = (await o.stage?.moveInto(plan.destination)) ?? false;
    if (staged) o.logger.info('files: the copies made during the check pass were moved into the destination');
    else {
      // An incomplete stage gives its space back before the files are copied again (a full volume is
      // the usual reason a stage copy fails).
      await o.stage?.remove();
      await createDestination(plan.destination);
    }
    await files.open();
  }
  const source = await openRecords(plan, checker.wanted, 'write', o.processors);
  async function* batches(): AsyncGenerator<Batch> {
    let batch = emptyBatch(0);
    const turnDue = turnCounter();
    for await (const record of source.records) {
      if (o.signal?.aborted) return;
      if (turnDue()) await nextTurn();
      if (o.skip?.(record.row)) continue;
      const cells = checker.check(record);
      const problems = Array.isArray(cells) ? cells : sequence.check(cells);
      if (problems || Array.isArray(cells)) {
        throw changedSince(problems?.[0], plan, record.row);
      }
      let found: RecordFiles | null = null;
      if (files) {
        try {
          found = await files.resolve(cells);
        } catch (err) {
          throw changedSince(err instanceof IngestError ? err : undefined, plan, record.row);
        }
      }
      const dataId = o.keys.assign(record.row, cells.dataIdSource);
      batch.rows.push({
        dataId,
        label: cells.label,
        filename: found?.primary.stem ?? null,
        extension: found?.primary.extension ?? null,
        annotation: cells.annotation,
        values: cells.values,
      });
      batch.meta.push({
        data_id: dataId,
        data_intent: plan.intent,
        label: o.labels ? o.labels.encode(cells.label ?? '') : null,
      });
      if (found && !staged) batch.files.push(found);
      if (batch.rows.length >= o.batchSize) {
        const ready = batch;
        batch = emptyBatch(batch.index + 1);
        yield ready;
      }
    }
    if (batch.rows.length > 0 && !o.signal?.aborted) yield { ...batch, last: true };
  }
  return { batches: batches(), files, copies: !staged, held: HELD_ROWS, close: () => source.close() };
}

/**
 * Batches from the spool: the rows the check pass accepted and encoded, in source order; per row
 * only its data_id and its label's encoding are computed here. Batches, order, resume and
 * backpressure are those of the pass that reads the source again.
 */
function spoolFeed(o: WritePassOptions, spool: RowSpool): BatchFeed {
  const { sink, backend, labels } = o;
  const bound = sink.encodeBatch?.bind(sink);
  if (!bound) throw new IngestError('INTERNAL', `the ${sink.kind} sink takes no encoded rows`);
  const encodeBatch: NonNullable<RowSink['encodeBatch']> = bound;
  const committed = committedBatches(o);
  // Every spooled row committed already (the check pass's stage): the batches are only sent.
  const sendOnly = committed * o.batchSize >= spool.rows;
  async function* batches(): AsyncGenerator<Batch> {
    let index = 0;
    // A spool that left the encodings to the stage can only send rows the stage committed.
    if (!spool.holdsRows && !sendOnly) throw new IngestError('INTERNAL', 'the row spool holds no rows to write');
    const batcher = new SpooledBatcher(o.batchSize);
    // Keys and labels per batch: one cipher call for the batch's data_ids; its metadata held as
    // label endings and ids whose JSON is made when the request is (no object per row).
    const cut = (last: boolean): Batch => {
      const b = batcher.take();
      const label = (i: number) => (labels ? labels.encode(b.labels[i] ?? '') : null);
      if (index < committed) {
        // Committed already (the stage, a resumed attempt): only sent, so only the metadata is held:
        // the row numbers, its data_ids written as JSON straight from the cipher when it is sent
        // (no string per id). The rows are never written (writeGroup leaves committed batches out),
        // so they carry no payload.
        const ids = o.keys.assignManyJsonLater(b.rows, b.sources);
        const encoded = { count: ids.count, firstDataId: '', payload: [] };
        return { index: index++, rows: [], encoded, meta: [], held: backend.holdRowsOfIds(ids, label), files: [], last };
      }
      // Written here, so their ids are made now for MySQL; for the backend they are made again from
      // the row numbers when sent (one cipher call, microseconds), not held as strings meanwhile.
      const dataIds = o.keys.assignMany(b.rows, b.sources);
      const held = backend.holdRowsOfIds(o.keys.assignManyJsonLater(b.rows, b.sources), label);
      return { index: index++, rows: [], encoded: encodeBatch(dataIds, b.encoded), meta: [], held, files: [], last };
    };
    for await (const chunk of spool.readChunks()) {
      for (const r of chunk) {
        if (o.signal?.aborted) return;
        if (!batcher.add(r.row, r.dataIdSource, r.label, r.encoded)) continue;
        yield cut(false);
        // A turn of the event loop per batch: replies for the batches in flight do not wait for a whole chunk.
        await nextTurn();
      }
    }
    if (batcher.pending > 0 && !o.signal?.aborted) yield cut(true);
  }
  return { batches: batches(), files: null, copies: false, held: sendOnly ? HELD_SEND_ONLY : HELD_ENCODED, close: async () => undefined };
}

/** The leading batches already committed (by the sink's stage at `open`, or by an interrupted attempt): only sent. */
function committedBatches(o: WritePassOptions): number {
  return o.stagedBatches ?? o.resume?.batchesCommitted ?? 0;
}

/**
 * Records read between two turns of the event loop. Buffered records arrive on microtasks, so
 * without a turn the reader would hold the thread for a whole source chunk (hundreds of records)
 * and every MySQL or backend reply for the batches in flight would wait that long: measured, that
 * wait was most of the write lane's time. A turn costs about a microsecond.
 */
const RECORDS_PER_TURN = 16;

/** Call once per record: true every RECORDS_PER_TURN calls, when the reader should `await nextTurn()`. */
function turnCounter(): () => boolean {
  let since = 0;
  return () => {
    if (++since < RECORDS_PER_TURN) return false;
    since = 0;
    return true;
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Encoded batches (the spool): their rows in the sink's format, a few hundred KB each, and their held
 * metadata. More would barely help MySQL (16: same time at 1M rows) but keeps buffers alive past the
 * young generation (16: +10–20 MB peak RSS).
 */
const HELD_ENCODED = 8;
/**
 * Batches committed already (the check pass's stage), held only as their metadata (`HeldRows`: row
 * numbers and references to shared label endings, ≈ 16 KB of heap per 1,000 rows; the body, ≈ 150 KB
 * per 1,000 rows of a UUID, a bin and an ingestor id, is written when the request is): room for the
 * reader to fill the next request (MAX_SEND_BYTES, ≈ 6 such batches) while one is in flight.
 */
const HELD_SEND_ONLY = 24;
/** Batches of row objects and file references (the source read again): objects per row, so fewer. */
const HELD_ROWS = 4;

/** Copies in flight: more than one per core only adds seeking and contention (measured, BENCHMARKS.md). */
const COPY_CONCURRENCY = Math.max(2, availableParallelism());

/**
 * Request bodies of call 1 are at most this big when batches are sent together (a single batch
 * larger than this is still sent, alone): well under the 2.5 MB a Django backend accepts by default.
 */
export const MAX_SEND_BYTES = 1024 * 1024;

/** A batch taken in and not yet sent: its metadata and where it is. */
interface Outgoing {
  readonly index: number;
  readonly rows: number;
  readonly meta: HeldRows;
  /** Sent by the interrupted attempt this run continues: counted, not sent again. */
  readonly alreadySent: boolean;
  /** Its rows are committed. */
  written: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Batches leave in two ordered lanes: write (copy files, commit rows) and send (metadata to the
 * backend, then its progress mark). A batch is sent only after it is committed and after every
 * earlier batch was sent and marked; batch k+1 is written while batch k is being sent, and read
 * while both are busy. A bounded number of batches is held (HELD_ENCODED or HELD_ROWS), so memory
 * is bounded and MySQL's and the backend's pace reach the reader. Batches waiting for a lane when
 * it gets to them go together: committed in one transaction, or sent in one request (up to
 * MAX_SEND_BYTES) followed by one mark for the last of them, so when the backend is the slower side
 * fewer, larger requests catch up. A failure stops both lanes (later batches are not written or sent).
 */
class BatchPipeline {
  private writing: Promise<void> = Promise.resolve();
  /** Batches taken in and not yet picked up by the write lane. */
  private readonly waiting: { batch: HeldBatch; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private writerBusy = false;
  private sending: Promise<void> = Promise.resolve();
  /** Batches taken in and not yet picked up by the send lane, in order. */
  private readonly outgoing: Outgoing[] = [];
  private senderBusy = false;
  private readonly unsent: Promise<void>[] = [];
  /** The first failure of either lane: once set, nothing new is written or sent. */
  failure: unknown = null;

  constructor(
    private readonly o: WritePassOptions,
    private readonly files: FileHandler | null,
    /** Batches held at most (taken in and not yet sent); also the largest group committed at once. */
    private readonly held: number,
  ) {}

  /** Waits until another batch may be taken in; throws the first failure at once. */
  async room(): Promise<void> {
    this.throwIfFailed();
    while (this.unsent.length >= this.held) {
      await this.unsent.shift()!.catch(() => undefined);
      this.throwIfFailed();
    }
  }

  push(full: Batch): void {
    this.throwIfFailed();
    const { counters, resume } = this.o;
    // The metadata held for call 1: a batch held for a while then keeps no object per row (those
    // would be promoted to the old generation and pile up there as garbage), only its data_id (from
    // the spool, uuid ids: its row number) and a reference to its label's ending (shared by the rows
    // of one label).
    const meta = full.held ?? this.o.backend.holdRows(full.meta);
    const batch: HeldBatch = { index: full.index, rows: full.rows, encoded: full.encoded, files: full.files };
    const n = sizeOf(batch);
    counters.processed += n;
    const written = new Promise<void>((resolve, reject) => this.waiting.push({ batch, resolve, reject }));
    if (!this.writerBusy) {
      this.writerBusy = true;
      this.writing = this.writeWaiting();
    }
    const sent = new Promise<void>((resolve, reject) => {
      const alreadySent = resume !== null && batch.index < resume.batchesSent;
      const entry: Outgoing = { index: batch.index, rows: n, meta, alreadySent, written: false, resolve, reject };
      this.outgoing.push(entry);
      written.then(
        () => {
          entry.written = true;
          this.wakeSender();
        },
        (err: unknown) => {
          this.failure ??= err;
          this.wakeSender();
        },
      );
    });
    sent.catch((err: unknown) => {
      this.failure ??= err;
    });
    this.unsent.push(sent);
  }

  private wakeSender(): void {
    if (this.senderBusy) return;
    this.senderBusy = true;
    // A microtask later: a write group resolves its batches one after another, and all of them are
    // then marked written before the lane looks (else the group's first batch would leave alone).
    this.sending = Promise.resolve().then(() => this.sendReady());
  }

  /**
   * The send lane: the committed batches at the head of the line, in order, go in one request
   * (up to MAX_SEND_BYTES), then one mark records the last of them as sent. Never rejects.
   */
  private async sendReady(): Promise<void> {
    const { counters } = this.o;
    try {
      for (;;) {
        if (this.failure !== null) {
          // Nothing is sent after a failure: whatever waits is given the failure.
          for (const e of this.outgoing.splice(0)) e.reject(this.failure);
          return;
        }
        const group = this.takeSendable();
        if (group.length === 0) return;
        try {
          const fresh = group.filter((e) => !e.alreadySent);
          if (fresh.length > 0) {
            await this.o.backend.sendHeldRows(fresh.map((e) => e.meta));
            await this.o.sink.markProgress({ batchesSent: fresh[fresh.length - 1]!.index + 1 });
          }
          for (const e of group) {
            counters.sent += e.rows;
            e.resolve();
          }
        } catch (err) {
          this.failure ??= err;
          for (const e of group) e.reject(err);
        }
      }
    } finally {
      this.senderBusy = false;
    }
  }

  /** The committed batches at the head of the line, as many as fit one request (at least one). */
  private takeSendable(): Outgoing[] {
    const group: Outgoing[] = [];
    // The body: `[`, then each row with the comma or `]` after it (HeldRows.byteLength).
    let bytes = 1;
    while (this.outgoing.length > 0 && this.outgoing[0]!.written) {
      const next = this.outgoing[0]!;
      const size = next.alreadySent ? 0 : next.meta.byteLength;
      if (group.length > 0 && bytes + size > MAX_SEND_BYTES) break;
      group.push(this.outgoing.shift()!);
      bytes += size;
    }
    return group;
  }

  /**
   * The write lane: batches waiting when it gets to them are written together, in one transaction
   * (a group): when MySQL falls behind, fewer and larger commits catch up. Never rejects.
   */
  private async writeWaiting(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, this.held);
        try {
          this.throwIfFailed();
          await this.writeGroup(group.map((g) => g.batch));
          for (const g of group) g.resolve();
        } catch (err) {
          this.failure ??= err;
          for (const g of group) g.reject(err);
        }
      }
    } finally {
      this.writerBusy = false;
    }
  }

  /** Copies the group's files, then commits its rows at once (the progress counter moves to its last batch). */
  private async writeGroup(batches: readonly HeldBatch[]): Promise<void> {
    const { counters } = this.o;
    // Batches an interrupted attempt (or the stage) committed are a prefix: counted, not written again.
    const committed = committedBatches(this.o);
    const fresh = batches.filter((b) => b.index >= committed);
    if (this.o.stagedBatches === undefined) for (const b of batches) if (!fresh.includes(b)) counters.inserted += sizeOf(b);
    if (fresh.length === 0) return;
    for (const b of fresh) if (this.files && b.files.length > 0) await copyFiles(b, this.o, this.files);
    const n = fresh.reduce((sum, b) => sum + sizeOf(b), 0);
    const last = fresh[fresh.length - 1]!.index;
    try {
      if (fresh.every((b) => b.encoded !== null)) {
        await this.writeEncoded(joinEncoded(fresh.map((b) => b.encoded!)), last);
      } else {
        await this.o.sink.write(fresh.length === 1 ? fresh[0]!.rows : fresh.flatMap((b) => b.rows), last);
      }
    } catch (err) {
      counters.failedInserts += n;
      throw err;
    }
    counters.inserted += n;
  }

  private writeEncoded(encoded: EncodedBatch, index: number): Promise<void> {
    const sink = this.o.sink;
    if (!sink.writeEncoded) throw new IngestError('INTERNAL', `the ${sink.kind} sink takes no encoded rows`);
    return sink.writeEncoded(encoded, index);
  }

  /** Waits until both lanes are idle; never throws. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.unsent.splice(0), this.writing, this.sending]);
  }

  /** Waits for every batch taken in; throws the first failure. */
  async drain(): Promise<void> {
    await this.settle();
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }
}

async function copyFiles(batch: HeldBatch, o: WritePassOptions, files: FileHandler): Promise<void> {
  const window = new TaskWindow(o.fileConcurrency ?? COPY_CONCURRENCY);
  let failure: unknown = null;
  for (const f of batch.files) {
    await window.add(() =>
      files.copy(f).catch((err: unknown) => {
        failure ??= err;
      }),
    );
  }
  await window.drain();
  if (failure !== null) {
    o.counters.fileFailures += sizeOf(batch);
    throw failure;
  }
}

/** The source or a file changed between the passes: refuse rather than write what was not checked. */
function changedSince(first: IngestError | undefined, plan: Plan, row: number): IngestError {
  return new IngestError(
    'SOURCE_CHANGED',
    `the data changed between the check pass and the write pass (${first?.code ?? 'the record no longer passes its checks'}); the rows written so far are kept, a retry refuses or resumes after checking again`,
    { ...(first?.context ?? {}), file: plan.source.configured, row },
  );
}
