import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBanner } from '../support/cli.js';
import { expectCleanRun, expectNotOnWire, expectPlatformExample, expectRegistration, readCsvRows, runFixture } from '../support/e2e.js';
import { expectCopies } from '../support/files.js';
import { csvToJson, expectRefused, fixtureFiles, useTextE2E, writeTwin, type Twin } from '../support/text-e2e.js';

const e = useTextE2E('textcls');

const DATASET = 'support-tickets';
const TEXTS = Array.from({ length: 12 }, (_, i) => `ticket_${String(i + 1).padStart(3, '0')}.txt`);

const sourceRows = () => readCsvRows(path.join(e.pvc, DATASET, 'labels.csv'));

describe('text_classification end to end', () => {
  it('runs the fixture: rows, copied texts and tokenizer.json, backend requests, clean banner', async () => {
    expectCleanRun(await runFixture(e, 'text_classification'), 13);

    const source = await sourceRows();
    const rows = await e.db.query<{ filename: string; extension: string; label: string; data_id: string; data_intent: string }>(
      'SELECT filename, extension, label, data_id, data_intent FROM support_tickets_train ORDER BY id',
    );
    expect(rows.map((x) => [x.filename, x.extension, x.label])).toEqual(source.map((c) => [c[0]!.replace(/\.txt$/, ''), '.txt', c[2]]));
    expect(new Set(rows.map((x) => x.data_intent))).toEqual(new Set(['train']));

    await expectCopies(path.join(e.pvc, 'support_tickets_train'), {
      ...Object.fromEntries(TEXTS.map((t) => [t, path.join(e.pvc, DATASET, 'texts', t)])),
      'tokenizer.json': path.join(e.pvc, DATASET, 'tokenizer.json'),
    });

    expectRegistration(e.backend.requests, 'support_tickets_train', 13);
    const sent = e.backend.requests[0]!.body as Array<Record<string, unknown>>;
    expect(sent.map((s) => [s['data_id'], s['label']])).toEqual(rows.map((x) => [x.data_id, x.label]));
    const meta = e.backend.requests[2]!.body as Record<string, unknown>;
    expect(meta).toEqual({
      table_name: 'support_tickets_train',
      schema: {},
      meta_data: { extension: '.txt', label_policy: { policy: 'passthrough' } },
    });
    expect(e.backend.requests[3]!.query).toMatchObject({ category: 'text_classification', data_format: 'text', data_intent: 'train' });
    expect(e.backend.requests[4]!.body).toMatchObject({ allow_feature_modification: false });
    // No file name and no text content leaves.
    expectNotOnWire(e.backend.requests, ['ticket_', 'refund']);
  });

  it('runs the platform example config onto a copy of the fixture PVC', async () => {
    await expectPlatformExample(e, { category: 'text_classification', rows: 13, ownDatabase: true }, async (pvc) => {
      expect((await readdir(path.join(pvc, 'support_tickets_train'))).length).toBe(13);
    });
  });

  it('runs from a JSON array source and warns about an unreferenced text', async () => {
    const files = await fixtureFiles(e.pvc, DATASET, [...TEXTS.map((t) => `texts/${t}`), 'tokenizer.json']);
    const csv = await readFile(path.join(e.pvc, DATASET, 'labels.csv'), 'utf8');
    const twin: Twin = {
      name: 'tickets-json',
      category: 'text_classification',
      source: 'labels.json',
      files: { ...files, 'labels.json': csvToJson(csv), 'texts/draft.txt': 'not referenced' },
    };
    const config = await writeTwin(e.pvc, twin);
    const r = await e.cli('run', config);
    expect(r.code, r.stderr).toBe(0);
    expect(parseBanner(r.stdout)).toMatchObject({ total: 13, inserted: 13, sent: 13 });
    expect(r.stderr).toMatch(/1 text file in \/data\/shared\/tickets-json\/texts\/ is not referenced[^\n]*draft\.txt/);
    const rows = await e.db.query<{ n: number }>('SELECT COUNT(DISTINCT filename) AS n FROM tickets_json_train');
    expect(Number(rows[0]!.n)).toBe(12);
    expect(await readdir(path.join(e.pvc, 'tickets_json_train'))).not.toContain('draft.txt');
  });

  it('refuses bad twins at plan, naming the file and the row, and a run of them leaves nothing', async () => {
    const outside = path.join(e.pvc, 'outside-secret.txt');
    await writeFile(outside, 'a secret outside the texts directory');
    const csv = (rows: string[]) => ['filename,extension,label', ...rows].join('\n') + '\n';
    await expectRefused(e, [
      {
        twin: {
          name: 'tickets-latin1',
          category: 'text_classification',
          files: {
            'labels.csv': csv(["ok,'.txt',billing", "latin,'.txt',billing"]),
            'texts/ok.txt': 'fine',
            'texts/latin.txt': Buffer.from('caf\xe9 au lait', 'latin1'),
          },
        },
        code: 'FILE_DECODE',
        row: 2,
        reference: 'latin',
        mentions: 'not valid UTF-8 (invalid byte sequence at byte 3, line 1)',
      },
      {
        twin: {
          name: 'tickets-dotdot',
          category: 'text_classification',
          files: { 'labels.csv': csv(["ok,'.txt',billing", "../labels.csv,'.txt',billing"]), 'texts/ok.txt': 'fine' },
        },
        code: 'FILE_OUTSIDE_ROOT',
        row: 2,
        reference: '../labels.csv',
        mentions: 'must not contain ".."',
      },
      {
        twin: {
          name: 'tickets-symlink',
          category: 'text_classification',
          files: {
            'labels.csv': csv(["ok,'.txt',billing", "ok,'.txt',billing", "escape,'.txt',billing"]),
            'texts/ok.txt': 'fine',
            'texts/escape.txt': { symlink: outside },
          },
        },
        code: 'FILE_OUTSIDE_ROOT',
        row: 3,
        reference: 'escape',
        mentions: 'resolves outside /data/shared/tickets-symlink/texts/ (symlink)',
      },
      {
        twin: {
          name: 'tickets-badtok',
          category: 'text_classification',
          files: {
            'labels.csv': csv(["ok,'.txt',billing"]),
            'texts/ok.txt': 'fine',
            'tokenizer.json': JSON.stringify({ model: { vocab: { '[UNK]': 0 } } }),
          },
        },
        code: 'FILE_DECODE',
        row: null,
        mentions: '/data/shared/tickets-badtok/tokenizer.json: tokenizer.json does not hold [PAD]',
      },
    ]);
  });
});
