import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { RUNTIMES } from '../../src/categories/registry.js';

const EXAMPLES = path.resolve(import.meta.dirname, '..', 'fixtures', 'platform-examples');

describe('tracebloc-ingest validate', async () => {
  const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml')).sort();

  it('covers every platform example', () => {
    expect(files).toHaveLength(12);
  });

  it.each(files)('%s: valid, or refused clearly as not supported yet', async (file) => {
    const r = await runCli(['validate', path.join(EXAMPLES, file), '--json']);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { valid: boolean; errors?: Array<{ code: string; message: string }> };
    const category = file.replace('.yaml', '');
    if (file === 'custom_processor.yaml') {
      // The schema accepts it; the runtime refuses a Python processor instead of skipping it.
      expect(r.code).toBe(2);
      expect(out.errors?.[0]?.message).toContain('Python');
    } else if (category in RUNTIMES) {
      expect(r.code, r.stderr).toBe(0);
      expect(out.valid).toBe(true);
    } else {
      expect(r.code).toBe(2);
      expect(out.errors?.[0]?.code).toBe('CONFIG_UNSUPPORTED_CATEGORY');
      expect(out.errors?.[0]?.message).toContain('not supported yet');
    }
  });

  it('reports two mistakes at once, each with line:column', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'ingest.yaml');
    await writeFile(
      file,
      [
        'apiVersion: tracebloc.io/v1',
        'kind: IngestConfig',
        'table: 9bad-name',
        'intent: training',
        'category: tabular_classification',
        'csv: /data/shared/a.csv',
        'schema:',
        '  age: INT',
        'label: age',
        '',
      ].join('\n'),
    );
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ingest\.yaml:3:8.*table/);
    expect(r.stderr).toMatch(/ingest\.yaml:4:9.*intent/);
    expect(r.stderr.indexOf(':3:8')).toBeLessThan(r.stderr.indexOf(':4:9'));
  });

  it('exits non-zero naming INGEST_CONFIG when started with no env (the image smoke contract)', async () => {
    const r = await runCli([]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('INGEST_CONFIG');
  });

  it('refuses an unknown CLIENT_ENV', async () => {
    const r = await runCli([], { env: { PATH: process.env['PATH'] ?? '', INGEST_CONFIG: path.join(EXAMPLES, 'image_classification.yaml'), MYSQL_HOST: '127.0.0.1', DB_USER: 'x', BACKEND_TOKEN: 't', CLIENT_ENV: 'qa' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLIENT_ENV');
    expect(r.stderr).not.toContain(' t ');
  });
});
