import { Readable, Writable } from 'node:stream';
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
 * Bytes of LOAD DATA text that may wait for the server, in this load's stream and again in the
 * connection's socket buffer, before `push` waits: a couple of batches, so the server never runs dry
 * while the next one is prepared, and memory does not grow with the rows when the server is slower.
 */
export const STREAM_HIGH_WATER = 2 * 1024 * 1024;

/**
 * One `LOAD DATA LOCAL INFILE` statement fed while it runs: each `push` adds rows to the data the
 * server is reading, and `end` finishes the statement. The server loads continuously instead of
 * pausing between statements (a statement per group of batches cost ≈ 1.5 ms each and left MySQL
 * idle between them). mysql2 forwards the stream to the socket without backpressure, so `push`
 * waits while more than STREAM_HIGH_WATER bytes wait in the stream or in the socket.
 *
 * The server reports rows it could not take only at the end (LOAD DATA LOCAL reads the data to its
 * end even after a problem), so the caller checks `end`'s row count against `rows`.
 */
export class StreamedLoad {
  private readonly data: Readable;
  private readonly socket: Writable;
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
    this.socket = socketOf(conn);
    this.data = new Readable({ highWaterMark: STREAM_HIGH_WATER, read: this.wake });
    this.socket.on('drain', this.wake);
    this.result = conn.query<ResultSetHeader>({ sql, infileStreamFactory: () => this.data }).then(([r]) => r);
    this.result.then(
      () => this.settle(null),
      (err: unknown) => this.settle(err),
    );
  }

  /** Adds rows to the statement's data; resolves when there is room for more. Rejects once the statement failed. */
  async push(payload: readonly Buffer[], count: number): Promise<void> {
    if (this.ended) throw new IngestError('INTERNAL', 'rows pushed into a LOAD DATA that has ended');
    this.throwIfFailed();
    this.rows += count;
    for (const piece of packetSized(payload)) this.data.push(piece);
    while (this.data.readableLength > STREAM_HIGH_WATER || this.socket.writableLength > STREAM_HIGH_WATER) {
      this.throwIfFailed();
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    this.throwIfFailed();
  }

  /** Ends the data and waits for the statement's result (the caller checks its row count against `rows`). */
  async end(): Promise<ResultSetHeader> {
    if (!this.ended) {
      this.ended = true;
      this.data.push(null);
    }
    try {
      return await this.result;
    } finally {
      this.socket.off('drain', this.wake);
    }
  }

  private settle(err: unknown): void {
    // A statement that finished before its data ended did not read all of it.
    this.failure ??= err ?? (this.ended ? null : new IngestError('MYSQL_FAILED', 'the server ended a LOAD DATA before its data'));
    this.wake();
  }

  private throwIfFailed(): void {
    if (this.failure !== null) throw this.failure;
  }
}

/**
 * The socket under a mysql2 connection, whose buffer shows how far the server is behind. mysql2 keeps
 * it as `connection.stream` (not in its types): checked, so a mysql2 without it fails the load (the
 * caller then writes the rows another way) instead of buffering without bound.
 */
function socketOf(conn: Connection): Writable {
  const core = (conn as unknown as { connection?: { stream?: unknown } }).connection;
  const socket = core?.stream;
  if (socket instanceof Writable && typeof socket.writableLength === 'number') return socket;
  throw new IngestError('INTERNAL', 'the MySQL connection exposes no socket to stream LOAD DATA through');
}
