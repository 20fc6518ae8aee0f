import { describe, expect, it } from 'vitest';
import { iob2Problem, MAX_TAG_SEQUENCE_BYTES, splitTags, tagSequenceProblem } from '../../src/files/iob2.js';

describe('IOB2 tag sequences', () => {
  it.each([
    'O',
    'B-PER I-PER O O B-ORG',
    'B-LOC O O',
    'B-PER B-PER I-PER',
    'B-ORG I-ORG I-ORG O B-MISC',
    'B-geo-loc I-geo-loc',
    'B-PER  I-PER\tO',
  ])('accepts %j', (label) => {
    expect(iob2Problem(splitTags(label))).toBeNull();
  });

  it.each([
    ['', 'no tags'],
    ['   ', 'no tags'],
    ['B-PER X', 'tag 2 of 2 is not O'],
    ['o', 'tag 1 of 1 is not O'],
    ['b-PER', 'tag 1 of 1 is not O'],
    ['B-', 'tag 1 of 1 is not O'],
    ['B_PER', 'tag 1 of 1 is not O'],
    ['S-PER', 'tag 1 of 1 is not O'],
    ['I-PER O', 'tag 1 of 2 is an I- tag'],
    ['B-PER O I-PER', 'tag 3 of 3 is an I- tag'],
    ['B-PER I-LOC', 'tag 2 of 2 is an I- tag'],
  ])('refuses %j', (label, message) => {
    expect(iob2Problem(splitTags(label))).toContain(message);
  });

  it('never quotes a tag in its message', () => {
    expect(iob2Problem(['B-SECRETTYPE', 'I-OTHERSECRET'])).not.toMatch(/SECRET/);
    expect(iob2Problem(['SECRET'])).not.toMatch(/SECRET/);
  });

  it('needs exactly one tag per word', () => {
    expect(tagSequenceProblem('B-PER I-PER O', 3)).toBeNull();
    expect(tagSequenceProblem('B-PER I-PER O', 4)).toBe(
      'the label has 3 tags but the text file has 4 words; IOB2 needs exactly one tag per whitespace-separated word',
    );
    expect(tagSequenceProblem('O', 2)).toContain('has 1 tag but the text file has 2 words');
    // Syntax is reported before the count.
    expect(tagSequenceProblem('I-PER', 2)).toContain('I- tag');
  });

  it('refuses a sequence longer than a MySQL TEXT column', () => {
    const words = Math.ceil(MAX_TAG_SEQUENCE_BYTES / 2) + 1;
    expect(tagSequenceProblem(Array(words).fill('O').join(' '), words)).toContain('longer than 65535 bytes');
  });
});
