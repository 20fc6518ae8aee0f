import { splitWords } from './utf8-words.js';

/**
 * IOB2 tag sequences (token_classification labels): one tag per whitespace-separated word, each
 * `O`, `B-<type>` or `I-<type>` with a non-empty type. Strict IOB2: an entity starts with `B-`, so
 * `I-<type>` must follow `B-<type>` or `I-<type>` of the same type; an `I-` tag at the start, after
 * `O` or after another type (IOB1 style) is refused. Messages give positions, never tags.
 */

/** The label's tags, split as Python's `str.split()` splits (any run of whitespace). */
export function splitTags(label: string): string[] {
  return splitWords(label);
}

/** MySQL TEXT holds 65,535 bytes; the label column of token_classification is TEXT. */
export const MAX_TAG_SEQUENCE_BYTES = 65_535;

/** Returns what is wrong with the tag sequence, or null when it is valid IOB2. */
export function iob2Problem(tags: readonly string[]): string | null {
  if (tags.length === 0) return 'the label holds no tags';
  let open: string | null = null; // type of the entity the previous tag belongs to
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i]!;
    const where = `tag ${i + 1} of ${tags.length}`;
    if (tag === 'O') {
      open = null;
      continue;
    }
    const prefix = tag.slice(0, 2);
    const type = tag.slice(2);
    if ((prefix !== 'B-' && prefix !== 'I-') || type === '') {
      return `${where} is not O, B-<type> or I-<type> (IOB2 tags are case-sensitive)`;
    }
    if (prefix === 'I-' && open !== type) {
      return `${where} is an I- tag that does not continue a B-/I- tag of the same type; IOB2 starts every entity with B-`;
    }
    open = type;
  }
  return null;
}

/** Checks a label against a word count; returns the problem or null. */
export function tagSequenceProblem(label: string, words: number): string | null {
  if (Buffer.byteLength(label, 'utf8') > MAX_TAG_SEQUENCE_BYTES) {
    return `the label is longer than ${MAX_TAG_SEQUENCE_BYTES} bytes (the MySQL TEXT limit)`;
  }
  const tags = splitTags(label);
  const syntax = iob2Problem(tags);
  if (syntax !== null) return syntax;
  if (tags.length !== words) {
    return `the label has ${tags.length} tag${tags.length === 1 ? '' : 's'} but the text file has ${words} word${
      words === 1 ? '' : 's'
    }; IOB2 needs exactly one tag per whitespace-separated word`;
  }
  return null;
}
