import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { IngestError } from '../errors.js';
import { PIECE_CHARS } from '../bytes/utf8-pieces.js';
import type { CheckedCells } from '../records/record-checker.js';
import type { RowEncoder } from '../sinks/types.js';

/** One spooled record, as the write pass needs it. */
export interface SpooledRow {
  readonly row: number;
  readonly dataIdSource: string | null;
  readonly label: string | null;
  /** The sink's encoding of the row (every column but data_id); empty when the spool does not hold rows (`RowSpool.tap`). */
  readonly encoded: string;
}

/** Characters gathered before one write to the spool file (kept small: see PIECE_CHARS). */
const FLUSH_CHARS = PIECE_CHARS;

/**
 * The checked rows of the check pass, kept for the write pass so the source is read, parsed, cast
 * and checked once. Each valid row becomes one line: its row number, its data_id source value and
 * its label (for the key and the backend metadata), then the sink's own encoding of the row, built
 * here once. Quarantined rows are not spooled, so the write pass cuts the same batches as before.
 *
 * The file holds cell values: it lives on the storage volume next to the lock (never in a log),
 * is readable by its owner only, and is removed when the run ends, whatever the outcome; a file
 * left by a killed run is removed by the next run on the same table, which holds the table lock.
 */
export class RowSpool {
  private out: WriteStream | null = null;
  private pending = '';
  private failure: Error | null = null;
  /** Rows spooled. */
  rows = 0;
  /** Also given each row as it is spooled (see `tap`). */
  private listener: ((row: number, dataIdSource: string | null, encoded: string) => Promise<void> | undefined) | null = null;
  private keepsEncodings = true;

  private constructor(
    readonly file: string,
    private readonly encoder: RowEncoder,
  ) {}

  /** Removes files earlier runs on this table left behind, then opens a fresh spool file. */
  static async create(dir: string, table: string, runId: string, encoder: RowEncoder): Promise<RowSpool> {
    const spool = new RowSpool(path.join(dir, `${table}.${runId}.spool`), encoder);
    await spool.guard(async () => {
      // Only the spool directory itself is private (its parents keep their modes): files are 0600 anyway.
      await mkdir(path.dirname(dir), { recursive: true });
      await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      const prefix = `${table}.`;
      for (const name of await readdir(dir)) {
        if (name.startsWith(prefix) && name.endsWith('.spool')) await rm(path.join(dir, name), { force: true });
      }
      // One flush in flight at a time, on every Node version (the default buffer grew from 16 to 64 KiB in Node 22).
      const out = createWriteStream(spool.file, { flags: 'wx', mode: 0o600, highWaterMark: FLUSH_CHARS });
      out.on('error', (err) => {
        spool.failure ??= err;
      });
      await once(out, 'open');
      spool.out = out;
    });
    return spool;
  }

  /**
   * Hands every row spooled from now on, encoded, to `listener` (a StagedLoad), whose promise is
   * waited for like the file's. The listener takes over the encodings: from the first row on, the
   * spool keeps only each row's number, data_id source and label (what sending needs), a tenth of
   * the bytes, and `holdsRows` is false: rows the listener did not keep are written from the source.
   */
  tap(listener: (row: number, dataIdSource: string | null, encoded: string) => Promise<void> | undefined): void {
    if (this.rows > 0) throw new IngestError('INTERNAL', 'the row spool is tapped after rows were spooled');
    this.listener = listener;
    this.keepsEncodings = false;
  }

  /** Whether the lines keep the rows' encodings, so the write pass can write the rows from here (see `tap`). */
  get holdsRows(): boolean {
    return this.keepsEncodings;
  }

  /**
   * Adds a checked row. Returns a promise only when the file must drain first (backpressure reaches
   * the reader); most calls return at once.
   */
  add(cells: CheckedCells): Promise<void> | undefined {
    const encoded = this.encoder.encodeRow({
      label: cells.label,
      filename: null,
      extension: null,
      annotation: cells.annotation,
      values: cells.values,
    });
    const heard = this.listener?.(cells.row, cells.dataIdSource, encoded);
    this.pending += `${cells.row}\t${escapeField(cells.dataIdSource)}\t${escapeField(cells.label)}\t${this.keepsEncodings ? encoded : ''}\n`;
    this.rows++;
    if (heard) {
      const flushed = this.pending.length >= FLUSH_CHARS ? this.flush() : undefined;
      return flushed ? Promise.all([heard, flushed]).then(() => undefined) : heard;
    }
    return this.pending.length >= FLUSH_CHARS ? this.flush() : undefined;
  }

