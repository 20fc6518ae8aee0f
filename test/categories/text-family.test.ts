import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IngestConfig } from '../../src/config/types.js';
import type { CheckedCells } from '../../src/records/record-checker.js';
import { checkedCells, planAndHandler, refusal, writeAll } from '../support/file-handlers.js';
import { tempDir } from '../support/tmp.js';

const TOKENIZER = JSON.stringify({ model: { type: 'WordLevel', vocab: { '[PAD]': 0, '[MASK]': 1, a: 2 } } });

/** A storage root with `ds/labels.csv` and `ds/<set>/` holding `files`. */
async function setup(config: Partial<IngestConfig>, files: Record<string, string | Buffer>, extra: Record<string, string> = {}) {
  const root = await tempDir('tb-textfam-');
  const set = config.category === 'masked_language_modeling' ? 'sequences' : 'texts';
  await mkdir(path.join(root, 'ds', set), { recursive: true });
  await writeFile(path.join(root, 'ds', 'labels.csv'), 'filename,label\n');
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(root, 'ds', set, name), content);
  for (const [name, content] of Object.entries(extra)) await writeFile(path.join(root, 'ds', name), content);
  const { plan, handler } = await planAndHandler(root, { table: 'texts_train', [set]: `/data/shared/ds/${set}/`, ...config });
  return { root, plan, handler, dir: path.join(root, 'ds', set) };
}

const cells = (fileReference: string, label: string | null = 'x', row = 1): CheckedCells => checkedCells(fileReference, { row, label });

describe('text_classification files', () => {
  const TC = { category: 'text_classification', label: 'label' } as const;

  it('checks and copies each referenced text once, and the optional tokenizer.json once', async () => {
    const { plan, handler } = await setup(TC, { 'a.txt': 'hello world', 'b.text': 'bye' }, { 'tokenizer.json': TOKENIZER });
    expect(await handler.checkDataset!()).toEqual([]);
    const records = [cells('a'), cells('b.text'), cells('a.txt')];
    for (const r of records) await handler.check(r);
    expect(await handler.afterCheck!()).toEqual([]);
    expect(await writeAll(plan, handler, records)).toEqual(['a.txt', 'b.text', 'tokenizer.json']);
    expect(await readFile(path.join(plan.destination, 'tokenizer.json'), 'utf8')).toBe(TOKENIZER);
    expect(plan.metaData).toEqual({ extension: '.txt' });
  });

  it('runs without a tokenizer.json, but refuses one without [PAD]', async () => {
    const without = await setup(TC, { 'a.txt': 'x' });
    expect(await without.handler.checkDataset!()).toEqual([]);
    expect(await writeAll(without.plan, without.handler, [cells('a')])).toEqual(['a.txt']);
    const bad = await setup(TC, { 'a.txt': 'x' }, { 'tokenizer.json': JSON.stringify({ model: { vocab: { '[MASK]': 0 } } }) });
    const [p] = await bad.handler.checkDataset!();
    expect(p?.describe()).toContain('/data/shared/ds/tokenizer.json: tokenizer.json does not hold [PAD]');
  });

  it('refuses references that leave the directory: .., absolute, symlink out', async () => {
    const outside = await tempDir('tb-out-');
    await writeFile(path.join(outside, 'secret.txt'), 'top secret');
    const { handler, dir } = await setup(TC, { 'a.txt': 'x' });
    await symlink(path.join(outside, 'secret.txt'), path.join(dir, 'link.txt'));
    expect((await refusal(handler, cells('../labels.csv'))).code).toBe('FILE_OUTSIDE_ROOT');
    expect((await refusal(handler, cells('../../outside'))).code).toBe('FILE_OUTSIDE_ROOT');
    expect((await refusal(handler, cells(path.join(outside, 'secret.txt')))).code).toBe('FILE_OUTSIDE_ROOT');
    const link = await refusal(handler, cells('link'));
    expect(link.code).toBe('FILE_OUTSIDE_ROOT');
    expect(link.context.reference).toBe('link');
    expect((await refusal(handler, cells('missing'))).code).toBe('FILE_MISSING');
  });

  it('follows a symlink that stays inside the directory', async () => {
    const { handler, dir } = await setup(TC, { 'a.txt': 'x y' });
    await symlink(path.join(dir, 'a.txt'), path.join(dir, 'alias.txt'));
    await expect(handler.check(cells('alias'))).resolves.toMatchObject({ primary: { stem: 'alias', extension: '.txt' } });
  });

  it('refuses a non-UTF-8 text, naming the file', async () => {
    const { handler } = await setup(TC, { 'latin.txt': Buffer.from('caf\xe9', 'latin1') });
    const err = await refusal(handler, cells('latin'));
    expect(err.code).toBe('FILE_DECODE');
    expect(err.context.reference).toBe('latin');
  });

  it('warns about files no record references (count and names only)', async () => {
    const { handler } = await setup(TC, { 'a.txt': 'x', 'b.txt': 'secret words', 'c.txt': 'y' });
    await handler.check(cells('a'));
    const [warning] = await handler.afterCheck!();
    expect(warning).toMatch(/^2 .*files? in \/data\/shared\/ds\/texts\/ .*not referenced .*\(b\.txt, c\.txt\)$/);
    expect(warning).not.toContain('secret');
  });

  it('refuses a text file that would overwrite tokenizer.json in the destination', async () => {
    const { handler } = await setup(
      { ...TC, spec: { file_options: { extension: '.json' } } },
      { 'tokenizer.json': '{"not": "the tokenizer"}' },
      { 'tokenizer.json': TOKENIZER },
    );
    expect((await refusal(handler, cells('tokenizer'))).code).toBe('FILE_NAME_COLLISION');
  });
});

