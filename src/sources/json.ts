import { createReadStream } from 'node:fs';
import { IngestError } from '../errors.js';
import type { SourcePlan } from '../config/types.js';
import { JsonSplitter, type JsonElement } from './json-splitter.js';
import { Utf8Decoder } from './utf8-decoder.js';
import type { OpenedSource, RawCell, RawRecord } from './types.js';
import { columnIndexes } from './header.js';

/**
 * Streams a JSON array of flat objects (or one object) as records whose cells follow `wanted`.
 * Nested values (objects, arrays) are passed on as their JSON text.
 */
export async function openJson(plan: SourcePlan, wanted: readonly string[], onBytes?: (chunk: Buffer) => void): Promise<OpenedSource> {
  const file = plan.configured;
  const input = createReadStream(plan.path);
  // No encoding is set on the stream: its chunks are Buffers.
  if (onBytes) input.on('data', (chunk) => onBytes(chunk as Buffer));
  const text = input.pipe(new Utf8Decoder(file));
  input.on('error', (err) => text.destroy(err));
  const elements = splitElements(text as AsyncIterable<string>, file);

  let first: IteratorResult<JsonElement>;
  let firstObject: Record<string, unknown>;
  let available: string[];
  try {
    first = await elements.next().catch((err: unknown) => {
      throw toReadError(err, file);
    });
    if (first.done) {
      throw new IngestError('SOURCE_EMPTY', 'the JSON source holds no records', { file });
    }
    firstObject = parseElement(first.value, file);
    available = Object.keys(firstObject);
    columnIndexes(available, wanted, file);
  } catch (err) {
    input.destroy();
    throw err;
  }

  async function* records(): AsyncGenerator<RawRecord> {
    try {
      yield toRecord(first.value as JsonElement, firstObject, wanted);
      for (;;) {
        const r = await elements.next().catch((err: unknown) => {
          throw toReadError(err, file);
        });
        if (r.done) break;
        yield toRecord(r.value, parseElement(r.value, file), wanted);
      }
    } finally {
      input.destroy();
    }
  }

  return { available, records: records(), close: async () => void input.destroy() };
}

async function* splitElements(text: AsyncIterable<string>, file: string): AsyncGenerator<JsonElement> {
  const splitter = new JsonSplitter(file);
  for await (const chunk of text) yield* splitter.push(chunk);
  splitter.end();
}

function parseElement(el: JsonElement, file: string): Record<string, unknown> {
  try {
    return JSON.parse(el.text) as Record<string, unknown>;
  } catch {
    throw new IngestError('JSON_SYNTAX', 'the element is not valid JSON', { file, row: el.index, line: el.line });
  }
}

function toRecord(el: JsonElement, obj: Record<string, unknown>, wanted: readonly string[]): RawRecord {
  const cells = wanted.map((name): RawCell => {
    const v = obj[name];
    if (v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      return v;
    }
    return JSON.stringify(v);
  });
  return { row: el.index, line: el.line, cells };
}

function toReadError(err: unknown, file: string): IngestError {
  if (err instanceof IngestError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new IngestError('SOURCE_UNREADABLE', 'the source file does not exist', { file });
  return new IngestError('SOURCE_UNREADABLE', `the source file cannot be read (${code ?? 'unknown error'})`, { file });
}
