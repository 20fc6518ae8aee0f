import { Readable } from 'node:stream';
import type { ResultSetHeader } from 'mysql2/promise';
import { IngestError } from '../../errors.js';
import type { Connection } from './connect.js';

/**
 * LOAD DATA LOCAL data in pieces of at most 1 MiB: mysql2 sends each stream chunk as one packet,
 * and a packet must stay under the server's max_allowed_packet (16 MiB by default, 4 MiB on older
 * servers). Views, no copies.
 */
export function* packetSized(buffers: readonly Buffer[]): Generator<Buffer> {
  const MAX = 1024 * 1024;
  for (const b of buffers) for (let i = 0; i < b.length; i += MAX) yield b.subarray(i, i + MAX);
}

/**
 * Bytes of LOAD DATA text that may wait in a statement's stream before `push` waits (checked after
 * each piece, so the stream may hold one piece more, at most 1 MiB): a couple of
 * batches, so the server never runs dry while the next one is prepared, and memory does not grow
 * with the rows when the server is the slower side. (mysql2 pauses the stream while the socket's
 * buffer is full, so the data waits here, not there.)
 */
export const STREAM_HIGH_WATER = 2 * 1024 * 1024;

/**
 * A statement left without new rows this long is ended (and the next batch starts another): the
 * server gives up on a LOAD DATA whose client sends nothing for net_read_timeout (30 s by default),
 * and a slow source, a long run of refused rows or a throttled pod can pause the reader that long.
 */
export const STATEMENT_IDLE_MS = 10_000;

/** Checks a finished statement's result against the rows it was given (throws if any is missing). */
export type LoadCheck = (result: ResultSetHeader, rows: number) => Promise<void>;

/**
 * `LOAD DATA LOCAL INFILE` statements on one connection, fed batch by batch while they run: one
 * statement for as long as batches keep coming (a new one after STATEMENT_IDLE_MS without any), so
 * the server loads continuously instead of pausing between statements (a statement per group of
 * batches cost ≈ 1.5 ms each and left MySQL idle between them). `seal` ends the last statement and
 * checks every statement's row count (`check`): the server reports a row it could not take only at
 * a statement's end. The connection runs nothing else until `seal` or `stop`.
 */
export class StreamedLoads {
  private current: StreamedStatement | null = null;
  /** The checks of the statements ended so far, in order; rejects with the first failure. */
  private ended: Promise<void> = Promise.resolve();
  /** The first statement that failed its check (then nothing more is pushed). */
  private failure: unknown = null;
  private idle: NodeJS.Timeout | null = null;
  /** `seal`, `stop` or `abort` was called: no more rows. */
  private closed = false;

  constructor(
    private readonly conn: Connection,
    private readonly sql: string,
    private readonly check: LoadCheck,
    private readonly idleMs = STATEMENT_IDLE_MS,
  ) {}

  /** Whether it takes no more rows (sealed, stopped or aborted). */
  get sealed(): boolean {
    return this.closed;
  }

  /** Adds rows to the running statement (starting one if none runs); resolves when there is room for more. */
  async push(payload: readonly Buffer[], count: number): Promise<void> {
    if (this.closed) throw new IngestError('INTERNAL', 'rows pushed into a sealed LOAD DATA');
    if (this.failure !== null) throw this.failure;
    this.clearIdle();
    if (this.current === null) {
      // A statement ended for idleness is checked before the next starts (its check's query would
      // otherwise wait behind the new statement, and rows would go on into a doomed stage).
      await this.ended;
      this.current = new StreamedStatement(this.conn, this.sql);
    }
    await this.current.push(payload, count);
    this.idle = setTimeout(() => void this.endCurrent(), this.idleMs);
    this.idle.unref();
  }

  /** After the last rows: ends the running statement and resolves once every statement took all its rows. */
  async seal(): Promise<void> {
    this.closed = true;
    this.clearIdle();
    await this.endCurrent();
  }

  /** Ends the running statement without checking it (the rows are being undone); never throws. */
  async stop(): Promise<void> {
    this.closed = true;
    this.clearIdle();
    const statement = this.current;
    this.current = null;
    await statement?.end().catch(() => undefined);
  }

  /** Fails the running statement's waiting `push` at once (its connection is being destroyed). */
  abort(): void {
    this.closed = true;
    this.clearIdle();
    this.current?.abort();
  }

  private endCurrent(): Promise<void> {
    this.clearIdle();
    const statement = this.current;
    this.current = null;
    if (statement !== null) {
      // Ended now, whatever became of the statements before it; checked in order.
      const result = statement.end();
      result.catch(() => undefined);
      this.ended = this.ended.then(async () => this.check(await result, statement.rows));
      // Seen by the next `push` or by `seal`: not an unhandled rejection meanwhile.
      this.ended.catch((err: unknown) => (this.failure ??= err));
    }
    return this.ended;
  }

  private clearIdle(): void {
    if (this.idle !== null) clearTimeout(this.idle);
    this.idle = null;
  }
}

/**
 * One LOAD DATA LOCAL statement whose data is a stream fed by `push`. mysql2 forwards the stream to
 * the socket and pauses it while the socket's buffer is full, so `push` waits while more than
 * STREAM_HIGH_WATER bytes wait in the stream.
 */
class StreamedStatement {
  private readonly data: Readable;
  private readonly result: Promise<ResultSetHeader>;
  private failure: unknown = null;
  private ended = false;
  private waiter: (() => void) | null = null;
  private readonly wake = (): void => {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  };
  /** Rows pushed so far. */
  rows = 0;

  constructor(conn: Connection, sql: string) {
    this.data = new Readable({ highWaterMark: STREAM_HIGH_WATER, read: this.wake });
    this.result = conn.query<ResultSetHeader>({ sql, infileStreamFactory: () => this.data }).then(([r]) => r);
    this.result.then(
      () => this.settle(this.ended ? null : new IngestError('MYSQL_FAILED', 'the server ended a LOAD DATA before its data')),
      (err: unknown) => this.settle(err),
    );
  }

  async push(payload: readonly Buffer[], count: number): Promise<void> {
    if (this.ended) throw new IngestError('INTERNAL', 'rows pushed into a LOAD DATA that has ended');
    this.throwIfFailed();
    this.rows += count;
    for (const piece of packetSized(payload)) {
      this.data.push(piece);
      while (this.data.readableLength > STREAM_HIGH_WATER) {
        this.throwIfFailed();
        await new Promise<void>((resolve) => (this.waiter = resolve));
        if (this.ended) throw new IngestError('INTERNAL', 'rows pushed into a LOAD DATA that has ended');
      }
    }
    this.throwIfFailed();
  }

  /** Ends the data (unless the statement failed) and waits for the statement's result. */
  async end(): Promise<ResultSetHeader> {
    if (!this.ended) {
      this.ended = true;
      if (this.failure === null) this.data.push(null);
    }
    return this.result;
  }

  abort(): void {
    this.settle(new IngestError('MYSQL_FAILED', 'the LOAD DATA was abandoned'));
  }

  private settle(err: unknown): void {
    this.failure ??= err;
    if (this.failure !== null) {
      // mysql2 leaves a failed statement's stream attached to the connection: detached here, so
      // nothing of it is sent after the error (it would reach the server as the next command).
      this.data.pause();
      this.data.removeAllListeners('data');
      this.data.removeAllListeners('end');
    }
    this.wake();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }
}
