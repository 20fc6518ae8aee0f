import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectCleanRun, expectNotOnWire, expectPlatformExample, expectRegistration, readCsvRows, runFixture } from '../support/e2e.js';
import { expectCopies } from '../support/files.js';
import { csvToJson, expectRefused, useTextE2E, writeTwin } from '../support/text-e2e.js';

const e = useTextE2E('tokcls');

const DATASET = 'ner';
const TEXTS = Array.from({ length: 8 }, (_, i) => `sentence_${String(i + 1).padStart(2, '0')}.txt`);
const csv = (rows: string[]) => ['filename,extension,label', ...rows].join('\n') + '\n';

describe('token_classification end to end', () => {
  it('runs the fixture: tag sequences in a TEXT label column, copied texts, backend requests, clean banner', async () => {
    expectCleanRun(await runFixture(e, 'token_classification'), 8);

    const source = await readCsvRows(path.join(e.pvc, DATASET, 'labels.csv'));
    const rows = await e.db.query<{ filename: string; extension: string; label: string; data_id: string }>(
      'SELECT filename, extension, label, data_id FROM ner_conll_train ORDER BY id',
    );
    expect(rows.map((x) => [x.filename, x.extension, x.label])).toEqual(source.map((c) => [c[0], '.txt', c[2]]));
    const [column] = await e.db.query<{ t: string }>(
      "SELECT DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'ner_conll_train' AND COLUMN_NAME = 'label'",
      [e.db.name],
    );
    expect(column!.t.toLowerCase()).toBe('text');

    // No tokenizer.json in this dataset: only the texts are copied.
    await expectCopies(path.join(e.pvc, 'ner_conll_train'), Object.fromEntries(TEXTS.map((t) => [t, path.join(e.pvc, DATASET, 'texts', t)])));

    expectRegistration(e.backend.requests, 'ner_conll_train', 8);
    const sent = e.backend.requests[0]!.body as Array<Record<string, unknown>>;
    expect(sent.map((s) => [s['data_id'], s['label']])).toEqual(rows.map((x) => [x.data_id, x.label]));
    expect((e.backend.requests[2]!.body as { meta_data: unknown }).meta_data).toEqual({ extension: '.txt', label_policy: { policy: 'passthrough' } });
    expect(e.backend.requests[3]!.query).toMatchObject({ category: 'token_classification', data_format: 'text' });
    expectNotOnWire(e.backend.requests, ['sentence_', 'Berlin']);
  });

  it('runs the platform example config onto a copy of the fixture PVC', async () => {
    await expectPlatformExample(e, { category: 'token_classification', rows: 8, ownDatabase: true });
  });

  it('runs from a JSON array source and keeps tag sequences far longer than 255 characters', async () => {
    const words = Array.from({ length: 400 }, (_, i) => (i % 10 === 0 ? 'Berlin' : 'word'));
    const tags = words.map((w) => (w === 'Berlin' ? 'B-LOC' : 'O')).join(' ');
    const rows = csv(["short,'.txt',B-PER I-PER O", `long,'.txt',${tags}`]);
    const config = await writeTwin(e.pvc, {
      name: 'ner-json',
      category: 'token_classification',
      source: 'labels.json',
      files: { 'labels.json': csvToJson(rows), 'texts/short.txt': 'Ada Lovelace wrote', 'texts/long.txt': words.join(' ') },
    });
    const r = await e.cli('run', config);
    expect(r.code, r.stderr).toBe(0);
    const stored = await e.db.query<{ label: string }>('SELECT label FROM ner_json_train ORDER BY id');
    expect(stored.map((x) => x.label)).toEqual(['B-PER I-PER O', tags]);
    expect(tags.length).toBeGreaterThan(255);
  });

  it('refuses bad twins at plan, naming the file and the row, and a run of them leaves nothing', async () => {
    await expectRefused(e, [
      {
        twin: {
          name: 'ner-count',
          category: 'token_classification',
          files: {
            'labels.csv': csv(["a,'.txt',B-PER I-PER O", "b,'.txt',B-ORG O O"]),
            'texts/a.txt': 'John Smith works',
            'texts/b.txt': 'Google opened an office',
          },
        },
        code: 'LABEL_INVALID',
        row: 2,
        reference: 'b',
        mentions: 'column "label" file "b": the label has 3 tags but the text file has 4 words',
      },
      {
        twin: {
          name: 'ner-iob1',
          category: 'token_classification',
          files: { 'labels.csv': csv(["a,'.txt',O I-PER I-PER"]), 'texts/a.txt': 'Hello John Smith' },
        },
        code: 'LABEL_INVALID',
        row: 1,
        reference: 'a',
        mentions: 'tag 2 of 3 is an I- tag that does not continue a B-/I- tag of the same type',
      },
      {
        twin: {
          name: 'ner-latin1',
          category: 'token_classification',
          files: { 'labels.csv': csv(["a,'.txt',B-PER"]), 'texts/a.txt': Buffer.from('Jos\xe9', 'latin1') },
        },
        code: 'FILE_DECODE',
        row: 1,
        reference: 'a',
        mentions: 'not valid UTF-8',
      },
    ]);
  });
});
