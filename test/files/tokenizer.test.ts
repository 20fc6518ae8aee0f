import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SourcePlan } from '../../src/config/types.js';
import { checkTokenizer, locateTokenizer, missingTokens, type TokenizerRule } from '../../src/files/tokenizer.js';
import { tempDir } from '../support/tmp.js';

const MLM: TokenizerRule = { required: true, tokens: ['[MASK]', '[PAD]'] };

const hf = (vocab: unknown, added: string[] = []) =>
  JSON.stringify({ version: '1.0', model: { type: 'WordLevel', vocab }, added_tokens: added.map((content, id) => ({ id, content, special: true })) });

async function datasetWith(tokenizer: string | Buffer | null): Promise<{ dir: string; source: SourcePlan }> {
  const dir = await tempDir('tb-tok-');
  await writeFile(path.join(dir, 'labels.csv'), 'filename\n');
  if (tokenizer !== null) await writeFile(path.join(dir, 'tokenizer.json'), tokenizer);
  const source: SourcePlan = { kind: 'csv', path: path.join(dir, 'labels.csv'), configured: '/data/shared/ds/labels.csv', delimiter: ',', quote: '"', escape: '"' };
  return { dir, source };
}

async function problemOf(tokenizer: string | Buffer, rule = MLM) {
  const { source } = await datasetWith(tokenizer);
  const found = await locateTokenizer(source);
  if (found.kind !== 'found') throw new Error(`expected a tokenizer, got ${found.kind}`);
  return checkTokenizer(found.file, source, 'masked_language_modeling', rule);
}

describe('missingTokens', () => {
  it('finds special tokens in added_tokens or in the vocab (object or Unigram list)', () => {
    expect(missingTokens(JSON.parse(hf({ '[PAD]': 0, a: 1 }, ['[MASK]'])), MLM.tokens)).toEqual([]);
    expect(missingTokens({ model: { vocab: [['[PAD]', 0], ['[MASK]', -1]] } }, MLM.tokens)).toEqual([]);
    expect(missingTokens(JSON.parse(hf({ '[PAD]': 0 })), MLM.tokens)).toEqual(['[MASK]']);
    expect(missingTokens({}, MLM.tokens)).toEqual(['[MASK]', '[PAD]']);
    expect(missingTokens({ added_tokens: [{ content: 5 }, null, '[PAD]'] }, ['[PAD]'])).toEqual(['[PAD]']);
  });
});

describe('tokenizer.json beside the source', () => {
  it('is found in the directory holding the CSV, or reported absent', async () => {
    const present = await datasetWith(hf({ '[PAD]': 0, '[MASK]': 1 }));
    expect(await locateTokenizer(present.source)).toMatchObject({ kind: 'found', file: { path: path.join(present.dir, 'tokenizer.json') } });
    const absent = await datasetWith(null);
    expect(await locateTokenizer(absent.source)).toEqual({ kind: 'absent' });
  });

  it('accepts a tokenizer with the required tokens', async () => {
    expect(await problemOf(hf({ '[PAD]': 0, '[MASK]': 1, the: 2 }))).toBeNull();
  });

  it('refuses one without [MASK], naming the file and the missing token', async () => {
    const p = await problemOf(hf({ '[PAD]': 0, the: 1 }, ['[PAD]']));
    expect(p?.code).toBe('FILE_DECODE');
    expect(p?.describe()).toBe(
      '/data/shared/ds/tokenizer.json: tokenizer.json does not hold [MASK] (looked in added_tokens and model.vocab); masked_language_modeling needs [MASK] and [PAD] [FILE_DECODE]',
    );
  });

  it('refuses invalid JSON without quoting it', async () => {
    const p = await problemOf('{"model": {"vocab": {"secret-token": 0,}}}');
    expect(p?.message).toBe('tokenizer.json is not valid UTF-8 JSON');
    expect(p?.describe()).not.toContain('secret');
  });

  it('refuses non-UTF-8 bytes and a non-object document', async () => {
    expect((await problemOf(Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d])))?.message).toContain('not valid UTF-8 JSON');
    expect((await problemOf('[1,2]'))?.message).toContain('must be a JSON object');
  });

  it('refuses a tokenizer.json that is a symlink out of the directory', async () => {
    const outside = await tempDir('tb-outside-');
    await writeFile(path.join(outside, 'tokenizer.json'), hf({ '[PAD]': 0, '[MASK]': 1 }));
    const { dir, source } = await datasetWith(null);
    await symlink(path.join(outside, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    const found = await locateTokenizer(source);
    expect(found.kind).toBe('problem');
    if (found.kind === 'problem') {
      expect(found.error.code).toBe('FILE_OUTSIDE_ROOT');
      expect(found.error.context.file).toBe('/data/shared/ds/tokenizer.json');
    }
  });

  it('refuses a tokenizer.json that is a directory', async () => {
    const { dir, source } = await datasetWith(null);
    await mkdir(path.join(dir, 'tokenizer.json'));
    expect(await locateTokenizer(source)).toMatchObject({ kind: 'problem', error: { code: 'FILE_MISSING' } });
  });
});
