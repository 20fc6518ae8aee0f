import { Transform, type TransformCallback } from 'node:stream';
import { IngestError } from '../errors.js';

/**
 * Decodes a byte stream as strict UTF-8 (a BOM is kept for the parser to drop). Invalid bytes are
 * an error naming the file and the approximate line, never silently replaced with U+FFFD.
 */
export class Utf8Decoder extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private line = 1;

  constructor(private readonly file: string) {
    // Strings are passed on as strings (object mode on the readable side): no re-encoding.
    super({ readableObjectMode: true, decodeStrings: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.emitDecoded(chunk, true, done);
  }

  override _flush(done: TransformCallback): void {
    this.emitDecoded(new Uint8Array(0), false, done);
  }

  private emitDecoded(bytes: Uint8Array, stream: boolean, done: TransformCallback): void {
    let text: string;
    try {
      text = this.decoder.decode(bytes, { stream });
    } catch {
      done(
        new IngestError('SOURCE_ENCODING', 'the file is not valid UTF-8; re-save it as UTF-8', {
          file: this.file,
          line: this.line + newlinesBefore(bytes, firstInvalidOffset(bytes)),
        }),
      );
      return;
    }
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.line++;
    done(null, text);
  }
}

function newlinesBefore(bytes: Uint8Array, end: number): number {
  let n = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) n++;
  return n;
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (error path only). */
function firstInvalidOffset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0) return i;
    for (let k = 1; k < len; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if ((c & 0xc0) !== 0x80) return i;
    }
    i += len;
  }
  return bytes.length;
}
