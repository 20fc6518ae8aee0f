import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { IngestError } from '../errors.js';
import type { SourcePlan } from '../config/types.js';
import { Utf8Decoder } from './utf8-decoder.js';
import type { OpenedSource, RawRecord } from './types.js';
import { checkHeader, columnIndexes } from './header.js';
import { PlainCsvSplitter, plainSplittable } from './plain-csv.js';

/** Largest single CSV record accepted, in characters. Larger records are refused, not buffered. */
export const MAX_CSV_RECORD_CHARS = 64 * 1024 * 1024;

/**
 * Streams a CSV (RFC 4180; BOM and CRLF handled; a backslash is data unless configured as the
 * escape) as records whose cells follow `wanted`. Nothing is cast here. Text that csv-parse would
 * split trivially (no quote character, one line ending) takes the fast path of plain-csv.ts; from
 * the first line that needs it, csv-parse reads the rest.
 */
export async function openCsv(plan: SourcePlan, wanted: readonly string[], onBytes?: (chunk: Buffer) => void): Promise<OpenedSource> {
  const file = plan.configured;
  const input = createReadStream(plan.path);
  const decoder = new Utf8Decoder(file);
  input.on('error', (err) => decoder.destroy(toSourceError(err, file)));
  // No encoding is set on the stream: its chunks are Buffers.
  if (onBytes) input.on('data', (chunk) => onBytes(chunk as Buffer));
  input.pipe(decoder);
  const batches = csvRecords(decoder, plan, file)[Symbol.asyncIterator]();
  const close = async (): Promise<void> => {
    input.destroy();
    decoder.destroy();
    await batches.return?.(undefined);
  };

  let first: string[][] = [];
  let header: string[];
  let indexes: number[];
  try {
    while (first.length === 0) {
      const r = await nextBatch(batches, file);
      if (r === undefined) {
        throw new IngestError('SOURCE_EMPTY', 'the CSV is empty: it needs a header row and at least one data row', {
          file,
        });
      }
      first = r;
    }
    header = first[0]!;
    checkHeader(header, file);
    indexes = columnIndexes(header, wanted, file);
  } catch (err) {
    await close();
    throw err;
  }

  // The wanted columns are the header's first columns, in order (the common case): hand the
  // parsed record on as is; later cells are never read.
  const inOrder = indexes.every((idx, i) => idx === i);

  async function* recordBatches(): AsyncGenerator<RawRecord[]> {
    let row = 0;
    try {
      for (let batch: string[][] | undefined = first.slice(1); batch !== undefined; batch = await nextBatch(batches, file)) {
        const out = new Array<RawRecord>(batch.length);
        for (let k = 0; k < batch.length; k++) {
          const item = batch[k]!;
          row++;
          if (inOrder) {
            out[k] = { row, cells: item };
            continue;
          }
          const cells = new Array<string | undefined>(indexes.length);
          for (let i = 0; i < indexes.length; i++) cells[i] = item[indexes[i]!];
          out[k] = { row, cells };
        }
        if (out.length > 0) yield out;
      }
    } finally {
      await close();
    }
  }

  async function* records(): AsyncGenerator<RawRecord> {
    for await (const batch of recordBatches()) yield* batch;
  }

  // Both views share one reader: whichever the consumer iterates pulls it.
  return {
    available: header,
    get records() {
      return records();
    },
    get batches() {
      return recordBatches();
    },
    close,
  };
}

/** The file's records in batches: the fast path while it applies, then csv-parse. */
async function* csvRecords(text: AsyncIterable<string>, plan: SourcePlan, file: string): AsyncGenerator<string[][]> {
  const chunks = text[Symbol.asyncIterator]() as AsyncIterator<string>;
  const options = { delimiter: plan.delimiter, quote: plan.quote };
  if (!plainSplittable(options)) {
    yield* parsedRecords(chunks, '', plan, file, null);
    return;
  }
  const splitter = new PlainCsvSplitter(options);
  let pending = '';
  for (;;) {
    const r = await chunks.next();
    const done = r.done === true;
    const chunk = done ? pending : pending + (r.value as string);
    const out: string[][] = [];
    const split = splitter.split(chunk, done, out);
    if (out.length > 0) yield out;
    if (split.raggedLine >= 0) throw raggedRow(file, split.raggedLine);
    if (split.stop) {
      yield* parsedRecords(chunks, chunk.slice(split.consumed), plan, file, splitter);
      return;
    }
    if (done) return;
    pending = chunk.slice(split.consumed);
  }
}

/**
 * csv-parse over `head` and then the rest of `chunks`. After the fast path (`splitter` set), the
 * header line goes first again, so csv-parse checks every record's field count against it exactly
 * as it would have on the whole file, and its line numbers are shifted to the file's.
 */