describe('token_classification files', () => {
  const TOK = { category: 'token_classification', label: 'tags' } as const;

  it('accepts one IOB2 tag per word of the text', async () => {
    const { handler } = await setup(TOK, { 's.txt': 'Zoë Müller works at\n  Acme\u00a0GmbH' });
    await expect(handler.check(cells('s', 'B-PER I-PER O O B-ORG I-ORG'))).resolves.toBeDefined();
  });

  it('refuses a tag-count mismatch and bad tags, on the label column, without quoting tags', async () => {
    const { handler } = await setup(TOK, { 's.txt': 'John Smith works at Google' });
    const count = await refusal(handler, cells('s', 'B-PER I-PER O O'));
    expect(count.code).toBe('LABEL_INVALID');
    expect(count.context).toMatchObject({ field: 'tags', reference: 's' });
    expect(count.message).toBe('the label has 4 tags but the text file has 5 words; IOB2 needs exactly one tag per whitespace-separated word');
    const iob1 = await refusal(handler, cells('s', 'I-PER I-PER O O B-ORG'));
    expect(iob1.message).toContain('tag 1 of 5 is an I- tag');
    expect(iob1.message).not.toContain('PER');
  });

  it('has a TEXT label column and sends the edge-labels call', async () => {
    const { plan } = await setup(TOK, { 's.txt': 'x' });
    expect(plan.longLabel).toBe(true);
    expect(plan.sendsEdgeLabels).toBe(true);
  });
});

describe('masked_language_modeling files', () => {
  const MLM = { category: 'masked_language_modeling' } as const;

  it('copies sequences and the mandatory tokenizer.json', async () => {
    const { plan, handler } = await setup(MLM, { 'seq_1.txt': 'a b c' }, { 'tokenizer.json': TOKENIZER });
    expect(plan.label).toBeNull();
    expect(plan.sendsEdgeLabels).toBe(false);
    expect(await handler.checkDataset!()).toEqual([]);
    await handler.check(cells('seq_1', null));
    expect(await writeAll(plan, handler, [cells('seq_1', null)])).toEqual(['seq_1.txt', 'tokenizer.json']);
  });

  it('refuses a dataset without tokenizer.json, and one without [MASK]', async () => {
    const without = await setup(MLM, { 'seq_1.txt': 'a' });
    const [missing] = await without.handler.checkDataset!();
    expect(missing?.code).toBe('FILE_MISSING');
    expect(missing?.describe()).toBe(
      '/data/shared/ds/tokenizer.json: masked_language_modeling needs a tokenizer.json holding [MASK] and [PAD] in /data/shared/ds/, the directory of the source file; none was found [FILE_MISSING]',
    );
    // The write pass re-checks presence rather than copying nothing.
    await expect(without.handler.afterWrite!()).rejects.toMatchObject({ code: 'FILE_MISSING' });
    const noMask = await setup(MLM, { 'seq_1.txt': 'a' }, { 'tokenizer.json': JSON.stringify({ added_tokens: [{ content: '[PAD]' }] }) });
    const [p] = await noMask.handler.checkDataset!();
    expect(p?.message).toContain('does not hold [MASK]');
  });
});
