import { createReadStream } from 'node:fs';
import { CsvError, parse } from 'csv-parse';
import { IngestError } from '../errors.js';
import type { SourcePlan } from '../config/types.js';
import { Utf8Decoder } from './utf8-decoder.js';
import type { OpenedSource, RawRecord } from './types.js';
import { checkHeader, columnIndexes } from './header.js';

/** Largest single CSV record accepted, in characters. Larger records are refused, not buffered. */
export const MAX_CSV_RECORD_CHARS = 64 * 1024 * 1024;

/**
 * Streams a CSV (RFC 4180; BOM and CRLF handled; a backslash is data unless configured as the
 * escape) as records whose cells follow `wanted`. Nothing is cast here.
 */
export async function openCsv(plan: SourcePlan, wanted: readonly string[]): Promise<OpenedSource> {
  const file = plan.configured;
  const input = createReadStream(plan.path);
  const decoder = new Utf8Decoder(file);
  const parser = parse({
    bom: true,
    delimiter: plan.delimiter,
    quote: plan.quote,
    escape: plan.escape,
    // No `info`: a per-record info object costs ~7% of a tabular run; parse errors carry their line.
    skip_empty_lines: true,
    relax_column_count: false,
    max_record_size: MAX_CSV_RECORD_CHARS,
  });
  input.on('error', (err) => parser.destroy(toSourceError(err, file)));
  decoder.on('error', (err) => parser.destroy(err));
  input.pipe(decoder).pipe(parser);

  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  let header: string[];
  let indexes: number[];
  try {
    const first = await next(iterator, file);
    if (first === undefined) {
      throw new IngestError('SOURCE_EMPTY', 'the CSV is empty: it needs a header row and at least one data row', {
        file,
      });
    }
    header = first;
    checkHeader(header, file);
    indexes = columnIndexes(header, wanted, file);
  } catch (err) {
    input.destroy();
    parser.destroy();
    throw err;
  }

  // The wanted columns are the header's first columns, in order (the common case): hand the
  // parsed record on as is; later cells are never read.
  const inOrder = indexes.every((idx, i) => idx === i);

  async function* records(): AsyncGenerator<RawRecord> {
    let row = 0;
    try {
      for (;;) {
        const item = await next(iterator, file);
        if (item === undefined) break;
        row++;
        if (inOrder) {
          yield { row, cells: item };
          continue;
        }
        const cells = new Array<string | undefined>(indexes.length);
        for (let i = 0; i < indexes.length; i++) cells[i] = item[indexes[i]!];
        yield { row, cells };
      }
    } finally {
      input.destroy();
      parser.destroy();
    }
  }

  return {
    available: header,
    records: records(),
    close: async () => {
      input.destroy();
      parser.destroy();
    },
  };
}

async function next(iterator: AsyncIterator<string[]>, file: string): Promise<string[] | undefined> {
  try {
    const r = await iterator.next();
    return r.done ? undefined : r.value;
  } catch (err) {
    throw toSourceError(err, file);
  }
}

/** csv-parse messages can quote source characters: build our own from the code. */
function toSourceError(err: unknown, file: string): IngestError {
  if (err instanceof IngestError) return err;
  if (err instanceof CsvError) {
    const ctx = { file, line: typeof err['lines'] === 'number' ? (err['lines'] as number) : undefined };
    switch (err.code) {
      case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      case 'CSV_RECORD_INCONSISTENT_COLUMNS':
        return new IngestError('CSV_RAGGED_ROW', 'the row has a different number of fields than the header', ctx);
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