async function* parsedRecords(
  chunks: AsyncIterator<string>,
  head: string,
  plan: SourcePlan,
  file: string,
  splitter: PlainCsvSplitter | null,
): AsyncGenerator<string[][]> {
  const resumed = splitter !== null && splitter.lines > 0;
  const header = resumed ? splitter.headerLine : null;
  const prefix = header !== null ? header + splitter!.recordDelimiter! : '';
  const lineOffset = resumed ? splitter.lines - (header !== null ? 1 : 0) : 0;
  const parser = parse({
    bom: !resumed,
    delimiter: plan.delimiter,
    quote: plan.quote,
    escape: plan.escape,
    // The line ending the file started with: csv-parse must not guess again from the middle.
    ...(resumed && splitter.recordDelimiter !== null ? { record_delimiter: splitter.recordDelimiter } : {}),
    // No `info`: a per-record info object costs ~7% of a tabular run; parse errors carry their line.
    skip_empty_lines: true,
    relax_column_count: false,
    max_record_size: MAX_CSV_RECORD_CHARS,
  });
  async function* feed(): AsyncGenerator<string> {
    if (prefix.length + head.length > 0) yield prefix + head;
    for (let r = await chunks.next(); r.done !== true; r = await chunks.next()) yield r.value;
  }
  const source = Readable.from(feed());
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  // Records are taken as they are parsed, all that are ready at once (one array per wake-up, not a
  // promise per record).
  let ended = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const signal = (): void => wake?.();
  parser.on('readable', signal);
  // 'close' too: a parser destroyed without an error (the reader closed early) must not leave us waiting.
  const finished = (): void => {
    ended = true;
    signal();
  };
  parser.on('end', finished);
  parser.on('close', finished);
  parser.on('error', (err) => {
    failure ??= err;
    signal();
  });
  let skipHeader = header !== null;
  try {
    for (;;) {
      const out: string[][] = [];
      for (let rec = parser.read() as string[] | null; rec !== null; rec = parser.read() as string[] | null) {
        if (skipHeader) skipHeader = false;
        else out.push(rec);
      }
      if (out.length > 0) {
        yield out;
        continue;
      }
      if (failure !== null) throw toSourceError(failure, file, lineOffset);
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
  } finally {
    source.destroy();
    parser.destroy();
  }
}

/** A record whose field count differs from the header's: as csv-parse reports it, and as the fast path does. */
function raggedRow(file: string, line: number | undefined): IngestError {
  return new IngestError('CSV_RAGGED_ROW', 'the row has a different number of fields than the header', { file, line });
}

async function nextBatch(batches: AsyncIterator<string[][]>, file: string): Promise<string[][] | undefined> {
  try {
    const r = await batches.next();
    return r.done === true ? undefined : r.value;
  } catch (err) {
    throw toSourceError(err, file);
  }
}

/** csv-parse messages can quote source characters: build our own from the code. */
function toSourceError(err: unknown, file: string, lineOffset = 0): IngestError {
  if (err instanceof IngestError) return err;
  if (err instanceof CsvError) {
    const ctx = { file, line: typeof err['lines'] === 'number' ? (err['lines'] as number) + lineOffset : undefined };
    switch (err.code) {
      case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      case 'CSV_RECORD_INCONSISTENT_COLUMNS':
        return raggedRow(file, ctx.line);
      case 'CSV_QUOTE_NOT_CLOSED':
        return new IngestError('CSV_SYNTAX', 'a quoted field is never closed (unbalanced quote)', ctx);
      case 'CSV_INVALID_CLOSING_QUOTE':
      case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
        return new IngestError(
          'CSV_SYNTAX',
          'unexpected character after a closing quote; quotes inside a quoted field must be doubled',
          ctx,
        );
      case 'CSV_MAX_RECORD_SIZE':
        return new IngestError(
          'SOURCE_TOO_LARGE',
          `a record exceeds ${MAX_CSV_RECORD_CHARS / 1024 / 1024} MiB; check the quoting or split the field into a file`,
          ctx,
        );
      default:
        return new IngestError('CSV_SYNTAX', `the CSV cannot be parsed (${err.code})`, ctx);
    }
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new IngestError('SOURCE_UNREADABLE', 'the source file does not exist', { file });
  if (code === 'EACCES') return new IngestError('SOURCE_UNREADABLE', 'the source file is not readable (permissions)', { file });
  if (code === 'EISDIR') return new IngestError('SOURCE_UNREADABLE', 'the source path is a directory, not a file', { file });
  return new IngestError('SOURCE_UNREADABLE', `the source file cannot be read (${code ?? 'unknown error'})`, { file }, { cause: err });
}
