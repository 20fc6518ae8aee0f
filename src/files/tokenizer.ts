import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { IngestError } from '../errors.js';
import type { Category, FileSetPlan, SourcePlan } from '../config/types.js';
import { realDirectory, resolveReference, type ResolvedFile } from './resolve-reference.js';

/**
 * `tokenizer.json` of the text family: a Hugging Face `tokenizers` file that lives in the directory
 * holding the CSV/JSON source (for the platform layout `<dataset>/labels.csv`, `<dataset>/texts/`,
 * that is the dataset root). It must stay inside that directory (a symlink out is refused), be
 * strict UTF-8 JSON, and hold the special tokens the category needs, looked up in
 * `added_tokens[].content` and in the keys of `model.vocab` (or the tokens of a Unigram vocab list).
 */
export const TOKENIZER_FILE = 'tokenizer.json';

/** Largest tokenizer.json accepted: 64 MiB (large multilingual tokenizers are ~35 MB). */
export const MAX_TOKENIZER_BYTES = 64 * 1024 * 1024;

export interface TokenizerRule {
  /** Whether the category refuses to run without one. */
  readonly required: boolean;
  /** Special tokens it must hold. */
  readonly tokens: readonly string[];
}

export type TokenizerLookup =
  | { readonly kind: 'found'; readonly file: ResolvedFile }
  | { readonly kind: 'absent' }
  | { readonly kind: 'problem'; readonly error: IngestError };

/** The tokenizer.json location for a source: the directory holding it, as configured and on disk. */
export function tokenizerDirectory(source: SourcePlan): FileSetPlan {
  return { dir: path.dirname(source.path), configured: path.posix.dirname(source.configured), extension: '.json' };
}

/** The tokenizer.json path as the customer wrote it, for messages. */
export function tokenizerShownPath(source: SourcePlan): string {
  return path.posix.join(tokenizerDirectory(source).configured, TOKENIZER_FILE);
}

/** Looks for tokenizer.json beside the source; never throws. */
export async function locateTokenizer(source: SourcePlan): Promise<TokenizerLookup> {
  const set = tokenizerDirectory(source);
  try {
    await lstat(path.join(set.dir, TOKENIZER_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return { kind: 'absent' };
    }
  }
  try {
    const realDir = await realDirectory(set);
    return { kind: 'found', file: await resolveReference(TOKENIZER_FILE, set, realDir) };
  } catch (err) {
    const e = err instanceof IngestError ? err : new IngestError('FILE_MISSING', 'tokenizer.json cannot be opened');
    return { kind: 'problem', error: new IngestError(e.code, e.message, { file: tokenizerShownPath(source) }) };
  }
}

/** The problem with a missing tokenizer, when the rule requires one. */
export function missingTokenizer(source: SourcePlan, category: Category, rule: TokenizerRule): IngestError {
  const dir = tokenizerDirectory(source).configured;
  return new IngestError(
    'FILE_MISSING',
    `${category} needs a ${TOKENIZER_FILE} holding ${rule.tokens.join(' and ')} in ${dir}/, the directory of the source file; none was found`,
    { file: tokenizerShownPath(source) },
  );
}

/** Reads and checks a found tokenizer.json; returns its problem or null. */
export async function checkTokenizer(
  file: ResolvedFile,
  source: SourcePlan,
  category: Category,
  rule: TokenizerRule,
): Promise<IngestError | null> {
  const at = { file: tokenizerShownPath(source) };
  if (file.size > MAX_TOKENIZER_BYTES) {
    return new IngestError('FILE_TOO_LARGE', `${TOKENIZER_FILE} has ${file.size} bytes, over the limit of ${MAX_TOKENIZER_BYTES}`, at);
  }
  let bytes: Buffer;
  try {
    bytes = await readBounded(file.path, MAX_TOKENIZER_BYTES);
  } catch (err) {
    return new IngestError('FILE_MISSING', `${TOKENIZER_FILE} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, at);
  }
  if (bytes.length > MAX_TOKENIZER_BYTES) {
    return new IngestError('FILE_TOO_LARGE', `${TOKENIZER_FILE} is over the limit of ${MAX_TOKENIZER_BYTES} bytes`, at);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    // The parser's own message quotes the file; it is not passed on.
    return new IngestError('FILE_DECODE', `${TOKENIZER_FILE} is not valid UTF-8 JSON`, at);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return new IngestError('FILE_DECODE', `${TOKENIZER_FILE} must be a JSON object (a Hugging Face tokenizers file)`, at);
  }
  const missing = missingTokens(doc, rule.tokens);
  if (missing.length > 0) {
    return new IngestError(
      'FILE_DECODE',
      `${TOKENIZER_FILE} does not hold ${missing.join(' and ')} (looked in added_tokens and model.vocab); ${category} needs ${rule.tokens.join(' and ')}`,
      at,
    );
  }
  return null;
}

/** The required tokens a parsed tokenizer.json lacks. */
export function missingTokens(doc: unknown, tokens: readonly string[]): string[] {
  const known = knownTokens(doc);
  return tokens.filter((t) => !known.has(t));
}

function knownTokens(doc: unknown): Set<string> {
  const known = new Set<string>();
  if (!isObject(doc)) return known;
  const added = doc['added_tokens'];
  if (Array.isArray(added)) {
    for (const t of added) if (isObject(t) && typeof t['content'] === 'string') known.add(t['content']);
  }
  const model = doc['model'];
  const vocab = isObject(model) ? model['vocab'] : undefined;
  if (isObject(vocab)) {
    for (const k of Object.keys(vocab)) known.add(k);
  } else if (Array.isArray(vocab)) {
    // Unigram: [[token, score], ...]
    for (const entry of vocab) {
      if (typeof entry === 'string') known.add(entry);
      else if (Array.isArray(entry) && typeof entry[0] === 'string') known.add(entry[0]);
    }
  }
  return known;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads at most `max + 1` bytes (so a file that grew past the limit is noticed, not loaded). */
async function readBounded(file: string, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = createReadStream(file, { start: 0, end: max });
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
