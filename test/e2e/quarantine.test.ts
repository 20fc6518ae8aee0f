import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, parseBanner, runCli } from '../support/cli.js';
import { useServices } from '../support/e2e.js';
import { tempDir } from '../support/tmp.js';

const TOKEN = 'q-token';
const svc = useServices('quarantine', TOKEN);
let root: string;

beforeAll(async () => {
  root = await tempDir('tb-q-');
  await mkdir(path.join(root, 'q'));
  const rows = ['x,y'];
  for (let i = 1; i <= 100; i++) rows.push(i % 25 === 0 ? `BAD-${i},a` : `${i},${i % 2 ? 'a' : 'b'}`);
  await writeFile(path.join(root, 'q', 'd.csv'), rows.join('\n') + '\n');
});

async function run(table: string, spec: string) {
  const config = path.join(root, `${table}.yaml`);
  await writeFile(
    config,
    `apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: ${table}\nintent: train\ncategory: tabular_classification\ncsv: q/d.csv\nschema:\n  x: INT\nlabel: y\n${spec}`,
  );
  svc.backend.requests.length = 0;
  return runCli([], { env: svc.env({ INGEST_CONFIG: config, STORAGE_ROOT: root }) });
}

describe('quarantine instead of all-or-nothing, when asked', () => {
  it('by default one invalid row refuses the whole run', async () => {
    const r = await run('q_default', '');
    expect(r.code).toBe(3);
    expect(await svc.db.tableExists('q_default')).toBe(false);
  });

  it('within max_invalid_rows: invalid rows are left out, listed without values, counted as skipped', async () => {
    const r = await run('q_ok', 'spec:\n  on_invalid_row: quarantine\n  max_invalid_rows: "5%"\n');
    expect(r.code, r.stderr).toBe(5);
    expect(parseBanner(r.stdout)).toMatchObject({ total: 100, processed: 96, inserted: 96, sent: 96, skipped: 4 });
    const [count] = await svc.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM q_ok');
    expect(Number(count!.n)).toBe(96);
    expect(svc.backend.requests.filter((q) => q.path === '/dataset/')).toHaveLength(1);
    const line = r.stderr.split('\n').find((l) => l.includes('quarantine file'))!;
    const file = (JSON.parse(line) as { quarantine: string }).quarantine;
    expect(file.startsWith(path.join(root, '.tracebloc-ingest'))).toBe(true);
    const entries = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries).toEqual([25, 50, 75, 100].map((row) => ({ row, code: 'CAST_INVALID', column: 'x' })));
    expect(await readFile(file, 'utf8')).not.toContain('BAD-');
    expect(r.stdout + r.stderr).not.toContain('BAD-');
    const runs = await svc.db.query<{ status: string; skipped: number }>("SELECT status, skipped FROM tracebloc_ingest_runs WHERE table_name = 'q_ok'");
    expect(runs).toEqual([{ status: 'quarantined', skipped: 4 }]);
  });

  it('past max_invalid_rows: refused before anything is written', async () => {
    const r = await run('q_over', 'spec:\n  on_invalid_row: quarantine\n  max_invalid_rows: 3\n');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('QUARANTINE_LIMIT');
    expect(await svc.db.tableExists('q_over')).toBe(false);
    expect(svc.backend.requests).toHaveLength(0);
  });

  it('--json carries the run record: counts, timings, ids, config hash, egress', async () => {
    const config = path.join(root, 'q_ok.yaml');
    const r = await runCli(['run', config, '--storage-root', root, '--json'], {
      env: svc.env({ TRACEBLOC_INGEST_CORRELATION_ID: 'c-1' }),
      cwd: root,
    });
    // Already done: the same ingest is not redone.
    const summary = lastJsonLine(r.stdout);
    expect(summary).toMatchObject({ status: 'quarantined', exit_code: 5, resumed: true, table: 'q_ok', correlation_id: 'c-1' });
    expect(summary['config_hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(summary['timings_ms']).toHaveProperty('checkMs');
  });
});
