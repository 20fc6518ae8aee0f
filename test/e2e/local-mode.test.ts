import { readFile, writeFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bannerIsClean, cleanEnv, copyFixturePvc, FIXTURES, lastJsonLine, parseBanner, runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

let pvc: string;
beforeAll(async () => {
  pvc = await copyFixturePvc();
});

const readLines = async (file: string) =>
  (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('local mode (no MySQL, no backend)', () => {
  it('the README quick start: rows and an egress record a person can read', async () => {
    const cwd = await tempDir();
    const r = await runCli(['run', path.join(FIXTURES, 'tabular_regression', 'ingest.yaml'), '--storage-root', pvc], { cwd, env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^mode: local — rows → .*rows\.ndjson; backend → dry run/);
    expect(bannerIsClean(parseBanner(r.stdout))).toBe(true);
    const out = path.join(cwd, 'ingest-out', 'house_prices_train');
    const rows = await readLines(path.join(out, 'rows.ndjson'));
    expect(rows).toHaveLength(60);
    expect(Object.keys(rows[0]!)).toEqual([
      'data_id', 'label', 'data_intent', 'filename', 'extension', 'annotation', 'ingestor_id',
      'square_feet', 'bedrooms', 'bathrooms', 'age_years', 'price',
    ]);
    const egress = await readLines(path.join(out, 'egress.ndjson'));
    expect(egress.map((e) => `${String(e['method'])} ${String(e['path'])} ${String(e['outcome'])}`)).toEqual([
      'POST /global_meta/house_prices_train/ not-sent',
      'GET /global_meta/generate-edge-labels-meta/ not-sent',
      'POST /global_meta/global_metadata/ not-sent',
      'GET /global_meta/prepare/ not-sent',
      'POST /dataset/ not-sent',
    ]);
    const labels = (egress[0]!['body'] as Array<{ label: number }>).map((e) => e.label);
    expect(labels.every((l) => Number.isInteger(l) && l >= 0 && l < 5)).toBe(true);
    expect(r.stdout + r.stderr + JSON.stringify(egress)).not.toContain(String(rows[0]!['price']));
  });

  it('plan checks everything, writes nothing and previews the egress', async () => {
    const cwd = await tempDir();
    const r = await runCli(['plan', path.join(FIXTURES, 'image_classification', 'ingest.yaml'), '--storage-root', pvc], { cwd, env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('9 records checked, all valid; 8 files checked');
    expect(r.stdout).toContain('POST /global_meta/chest_xrays_train/  ×1 (9 rows)');
    expect(r.stdout).toContain('"label":"<class value of column \\"image_label\\">"');
    expect(r.stdout).toContain('POST /dataset/');
    expect(r.stdout).not.toContain('INGESTION SUMMARY');
    expect(await readdir(cwd)).toEqual([]);
    await expect(readdir(path.join(pvc, 'chest_xrays_train'))).rejects.toThrow();
  });

  it('plan reports every bad row with its row and column, never the value', async () => {
    const dir = path.join(pvc, 'bad');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'd.csv'), 'x,when,y\n1,2024-01-01,a\nSECRETVALUE,2024-01-02,b\n3,01/02/2024,c\n4,2024-01-04,\n');
    const config = path.join(dir, 'i.yaml');
    await writeFile(config, 'apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: bad_rows\nintent: train\ncategory: tabular_classification\ncsv: bad/d.csv\nschema:\n  x: INT\n  when: DATE\nlabel: y\n');
    const r = await runCli(['plan', config, '--storage-root', pvc, '--json'], { env: cleanEnv() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('row 2 column "x"');
    expect(r.stderr).toContain('CAST_INVALID');
    expect(r.stderr).toContain('row 3 column "when"');
    expect(r.stderr).toContain('CAST_AMBIGUOUS_DATE');
    expect(r.stderr).toContain('row 4 column "y"');
    expect(r.stderr).toContain('LABEL_MISSING');
    expect(r.stdout + r.stderr).not.toContain('SECRETVALUE');
    const summary = lastJsonLine(r.stdout) as { status: string; problem_count: number };
    expect(summary).toMatchObject({ status: 'rejected', problem_count: 3 });
  });

  it('reads a JSON source like a CSV one', async () => {
    const dir = path.join(pvc, 'json-churn');
    await mkdir(dir, { recursive: true });
    const rows = Array.from({ length: 25 }, (_, i) => ({ age: 20 + i, plan: i % 2 ? 'a' : 'b', churned: i % 3 === 0 ? 'yes' : 'no' }));
    await writeFile(path.join(dir, 'c.json'), JSON.stringify(rows, null, 2));
    const config = path.join(dir, 'i.yaml');
    await writeFile(config, 'apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: json_churn\nintent: train\ncategory: tabular_classification\njson: json-churn/c.json\nschema:\n  age: INT\n  plan: VARCHAR(8)\nlabel: churned\n');
    const out = await tempDir();
    const r = await runCli(['run', config, '--storage-root', pvc, '--out', out], { env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    const written = await readLines(path.join(out, 'rows.ndjson'));
    expect(written.map((w) => [w['age'], w['plan'], w['label']])).toEqual(rows.map((x) => [x.age, x.plan, x.churned]));
  });

  it('data_id from a column is an explicit opt-in, warned about by column name only', async () => {
    const out = await tempDir();
    const dir = path.join(pvc, 'ids');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'd.csv'), 'pid,x,y\nP-001,1,a\nP-002,2,b\n');
    const config = path.join(dir, 'i.yaml');
    await writeFile(config, 'apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: ids_train\nintent: train\ncategory: tabular_classification\ncsv: ids/d.csv\nschema:\n  x: INT\nlabel: y\ndata_id:\n  strategy: column\n  column: pid\n');
    const r = await runCli(['run', config, '--storage-root', pvc, '--out', out], { env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/data_id.*pid/);
    expect(r.stderr).not.toContain('P-001');
    const egress = await readLines(path.join(out, 'egress.ndjson'));
    expect((egress[0]!['body'] as Array<{ data_id: string }>).map((e) => e.data_id)).toEqual(['P-001', 'P-002']);
  });
});
