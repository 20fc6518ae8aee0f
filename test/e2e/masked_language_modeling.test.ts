import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bannerIsClean, copyFixturePvc, FIXTURES, lastJsonLine, parseBanner, REPO } from '../support/cli.js';
import { csvToJson, expectRefused, fixtureFiles, startE2E, writeTwin, type E2E } from '../support/text-e2e.js';

let e: E2E;
beforeAll(async () => {
  e = await startE2E('mlm');
});
afterAll(async () => {
  await e?.close();
});

const DATASET = 'primekg-mlm';
const SEQUENCES = Array.from({ length: 10 }, (_, i) => `seq_${String(i + 1).padStart(7, '0')}.txt`);
const TOKENIZER = (vocab: Record<string, number>) => JSON.stringify({ model: { type: 'WordLevel', vocab } });
const csv = (rows: string[]) => ['filename,extension', ...rows].join('\n') + '\n';

describe('masked_language_modeling end to end', () => {
  it('runs the fixture: no label, sequences and tokenizer.json copied, no edge-labels call, clean banner', async () => {
    e.backend.requests.length = 0;
    const r = await e.cli('run', path.join(FIXTURES, 'masked_language_modeling', 'ingest.yaml'));
    expect(r.code, r.stderr).toBe(0);
    const banner = parseBanner(r.stdout);
    expect(banner).toMatchObject({ total: 10, processed: 10, inserted: 10, sent: 10 });
    expect(bannerIsClean(banner)).toBe(true);

    const rows = await e.db.query<{ filename: string; extension: string; label: string | null; data_id: string }>(
      'SELECT filename, extension, label, data_id FROM primekg_mlm_train ORDER BY id',
    );
    expect(rows.map((x) => [x.filename, x.extension, x.label])).toEqual(SEQUENCES.map((s) => [s.replace('.txt', ''), '.txt', null]));

    const dest = path.join(e.pvc, 'primekg_mlm_train');
    expect((await readdir(dest)).sort()).toEqual([...SEQUENCES, 'tokenizer.json'].sort());
    const tokenizer = await readFile(path.join(dest, 'tokenizer.json'));
    expect(tokenizer.equals(await readFile(path.join(e.pvc, DATASET, 'tokenizer.json')))).toBe(true);

    expect(e.backend.requests.map((q) => `${q.method} ${q.path}`)).toEqual([
      'POST /global_meta/primekg_mlm_train/',
      'POST /global_meta/global_metadata/',
      'GET /global_meta/prepare/',
      'POST /dataset/',
    ]);
    const sent = e.backend.requests[0]!.body as Array<Record<string, unknown>>;
    expect(sent.map((s) => s['data_id'])).toEqual(rows.map((x) => x.data_id));
    for (const s of sent) expect(s).toMatchObject({ label: null, is_sample: false, data_intent: 'train' });
    expect((e.backend.requests[1]!.body as { meta_data: unknown }).meta_data).toEqual({ extension: '.txt' });
    expect(e.backend.requests[2]!.query).toMatchObject({ category: 'masked_language_modeling', data_format: 'text' });
    const wire = e.backend.requests.map((q) => q.rawBody).join('\n');
    expect(wire).not.toContain('seq_');
    expect(wire).not.toContain('phenotype_present');
    expect(lastJsonLine(r.stdout)['status']).toBe('succeeded');
  });

  it('runs the platform example config onto a copy of the fixture PVC', async () => {
    const pvc = await copyFixturePvc();
    const r = await e.cli('run', path.join(REPO, 'test', 'fixtures', 'platform-examples', 'masked_language_modeling.yaml'), {
      pvc,
      env: { DB_NAME: `${e.db.name}_ex` },
    });
    try {
      expect(r.code, r.stderr).toBe(0);
      expect(bannerIsClean(parseBanner(r.stdout))).toBe(true);
      expect(await readdir(path.join(pvc, 'primekg_mlm_train'))).toContain('tokenizer.json');
    } finally {
      await e.db.query(`DROP DATABASE IF EXISTS \`${e.db.name}_ex\``);
      await rm(pvc, { recursive: true, force: true });
    }
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
