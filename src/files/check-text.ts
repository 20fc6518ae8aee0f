import { createReadStream } from 'node:fs';
import { IngestError } from '../errors.js';
import type { ResolvedFile } from './resolve-reference.js';
import { Utf8WordScanner } from './utf8-words.js';

/** Largest text or sequence file accepted: 16 MiB (one training sample, not a corpus). */
export const MAX_TEXT_BYTES = 16 * 1024 * 1024;

export interface TextInfo {
  /** Whitespace-separated words, as Python's `str.split()` counts them. */
  readonly words: number;
  readonly bytes: number;
}

/**
 * Streams a referenced text file once: refuses files over `maxBytes`, bytes that are not strict
 * UTF-8 (naming the byte offset and line, never the content) and files without a single word.
 * Memory stays constant whatever the size.
 */
export async function checkTextFile(file: ResolvedFile, maxBytes = MAX_TEXT_BYTES): Promise<TextInfo> {
  const reference = file.reference;
  const tooLarge = (bytes: number) =>
    new IngestError('FILE_TOO_LARGE', `the text file has ${bytes} bytes, over the limit of ${maxBytes} bytes`, { reference });
  if (file.size > maxBytes) throw tooLarge(file.size);

  const scanner = new Utf8WordScanner();
  // Reads at most maxBytes + 1 bytes, so a file that grew since it was listed is still bounded.
  const stream = createReadStream(file.path, { start: 0, end: maxBytes, highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const bad = scanner.push(chunk);
      if (bad >= 0) throw notUtf8(bad, scanner.line, reference);
      if (scanner.bytes > maxBytes) throw tooLarge(scanner.bytes);
    }
  } catch (err) {
    if (err instanceof IngestError) throw err;
    throw new IngestError('FILE_MISSING', `the text file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      reference,
    });
  } finally {
    stream.destroy();
  }
  const bad = scanner.end();
  if (bad >= 0) throw notUtf8(bad, scanner.line, reference);
  if (scanner.words === 0) {
    throw new IngestError(
      'FILE_DECODE',
      scanner.bytes === 0 ? 'the text file is empty (0 bytes)' : 'the text file holds only whitespace',
      { reference },
    );
  }
  return { words: scanner.words, bytes: scanner.bytes };
}

function notUtf8(offset: number, line: number, reference: string): IngestError {
  return new IngestError(
    'FILE_DECODE',
    `the text file is not valid UTF-8 (invalid byte sequence at byte ${offset}, line ${line}); re-save it as UTF-8`,
    { reference },
  );
}
