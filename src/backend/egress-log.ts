/**
 * The egress log: one JSON line per backend request, i.e. an auditable record of exactly what
 * left (or, in dry-run mode, would have left) the cluster.
 *
 * Line shape: `{ts, method, path, query, body, status?, outcome}` with `outcome`
 * - `sent`: the backend answered 2xx;
 * - `not-sent`: a dry-run transport handled it (local mode: the log is the output);
 * - `failed`: the request failed (refused, retries exhausted, aborted); `status` is the last HTTP
 *   status when there was one. A failed request may still have reached the backend.
 *
 * The log never holds a header, so never the token. A line is written once the request has
 * completed (one line per request, not per retry attempt).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { JsonValue } from '../config/types.js';
import { IngestError } from '../errors.js';

export type EgressOutcome = 'sent' | 'not-sent' | 'failed';

export interface EgressEntry {
  /** ISO 8601 time the request completed. */
  ts: string;
  method: 'GET' | 'POST';
  path: string;
  query: Record<string, string> | null;
  body: JsonValue | null;
  status?: number;
  outcome: EgressOutcome;
}

export class EgressLog {
  readonly file: string;
  #stream: WriteStream;
  #count = 0;
  #error: Error | null = null;
  #closed = false;

  /** Opens `file` for appending (created if missing). Prefer `EgressLog.open`, which reports an unwritable file at once. */
  constructor(file: string) {
    this.file = file;
    this.#stream = createWriteStream(file, { flags: 'a', encoding: 'utf8' });
    this.#stream.on('error', (e) => {
      this.#error ??= e;
    });
  }

  /** Opens the log and waits until the file is open; an unwritable path rejects with an `INTERNAL` error. */
  static async open(file: string): Promise<EgressLog> {
    const log = new EgressLog(file);
    await new Promise<void>((resolve, reject) => {
      const stream = log.#stream;
      if (stream.pending === false) return resolve();
      const onOpen = (): void => {
        stream.off('error', onError);
        resolve();
      };
      const onError = (e: Error): void => {
        stream.off('ready', onOpen);
        reject(log.#wrap(e));
      };
      stream.once('ready', onOpen);
      stream.once('error', onError);
    });
    return log;
  }

  /** Number of requests recorded so far. */
  get count(): number {
    return this.#count;
  }

  /** Throws if an earlier write failed: call before sending anything that must be recorded. */
  assertWritable(): void {
    if (this.#error) throw this.#wrap(this.#error);
  }

  /**
   * Appends one line. `ts` defaults to now. `bodyText`, when given, is `body` already serialized
   * (the exact text sent): it goes into the line as is. Throws if the file could not be written earlier.
   */
  record(entry: Omit<EgressEntry, 'ts'> & { ts?: string; bodyText?: string | Buffer }): void {
    if (this.#error) throw this.#wrap(this.#error);
    if (this.#closed) throw new IngestError('INTERNAL', `egress log ${this.file} used after close`);
    const head = {
      ts: entry.ts ?? new Date().toISOString(),
      method: entry.method,
      path: entry.path,
      query: entry.query ?? null,
    };
    const tail = { ...(entry.status !== undefined ? { status: entry.status } : {}), outcome: entry.outcome };
    // The same text as JSON.stringify of the whole EgressEntry, in its key order.
    const body = entry.bodyText ?? JSON.stringify(entry.body ?? null);
    this.#count++;
    // The body as it came (bytes are written as they are, not made into one large string again).
    const stream = this.#stream;
    stream.cork();
    stream.write(`${JSON.stringify(head).slice(0, -1)},"body":`);
    stream.write(body);
    stream.write(`,${JSON.stringify(tail).slice(1)}\n`);
    process.nextTick(() => stream.uncork());
  }

  /** Flushes and closes the file; rejects if any write failed. Idempotent. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      await new Promise<void>((resolve) => {
        if (this.#stream.destroyed) return resolve();
        this.#stream.end(() => resolve());
        this.#stream.once('error', () => resolve());
      });
    }
    if (this.#error) throw this.#wrap(this.#error);
  }

  #wrap(e: Error): IngestError {
    const code = (e as NodeJS.ErrnoException).code;
    return new IngestError('EGRESS_LOG_FAILED', `cannot write the egress log${code ? ` (${code})` : ''}`, { file: this.file }, { cause: e });
  }
}
