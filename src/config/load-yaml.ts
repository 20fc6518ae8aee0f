/**
 * YAML loading that keeps source positions, so that every config problem can be reported
 * as `file:line:column`.
 */

import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document, YAMLError } from 'yaml';
import { IngestError, IngestErrors } from '../errors.js';

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
}

export interface LoadedYaml {
  text: string;
  data: unknown;
  /**
   * Position of the value a JSON pointer (`/label/policy`, `/schema/age`, `/spec/processors/0`) names.
   * A missing property resolves to its parent mapping; the root (``) to 1:1.
   */
  locate(pointer: string): Position;
  /** Like `locate`, but for a property the position of its key (`foo` in `foo: 1`). */
  locateKey(pointer: string): Position;
}

/**
 * Alias expansions allowed while building the data (`toJS` counts expansions times alias
 * fan-out). An ingest.yaml needs few or no aliases; this stops "billion laughs" documents.
 */
const MAX_ALIAS_COUNT = 50;

const ROOT: Position = { line: 1, column: 1 };

export function parseYaml(text: string, file: string): LoadedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const position = (offset: number | undefined): Position => {
    if (offset === undefined) return ROOT;
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  const problems = [...doc.errors, ...doc.warnings].map((e) => syntaxError(doc, e, file, position));
  if (problems.length > 0) throw new IngestErrors(sortByPosition(problems));

  const data = toData(doc, file);
  return {
    text,
    data,
    locate: (pointer) => position(resolve(doc, pointer).value),
    locateKey: (pointer) => {
      const found = resolve(doc, pointer);
      return position(found.key ?? found.value);
    },
  };
}

function syntaxError(doc: Document, e: YAMLError, file: string, position: (offset: number) => Position): IngestError {
  const { line, column } = position(e.pos[0]);
  const message = e.code === 'DUPLICATE_KEY' ? duplicateKeyMessage(doc, e.pos[0]) : e.message;
  return new IngestError('CONFIG_YAML_SYNTAX', message, { file, line, column });
}

function duplicateKeyMessage(doc: Document, offset: number): string {
  let name: string | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        name = String(pair.key.value).slice(0, 64);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return name === undefined ? 'duplicate key: each key may appear only once in a mapping' : `duplicate key \`${name}\``;
}

function toData(doc: Document, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    const message =
      cause instanceof ReferenceError
        ? `too many YAML alias expansions (more than ${MAX_ALIAS_COUNT}); write the values out instead of using anchors`
        : 'the YAML document could not be converted to data';
    throw new IngestErrors([new IngestError('CONFIG_YAML_SYNTAX', message, { file }, { cause })]);
  }
}

/** Source offsets of what a pointer names: its value, and its key when it is a mapping entry. */
interface Resolved {
  value: number | undefined;
  key: number | undefined;
}

function resolve(doc: Document, pointer: string): Resolved {
  if (pointer === '') return { value: 0, key: undefined };
  let node: unknown = doc.contents;
  let key: number | undefined;
  for (const segment of parsePointer(pointer)) {
    if (isAlias(node)) node = node.resolve(doc);
    const start = startOf(node);
    const next = child(node, segment);
    if (next === undefined) return { value: start ?? 0, key: undefined };
    // An entry without a value (`label:`) has a null scalar (or nothing) where its value would be.
    node = next.value;
    key = next.key;
    if (startOf(node) === undefined) return { value: key ?? start ?? 0, key };
  }
  return { value: startOf(node), key };
}

function child(node: unknown, segment: string): { value: unknown; key: number | undefined } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => keyText(p.key) === segment);
    if (pair === undefined) return undefined;
    return { value: pair.value, key: startOf(pair.key) };
  }
  if (isSeq(node) && /^(0|[1-9][0-9]*)$/.test(segment)) {
    const item: unknown = node.items[Number(segment)];
    return item === undefined ? undefined : { value: item, key: undefined };
  }
  return undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function startOf(node: unknown): number | undefined {
  return isNode(node) ? node.range?.[0] : undefined;
}

/** Split a JSON pointer (RFC 6901) into unescaped reference tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function sortByPosition(errors: IngestError[]): IngestError[] {
  return errors.sort((a, b) => (a.context.line ?? 0) - (b.context.line ?? 0) || (a.context.column ?? 0) - (b.context.column ?? 0));
}