  /** Writes what is gathered and waits until the file accepted it. */
  async flush(): Promise<void> {
    const out = this.out;
    if (out === null) throw new IngestError('INTERNAL', 'the row spool is closed');
    this.throwIfFailed();
    const text = this.pending;
    this.pending = '';
    if (text.length > 0 && !out.write(text)) await this.guard(() => once(out, 'drain'));
    this.throwIfFailed();
  }

  /** Flushes and closes the file: every row added is on disk. */
  async finish(): Promise<void> {
    await this.flush();
    const out = this.out!;
    this.out = null;
    out.end();
    await this.guard(() => once(out, 'finish'));
    this.throwIfFailed();
  }

  /** The spooled rows in order, read back with bounded memory, in the arrays one read of the file gives (one await per array, not per row). */
  async *readChunks(): AsyncGenerator<SpooledRow[]> {
    this.throwIfFailed();
    yield* readSpoolFile(this.file);
  }

  /** Deletes the file (never throws). */
  async remove(): Promise<void> {
    if (this.out !== null) {
      const out = this.out;
      this.out = null;
      out.destroy();
    }
    await rm(this.file, { force: true }).catch(() => undefined);
  }

  /** Runs a file operation; any failure of it becomes SPOOL_FAILED (with the system's code, never data). */
  private async guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      this.failure ??= err as Error;
      this.throwIfFailed();
      throw err;
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== null) {
      const code = (this.failure as NodeJS.ErrnoException).code ?? 'unknown';
      throw new IngestError('SPOOL_FAILED', `the row spool failed (${code})`, { file: this.file });
    }
  }
}

/**
 * The rows of a finished spool file in order, in the arrays one read of the file gives, with
 * bounded memory. Any failure to read it is SPOOL_FAILED (with the system's code, never data);
 * a file that ends inside a row is refused (INTERNAL), never read as fewer rows.
 */
async function* readSpoolFile(file: string): AsyncGenerator<SpooledRow[]> {
  const input = createReadStream(file);
  let failure: NodeJS.ErrnoException | null = null;
  input.on('error', (err) => {
    failure ??= err;
  });
  const failed = (err: unknown) => new IngestError('SPOOL_FAILED', `the row spool failed (${(err as NodeJS.ErrnoException).code ?? 'unknown'})`, { file });
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      const rows: SpooledRow[] = [];
      let start = 0;
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
        rows.push(parseLine(text, start, end));
        start = end + 1;
      }
      rest = text.slice(start);
      if (rows.length > 0) yield rows;
    }
    if (failure !== null) throw failed(failure);
    rest += decoder.end();
    if (rest.length > 0) throw new IngestError('INTERNAL', 'the row spool ends inside a row');
  } catch (err) {
    if (err instanceof IngestError) throw err;
    throw failed(failure ?? err);
  } finally {
    input.destroy();
  }
}

const FIELD_SPECIAL = /[\\\t\n]/;

/** A text field of a spool line: `\N` for null; backslash, tab and newline escaped. */
function escapeField(v: string | null): string {
  if (v === null) return '\\N';
  if (!FIELD_SPECIAL.test(v)) return v;
  return v.replace(/[\\\t\n]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : '\\n'));
}

function unescapeField(v: string): string | null {
  if (v === '\\N') return null;
  if (!v.includes('\\')) return v;
  return v.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));
}

function parseLine(text: string, start: number, end: number): SpooledRow {
  const a = text.indexOf('\t', start);
  const b = text.indexOf('\t', a + 1);
  const c = text.indexOf('\t', b + 1);
  if (a < 0 || c < 0 || c > end) throw new IngestError('INTERNAL', 'the row spool holds a malformed row');
  return {
    row: Number(text.slice(start, a)),
    dataIdSource: unescapeField(text.slice(a + 1, b)),
    label: unescapeField(text.slice(b + 1, c)),
    encoded: text.slice(c + 1, end),
  };
}
