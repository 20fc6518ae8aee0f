import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bannerIsClean, copyFixturePvc, FIXTURES, lastJsonLine, parseBanner, runCli } from '../support/cli.js';
import { expectCleanRun, expectNotOnWire, expectRegistration, readCsvRows, runFixture, useE2E, wireOf } from '../support/e2e.js';

const TOKEN = 'test-token-5f1c9a';

const e = useE2E('e2e', TOKEN);
const run = (category: string) => runFixture(e, category);

describe('run against MySQL and a loopback backend', () => {
  it('tabular_regression with policy bucket keeps exact prices in MySQL and sends only bin indexes', async () => {
    const r = await run('tabular_regression');
    expectCleanRun(r, 60);

    const sourceRows = await readCsvRows(path.join(e.pvc, 'house-prices', 'houses.csv'));
    const prices = sourceRows.map((c) => c[4]!);
    const rows = await e.db.query<{ label: string; price: number; square_feet: number; data_id: string; data_intent: string }>(
      'SELECT label, price, square_feet, data_id, data_intent FROM house_prices_train ORDER BY id',
    );
    expect(rows.map((x) => x.label)).toEqual(prices);
    expect(rows.map((x) => Number(x.price))).toEqual(prices.map(Number));
    expect(new Set(rows.map((x) => x.data_intent))).toEqual(new Set(['train']));

    expectRegistration(e.backend.requests, 'house_prices_train', 60);
    const sent = e.backend.requests[0]!.body as Array<Record<string, unknown>>;
    expect(sent.map((e) => e['data_id'])).toEqual(rows.map((x) => x.data_id));
    for (const e of sent) {
      expect(Object.keys(e).sort()).toEqual(['data_id', 'data_intent', 'injestor_id', 'is_sample', 'label']);
      expect(Number.isInteger(e['label'])).toBe(true);
      expect(e['label']).toBeGreaterThanOrEqual(0);
      expect(e['label']).toBeLessThan(5);
    }
    const meta = e.backend.requests[2]!.body as { schema: Record<string, string>; meta_data: Record<string, unknown> };
    expect(meta.schema).toEqual({ square_feet: 'FLOAT', bedrooms: 'INT', bathrooms: 'FLOAT', age_years: 'INT', price: 'FLOAT' });
    const policy = meta.meta_data['label_policy'] as { policy: string; strategy: string; bins: number; cut_points: number[] };
    expect(policy.policy).toBe('bucket');
    expect(policy.strategy).toBe('quantile');
    expect(policy.cut_points.length).toBe(policy.bins - 1);
    expect(new Set(sent.map((e) => e['label'])).size).toBe(policy.bins);

    // Nothing of the data leaves: no exact target, no feature value, anywhere in what was sent
    // (ids are random UUIDs and blanked out first so their hex digits cannot match by chance).
    const ids = new Set([...rows.map((x) => x.data_id), String(sent[0]!['injestor_id'])]);
    const wire = wireOf(e.backend.requests).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, (m) => (ids.has(m) ? '<id>' : m));
    for (const cells of sourceRows) {
      for (const cell of cells.filter((c) => c.length >= 3)) {
        const token = new RegExp(`(?<![\\w.])${cell.replaceAll('.', '\\.')}(?![\\w.])`);
        expect(wire).not.toMatch(token);
      }
    }
    const numbers = (wire.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
    for (const p of prices.map(Number)) expect(numbers).not.toContain(p);
    expect(Math.min(...prices.map(Number))).not.toBe(Math.min(...policy.cut_points));

    const summary = lastJsonLine(r.stdout);
    const runs = await e.db.query<{ status: string; inserted: number; table_name: string }>(
      'SELECT status, inserted, table_name FROM tracebloc_ingest_runs WHERE ingestor_id = ?',
      [summary['ingestor_id']],
    );
    expect(runs).toEqual([{ status: 'succeeded', inserted: 60, table_name: 'house_prices_train' }]);
  });

  it('image_classification inserts rows and copies each referenced image once', async () => {
    const r = await run('image_classification');
    expectCleanRun(r, 9);
    const copied = (await readdir(path.join(e.pvc, 'chest_xrays_train'))).sort();
    expect(copied).toEqual(Array.from({ length: 8 }, (_, i) => `xray_00${i + 1}.jpeg`));
    const rows = await e.db.query<{ filename: string; extension: string; label: string }>(
      'SELECT filename, extension, label FROM chest_xrays_train ORDER BY id',
    );
    expect(rows).toHaveLength(9);
    expect(rows[0]).toEqual({ filename: 'xray_001', extension: '.jpeg', label: 'normal' });
    expect(rows[8]).toEqual({ filename: 'xray_001', extension: '.jpeg', label: 'normal' });
    const meta = e.backend.requests.find((q) => q.path === '/global_meta/global_metadata/')!.body as { meta_data: Record<string, unknown> };
    expect(meta.meta_data).toMatchObject({ target_size: [256, 256], extension: '.jpeg' });
    const prepare = e.backend.requests.find((q) => q.path === '/global_meta/prepare/')!;
    expect(prepare.query).toMatchObject({ category: 'image_classification', data_format: 'image', data_intent: 'train' });
    expectNotOnWire(e.backend.requests, ['xray_']);
  });

  it.each(['tabular_classification', 'time_series_forecasting', 'time_to_event_prediction'])('%s runs clean', async (category) => {
    const r = await run(category);
    expect(r.code, r.stderr).toBe(0);
    expect(bannerIsClean(parseBanner(r.stdout))).toBe(true);
    const summary = lastJsonLine(r.stdout) as { table: string; counters: { inserted: number } };
    const [count] = await e.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${summary.table}\``);
    expect(Number(count!.n)).toBe(summary.counters.inserted);
    const dataset = e.backend.requests.find((q) => q.path === '/dataset/')!.body as Record<string, unknown>;
    expect(dataset['allow_feature_modification']).toBe(category === 'tabular_classification');
  });

  it('refuses a CSV with one bad cell in row 5000 of 10000 before writing anything', async () => {
    const dir = path.join(e.pvc, 'big');
    await mkdir(dir, { recursive: true });
    const lines = ['a,b,y'];
    for (let i = 1; i <= 10_000; i++) lines.push(i === 5000 ? `${i},oops,1` : `${i},${i * 2},${i % 2}`);
    await writeFile(path.join(dir, 'big.csv'), lines.join('\n') + '\n');
    const config = path.join(dir, 'ingest.yaml');
    await writeFile(
      config,
      ['apiVersion: tracebloc.io/v1', 'kind: IngestConfig', 'table: big_train', 'intent: train', 'category: tabular_classification',
        'csv: /data/shared/big/big.csv', 'schema:', '  a: INT', '  b: INT', '  y: INT', 'label: y', ''].join('\n'),
    );
    e.backend.requests.length = 0;
    const r = await runCli(['run', config, '--storage-root', e.pvc, '--out', path.join(e.pvc, '.out', 'big')], { env: e.env() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('row 5000');
    expect(r.stderr).toContain('column "b"');
    expect(r.stderr).toContain('CAST_INVALID');
    expect(r.stderr).not.toContain('oops');
    expect(await e.db.tableExists('big_train')).toBe(false);
    expect(e.backend.requests).toHaveLength(0);
    const banner = parseBanner(r.stdout);
    expect(banner).toMatchObject({ total: 10_000, processed: 9_999, inserted: 0, sent: 0 });
  });

  it('container mode: a re-run of a finished ingest is a no-op; another config on the same table is refused', async () => {
    const root = await copyFixturePvc();
    const config = path.join(FIXTURES, 'tabular_classification', 'ingest.yaml');
    const [before] = await e.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM churn_train');
    e.backend.requests.length = 0;
    const again = await runCli([], { env: e.env({ INGEST_CONFIG: config, STORAGE_ROOT: root }) });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('already completed');
    expect(e.backend.requests).toHaveLength(0);
    expect(parseBanner(again.stdout)).toMatchObject({ total: 40, inserted: 40, sent: 40 });
    const [after] = await e.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM churn_train');
    expect(after!.n).toBe(before!.n);

    const other = path.join(root, 'other.yaml');
    await writeFile(other, (await readFile(config, 'utf8')).replace('intent: train', 'intent: test'));
    const refused = await runCli([], { env: e.env({ INGEST_CONFIG: other, STORAGE_ROOT: root }) });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('TABLE_NOT_EMPTY');
    expect(e.backend.requests).toHaveLength(0);
  });

  it('a backend that refuses the token fails the run with the auth exit status and registers nothing', async () => {
    const root = await copyFixturePvc();
    e.backend.requests.length = 0;
    const r = await runCli([], {
      env: e.env({
        INGEST_CONFIG: path.join(FIXTURES, 'tabular_classification', 'ingest.yaml'),
        STORAGE_ROOT: root,
        DB_NAME: `${e.db.name}_auth`,
        BACKEND_TOKEN: 'wrong-token',
      }),
    });
    expect(r.code).toBe(77);
    expect(r.stdout + r.stderr).not.toContain('wrong-token');
    expect(r.stderr).toContain('BACKEND_AUTH');
    expect(e.backend.requests.map((q) => q.path)).toEqual(['/global_meta/churn_train/']);
    expect(parseBanner(r.stdout)).toMatchObject({ total: 40, inserted: 40, sent: 0 });
    // Container mode logs JSON and says where the egress record is.
    const egressLine = r.stderr.split('\n').find((l) => l.includes('egress record written'));
    expect(egressLine).toBeDefined();
    const egressPath = (JSON.parse(egressLine!) as { egress: string }).egress;
    expect(egressPath.startsWith(path.join(root, '.tracebloc-ingest'))).toBe(true);
    const egress = (await readFile(egressPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(egress).toHaveLength(1);
    expect(egress[0]).toMatchObject({ method: 'POST', outcome: 'failed', status: 401 });
    await e.db.query(`DROP DATABASE IF EXISTS \`${e.db.name}_auth\``);
  });
});
