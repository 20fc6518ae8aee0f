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
    super({ readableObjectMode: false, decodeStrings: true });
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
          line: this.line,
        }),
      );
      return;
    }
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.line++;
    done(null, text);
  }
}
