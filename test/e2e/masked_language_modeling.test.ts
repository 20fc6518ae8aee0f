import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBanner } from '../support/cli.js';
import { expectCleanRun, expectNotOnWire, expectPlatformExample, expectRegistration, runFixture } from '../support/e2e.js';
import { expectCopies } from '../support/files.js';
import { csvToJson, expectRefused, fixtureFiles, useTextE2E, writeTwin } from '../support/text-e2e.js';

const e = useTextE2E('mlm');

const DATASET = 'primekg-mlm';
const SEQUENCES = Array.from({ length: 10 }, (_, i) => `seq_${String(i + 1).padStart(7, '0')}.txt`);
const TOKENIZER = (vocab: Record<string, number>) => JSON.stringify({ model: { type: 'WordLevel', vocab } });
const csv = (rows: string[]) => ['filename,extension', ...rows].join('\n') + '\n';

describe('masked_language_modeling end to end', () => {
  it('runs the fixture: no label, sequences and tokenizer.json copied, no edge-labels call, clean banner', async () => {
    expectCleanRun(await runFixture(e, 'masked_language_modeling'), 10);

    const rows = await e.db.query<{ filename: string; extension: string; label: string | null; data_id: string }>(
      'SELECT filename, extension, label, data_id FROM primekg_mlm_train ORDER BY id',
    );
    expect(rows.map((x) => [x.filename, x.extension, x.label])).toEqual(SEQUENCES.map((s) => [s.replace('.txt', ''), '.txt', null]));

    await expectCopies(path.join(e.pvc, 'primekg_mlm_train'), {
      ...Object.fromEntries(SEQUENCES.map((s) => [s, path.join(e.pvc, DATASET, 'sequences', s)])),
      'tokenizer.json': path.join(e.pvc, DATASET, 'tokenizer.json'),
    });

    expectRegistration(e.backend.requests, 'primekg_mlm_train', 10, { edgeLabels: false });
    const sent = e.backend.requests[0]!.body as Array<Record<string, unknown>>;
    expect(sent.map((s) => s['data_id'])).toEqual(rows.map((x) => x.data_id));
    for (const s of sent) expect(s).toMatchObject({ label: null, is_sample: false, data_intent: 'train' });
    expect((e.backend.requests[1]!.body as { meta_data: unknown }).meta_data).toEqual({ extension: '.txt' });
    expect(e.backend.requests[2]!.query).toMatchObject({ category: 'masked_language_modeling', data_format: 'text' });
    expectNotOnWire(e.backend.requests, ['seq_', 'phenotype_present']);
  });

  it('runs the platform example config onto a copy of the fixture PVC', async () => {
    await expectPlatformExample(e, { category: 'masked_language_modeling', rows: 10, ownDatabase: true }, async (pvc) => {
      expect(await readdir(path.join(pvc, 'primekg_mlm_train'))).toContain('tokenizer.json');
    });
  });

  it('runs from a JSON array source', async () => {
    const files = await fixtureFiles(e.pvc, DATASET, [...SEQUENCES.map((s) => `sequences/${s}`), 'tokenizer.json']);
    const config = await writeTwin(e.pvc, {
      name: 'mlm-json',
      category: 'masked_language_modeling',
      source: 'labels.json',
      files: { ...files, 'labels.json': csvToJson(await readFile(path.join(e.pvc, DATASET, 'labels_file.csv'), 'utf8')) },
    });
    e.backend.requests.length = 0;
    const r = await e.cli('run', config);
    expect(r.code, r.stderr).toBe(0);
    expect(parseBanner(r.stdout)).toMatchObject({ total: 10, inserted: 10, sent: 10 });
    expect(e.backend.requests.some((q) => q.path.includes('edge-labels'))).toBe(false);
    expect(await readdir(path.join(e.pvc, 'mlm_json_train'))).toContain('tokenizer.json');
  });

  it('refuses bad twins at plan, naming the file (and the row), and a run of them leaves nothing', async () => {
    const outside = path.join(e.pvc, 'outside-sequence.txt');
    await writeFile(outside, 'a secret sequence');
    const ok = { 'sequences/s1.txt': 'Aspirin target Migraine' };
    await expectRefused(e, [
      {
        twin: { name: 'mlm-notok', category: 'masked_language_modeling', files: { 'labels.csv': csv(["s1,'.txt'"]), ...ok } },
        code: 'FILE_MISSING',
        row: null,
        mentions: 'masked_language_modeling needs a tokenizer.json holding [MASK] and [PAD] in /data/shared/mlm-notok/',
      },
      {
        twin: {
          name: 'mlm-nomask',
          category: 'masked_language_modeling',
          files: { 'labels.csv': csv(["s1,'.txt'"]), ...ok, 'tokenizer.json': TOKENIZER({ '[PAD]': 0, '[UNK]': 1 }) },
        },
        code: 'FILE_DECODE',
        row: null,
        mentions: '/data/shared/mlm-nomask/tokenizer.json: tokenizer.json does not hold [MASK]',
      },
      {
        twin: {
          name: 'mlm-symlink',
          category: 'masked_language_modeling',
          files: {
            'labels.csv': csv(["s1,'.txt'", "escape,'.txt'"]),
            ...ok,
            'sequences/escape.txt': { symlink: outside },
            'tokenizer.json': TOKENIZER({ '[PAD]': 0, '[MASK]': 1 }),
          },
        },
        code: 'FILE_OUTSIDE_ROOT',
        row: 2,
        reference: 'escape',
        mentions: '(symlink)',
      },
    ]);
  });
});
