import { IngestError } from '../errors.js';

/** Largest single JSON element accepted, in characters. */
export const MAX_JSON_ELEMENT_CHARS = 64 * 1024 * 1024;

export interface JsonElement {
  /** The element's JSON text. */
  readonly text: string;
  /** 1-based element index. */
  readonly index: number;
  /** 1-based line where the element starts. */
  readonly line: number;
}

type State = 'start' | 'array' | 'element' | 'after-element' | 'done';

/**
 * The pure core of the JSON reader: fed text chunks, it cuts a top-level array (or a single
 * top-level object) into the texts of its elements without parsing them, so memory is bounded by
 * the largest element, not the file.
 */
export class JsonSplitter {
  private state: State = 'start';
  private single = false;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: string[] = [];
  private size = 0;
  private line = 1;
  private startLine = 1;
  private index = 0;

  constructor(private readonly file: string) {}

  /** Feeds one chunk; returns the elements completed by it. */
  push(chunk: string): JsonElement[] {
    const out: JsonElement[] = [];
    let segmentStart = -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) this.line++;
      switch (this.state) {
        case 'start':
          if (isSpace(c) || c === 0xfeff) continue;
          if (c === 91 /* [ */) {
            this.state = 'array';
          } else if (c === 123 /* { */) {
            this.single = true;
            this.beginElement();
            this.depth = 1;
            segmentStart = i;
          } else {
            throw this.error('the JSON source must be an array of objects or a single object');
          }
          continue;
        case 'array':
          if (isSpace(c)) continue;
          if (c === 93 /* ] */ && this.index === 0) {
            this.state = 'done';
            continue;
          }
          if (c !== 123) throw this.error('every element of the JSON array must be an object');
          this.beginElement();
          this.depth = 1;
          segmentStart = i;
          continue;
        case 'element': {
          if (segmentStart < 0) segmentStart = i;
          if (this.inString) {
            if (this.escaped) this.escaped = false;
            else if (c === 92 /* \ */) this.escaped = true;
            else if (c === 34 /* " */) this.inString = false;
            continue;
          }
          if (c === 34) this.inString = true;
          else if (c === 123 || c === 91) this.depth++;
          else if (c === 125 || c === 93) {
            this.depth--;
            if (this.depth === 0) {
              this.append(chunk.slice(segmentStart, i + 1));
              segmentStart = -1;
              out.push({ text: this.parts.join(''), index: this.index, line: this.startLine });
              this.parts = [];
              this.size = 0;
              this.state = this.single ? 'done' : 'after-element';
            }
          }
          continue;
        }
        case 'after-element':
          if (isSpace(c)) continue;
          if (c === 44 /* , */) this.state = 'array';
          else if (c === 93) this.state = 'done';
          else throw this.error('expected "," or "]" after an array element');
          continue;
        case 'done':
          if (isSpace(c)) continue;
          throw this.error('unexpected content after the end of the JSON document');
      }
    }
    if (this.state === 'element' && segmentStart >= 0) this.append(chunk.slice(segmentStart));
    return out;
  }

  /** Call at end of input. */
  end(): void {
    if (this.state === 'start') throw new IngestError('SOURCE_EMPTY', 'the JSON source is empty', { file: this.file });
    if (this.state !== 'done') throw this.error('the JSON document ends before it is complete');
  }

  private beginElement(): void {
    this.state = 'element';
    this.index++;
    this.startLine = this.line;
    this.inString = false;
    this.escaped = false;
  }

  private append(s: string): void {
    this.size += s.length;
    if (this.size > MAX_JSON_ELEMENT_CHARS) {
      throw new IngestError('SOURCE_TOO_LARGE', 'a JSON element exceeds 64 MiB', { file: this.file, row: this.index });
    }
    this.parts.push(s);
  }

  private error(message: string): IngestError {
    return new IngestError('JSON_SYNTAX', message, { file: this.file, line: this.line });
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}
