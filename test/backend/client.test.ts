import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BackendClient, type RowMeta } from '../../src/backend/client.js';
import { DryRunTransport } from '../../src/backend/dry-run-transport.js';
import { EgressLog, type EgressEntry } from '../../src/backend/egress-log.js';
import { HttpTransport } from '../../src/backend/http-transport.js';
import { IngestError } from '../../src/errors.js';
import { dataIdAssigner } from '../../src/keys/data-id.js';
import { deferredJsonIdsOf, jsonIdsOf, madeJsonIds } from '../../src/keys/json-ids.js';
import type { HeldRows } from '../../src/backend/row-bodies.js';
import { startFakeBackend, type FakeBackend } from '../support/fake-backend.js';

const TOKEN = 'client-test-token-7f3a';

/** The body `sendHeldRows` sends for one batch of held rows, as text. */
const body = (client: BackendClient, held: HeldRows): string => client.rowsBody([held]).toString('utf8');

let fake: FakeBackend;
let dir: string;
let transport: HttpTransport;

beforeEach(async () => {
  fake = await startFakeBackend({ token: TOKEN });
  dir = await mkdtemp(join(tmpdir(), 'egress-'));
  transport = new HttpTransport({ baseUrl: fake.url, token: TOKEN, baseDelayMs: 5, proxyEnv: {} });
});

afterEach(async () => {
  await transport.close();
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

async function readLog(file: string): Promise<EgressEntry[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as EgressEntry);
}

const rows: RowMeta[] = [
  { data_id: 'a1', data_intent: 'train', label: 'cat' },
  { data_id: 'a2', data_intent: 'train', label: 3 },
  { data_id: 'a3', data_intent: 'train', label: null },
];

describe('BackendClient against the fake backend', () => {
  it('makes the five calls with the exact paths, queries and bodies', async () => {
    const egress = await EgressLog.open(join(dir, 'egress.jsonl'));
    const client = new BackendClient(transport, { table: 'my_table', ingestorId: 'ing-42', intent: 'train', egress });

    await client.sendRows(rows);
    await client.generateEdgeLabels();
    await client.sendGlobalMetadata(
      { age: 'INT', name: 'VARCHAR(255)' },
      { number_of_columns: 2, label_policy: { policy: 'bucket', cut_points: [1.5] } },
    );
    await client.prepare('tabular_regression', 'tabular');
    const reg = await client.registerDataset('tabular_regression_ing-42', false);
    expect(reg).toEqual({ id: 1, title: 'tabular_regression_ing-42' });
    expect(client.requestCount).toBe(5);

    const r = fake.requests;
    expect(r.map((x) => [x.method, x.path, x.status])).toEqual([
      ['POST', '/global_meta/my_table/', 201],
      ['GET', '/global_meta/generate-edge-labels-meta/', 200],
      ['POST', '/global_meta/global_metadata/', 201],
      ['GET', '/global_meta/prepare/', 200],
      ['POST', '/dataset/', 201],
    ]);
    expect(r.every((x) => x.authMatched)).toBe(true);
    expect(r[0]?.body).toEqual([
      { data_id: 'a1', data_intent: 'train', label: 'cat', is_sample: false, injestor_id: 'ing-42' },
      { data_id: 'a2', data_intent: 'train', label: 3, is_sample: false, injestor_id: 'ing-42' },
      { data_id: 'a3', data_intent: 'train', label: null, is_sample: false, injestor_id: 'ing-42' },
    ]);
    expect(r[1]?.query).toEqual({ table_name: 'my_table', injestor_id: 'ing-42', data_intent: 'train' });
    expect(r[1]?.rawBody).toBe('');
    expect(r[2]?.body).toEqual({
      table_name: 'my_table',
      schema: { age: 'INT', name: 'VARCHAR(255)' },
      meta_data: { number_of_columns: 2, label_policy: { policy: 'bucket', cut_points: [1.5] } },
    });
    expect(r[3]?.query).toEqual({ category: 'tabular_regression', injestor_id: 'ing-42', data_format: 'tabular', data_intent: 'train' });
    expect(r[4]?.body).toEqual({ title: 'tabular_regression_ing-42', allow_feature_modification: false });

    await egress.close();
    const log = await readLog(egress.file);
    expect(egress.count).toBe(5);
    expect(log.map((l) => [l.method, l.path, l.status, l.outcome])).toEqual([
      ['POST', '/global_meta/my_table/', 201, 'sent'],
      ['GET', '/global_meta/generate-edge-labels-meta/', 200, 'sent'],
      ['POST', '/global_meta/global_metadata/', 201, 'sent'],
      ['GET', '/global_meta/prepare/', 200, 'sent'],
      ['POST', '/dataset/', 201, 'sent'],
    ]);
    // the log holds exactly what was sent
    expect(log[0]?.body).toEqual(r[0]?.body);
    expect(log[0]?.query).toBeNull();
    expect(log[1]?.query).toEqual(r[1]?.query);
    expect(log[1]?.body).toBeNull();
    for (const l of log) expect(Number.isNaN(Date.parse(l.ts))).toBe(false);
    // never the token
    expect(await readFile(egress.file, 'utf8')).not.toContain(TOKEN);
  });

  it('sends test intent and skips an empty batch', async () => {
    const client = new BackendClient(transport, { table: 't2', ingestorId: 'ing-1', intent: 'test' });
    await client.sendRows([]);
    expect(fake.requests).toHaveLength(0);
    expect(client.requestCount).toBe(0);
    await client.generateEdgeLabels();
    await client.prepare('image_classification', 'image');
    expect(fake.requests.map((x) => x.query['data_intent'])).toEqual(['test', 'test']);
  });

  it('records a failed request with outcome failed and its status, and rethrows', async () => {
    const egress = await EgressLog.open(join(dir, 'egress.jsonl'));
    const client = new BackendClient(transport, { table: 'my_table', ingestorId: 'ing-42', intent: 'train', egress });
    fake.faults.failEvery(1, 503);
    const err = await client.sendRows(rows).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect((err as IngestError).code).toBe('BACKEND_FAILED');
    fake.faults.reset();

    const badTransport = new HttpTransport({ baseUrl: fake.url, token: 'nope', proxyEnv: {} });
    const bad = new BackendClient(badTransport, { table: 'my_table', ingestorId: 'ing-42', intent: 'train', egress });
    expect(((await bad.registerDataset('x', true).catch((e: unknown) => e)) as IngestError).code).toBe('BACKEND_AUTH');
    await badTransport.close();

    const nan = await client.sendRows([{ data_id: 'z', data_intent: 'train', label: Number.NaN }]).catch((e: unknown) => e);
    expect((nan as IngestError).code).toBe('INTERNAL');

    await egress.close();
    const log = await readLog(egress.file);
    expect(log.map((l) => [l.path, l.status, l.outcome])).toEqual([
      ['/global_meta/my_table/', 503, 'failed'],
      ['/dataset/', 401, 'failed'],
      ['/global_meta/my_table/', undefined, 'failed'],
    ]);
    // one line per request, not per attempt
    expect(fake.requests.filter((x) => x.path === '/global_meta/my_table/')).toHaveLength(6);
    // NaN was never written as JSON (JSON.stringify would have made it null)
    expect(log[2]?.body).toEqual([{ data_id: 'z', data_intent: 'train', label: null, is_sample: false, injestor_id: 'ing-42' }]);
  });

  it('rows held ahead (holdRows + sendHeldRows) go out and into the egress log byte for byte as sendRows sends them', async () => {
    const egress = await EgressLog.open(join(dir, 'encoded.jsonl'));
    const client = new BackendClient(transport, { table: 'my_table', ingestorId: 'ing-42', intent: 'train', egress });
    await client.sendRows(rows);
    const held = client.holdRows(rows);
    expect(held.count).toBe(3);
    await client.sendHeldRows([held]);
    await client.sendHeldRows([client.holdRows([])]);
    await client.sendHeldRows([]);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]?.rawBody).toBe(fake.requests[0]?.rawBody);
    expect(fake.requests[1]?.path).toBe('/global_meta/my_table/');
    await egress.close();
    const lines = (await readFile(egress.file, 'utf8')).split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    const strip = (l: string) => l.replace(/"ts":"[^"]*"/, '');
    expect(strip(lines[1]!)).toBe(strip(lines[0]!));
    expect(() => client.holdRows([{ data_id: 'x', data_intent: 'train', label: Number.NaN }])).toThrow(IngestError);
    expect(() => client.holdRows([{ data_id: 'x', data_intent: 'train', label: Number.POSITIVE_INFINITY }])).toThrow(IngestError);
  });

  it('held rows are written as exactly the JSON of the rows sendRows sends, for awkward ids and labels, across piece boundaries', () => {
    const client = new BackendClient(transport, { table: 't', ingestorId: 'ing-"q"\\-\u2028', intent: 'test' });
    const awkward = ['plain', 'quote"d', 'back\\slash', 'tab\tnew\nline', '\u0000\u001f', '猫🐱', '\ud800 lone', '\u2028\u2029', ''];
    const many: RowMeta[] = Array.from({ length: 3000 }, (_, i) => ({
      data_id: awkward[i % awkward.length]! + i,
      data_intent: i % 2 ? 'train' : 'test',
      label: i % 3 === 0 ? null : i % 3 === 1 ? (i % 7) - 3.25 : awkward[(i * 5) % awkward.length]!,
    }));
    for (const rows of [many, many.slice(0, 1), [] as RowMeta[]]) {
      const expected = JSON.stringify(rows.map((r) => ({ data_id: r.data_id, data_intent: r.data_intent, label: r.label, is_sample: false, injestor_id: 'ing-"q"\\-\u2028' })));
      const held = client.holdRows(rows);
      expect(body(client, held)).toBe(expected);
      expect(held.byteLength).toBe(rows.length === 0 ? 0 : Buffer.byteLength(expected) - 1);
    }
    // The form from ids (made now, or later from strings), for rows of the client's intent, gives the same bytes.
    const tests = many.filter((r) => r.data_intent === 'test');
    for (const ids of [madeJsonIds(jsonIdsOf(tests.length, (i) => tests[i]!.data_id)), deferredJsonIdsOf(tests.map((t) => t.data_id))]) {
      const viaIds = client.holdRowsOfIds(ids, (i) => tests[i]!.label);
      expect(viaIds.count).toBe(tests.length);
      expect(body(client, viaIds)).toBe(body(client, client.holdRows(tests)));
    }
    expect(() => client.holdRowsOfIds(deferredJsonIdsOf(['x']), () => Number.NaN)).toThrow(IngestError);
    expect(body(client, client.holdRowsOfIds(deferredJsonIdsOf([]), () => null))).toBe('[]');
  });

  it('bodies stay exact past the cache of row endings of the body writer (thousands of distinct labels, both intents, then the first ones again)', () => {
    const client = new BackendClient(transport, { table: 't', ingestorId: 'ing-9', intent: 'train' });
    const rows: RowMeta[] = Array.from({ length: 5000 }, (_, i) => ({
      data_id: `id-${i}`,
      data_intent: i % 3 === 0 ? 'test' : 'train',
      label: i % 2 ? `class ${i % 2500}` : i % 2600,
    }));
    const json = (rs: RowMeta[]) => JSON.stringify(rs.map((r) => ({ ...r, is_sample: false, injestor_id: 'ing-9' })));
    expect(body(client, client.holdRows(rows))).toBe(json(rows));
    const again = rows.slice(0, 50);
    expect(body(client, client.holdRows(again))).toBe(json(again));
  });

  it('bodies from the JSON ids of a uuid assigner equal JSON.stringify of the rows with its string ids', () => {
    const client = new BackendClient(transport, { table: 't', ingestorId: 'ing-u', intent: 'test' });
    const keys = dataIdAssigner({ strategy: 'uuid' }, { salt: 'ab'.repeat(16), configHash: 'c'.repeat(64), scope: { run: 'r-1' } });
    const rows = Array.from({ length: 1500 }, (_, i) => i * 977 + 2);
    const labels = rows.map((r) => (r % 11 === 0 ? null : r % 10));
    const ids = keys.assignMany(rows, rows.map(() => null));
    const expected = JSON.stringify(ids.map((id, i) => ({ data_id: id, data_intent: 'test', label: labels[i], is_sample: false, injestor_id: 'ing-u' })));
    // Made now, or when the body is written (the row numbers held until then).
    const now = client.holdRowsOfIds(madeJsonIds(keys.assignManyJson(rows, rows.map(() => null))), (i) => labels[i]!);
    const later = client.holdRowsOfIds(keys.assignManyJsonLater(rows, rows.map(() => null)), (i) => labels[i]!);
    expect(body(client, now)).toBe(expected);
    expect(body(client, later)).toBe(expected);
    expect(later.byteLength).toBe(now.byteLength);
  });

  it('held rows are written as JSON.stringify writes them on random ids, class labels and numbers (every printable-ASCII edge, escapes, non-ASCII, surrogates)', () => {
    const client = new BackendClient(transport, { table: 't', ingestorId: 'ing-7', intent: 'train' });
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const chars = ['\u001f', ' ', '!', '"', '#', '[', '\\', ']', '~', '\u007f', '\u0080', 'é', '\u2028', '\ud800', '\udfff', '🐱', 'a', 'Z', '0', '-', '\n', '\t'];
    const text = () => Array.from({ length: Math.floor(rand() * 6) }, () => chars[Math.floor(rand() * chars.length)]!).join('');
    const numbers = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, 123456789.125, -2.5e-8];
    const rows: RowMeta[] = Array.from({ length: 5000 }, (_, i) => ({
      data_id: i % 3 === 0 ? `${i}-${text()}` : `0000${i}-aaaa-8bbb-9ccc-${text()}`,
      data_intent: i % 7 === 0 ? 'test' : 'train',
      label: i % 4 === 0 ? null : i % 4 === 1 ? numbers[i % numbers.length]! : i % 4 === 2 ? Math.floor(rand() * 100) : text(),
    }));
    const expected = JSON.stringify(rows.map((r) => ({ data_id: r.data_id, data_intent: r.data_intent, label: r.label, is_sample: false, injestor_id: 'ing-7' })));
    expect(body(client, client.holdRows(rows))).toBe(expected);
  });

  it('sendHeldRows makes one body of several: their rows in order, as sendRows would send them all at once', async () => {
    const client = new BackendClient(transport, { table: 'j', ingestorId: 'ing-j', intent: 'train' });
    const many: RowMeta[] = Array.from({ length: 25 }, (_, i) => ({ data_id: `id-${i}`, data_intent: 'train', label: i % 2 ? `c,${i}]` : i }));
    const parts = [many.slice(0, 10), [], many.slice(10, 11), many.slice(11, 25)].map((r) => client.holdRows(r));
    const joined = client.rowsBody(parts).toString('utf8');
    expect(joined).toBe(body(client, client.holdRows(many)));
    expect(1 + parts.reduce((n, p) => n + p.byteLength, 0)).toBe(Buffer.byteLength(joined));
    expect(client.rowsBody([]).toString()).toBe('[]');
    expect(client.rowsBody([parts[1]!, parts[1]!]).toString()).toBe('[]');
    // Ids that do not come out as they were sized are refused, not sent.
    const wrong = client.holdRowsOfIds({ count: 1, byteLength: 5, make: () => jsonIdsOf(1, () => 'abcdef') }, () => null);
    expect(() => client.rowsBody([wrong])).toThrow(IngestError);
    await client.sendHeldRows(parts);
    expect(fake.requests[0]!.rawBody).toBe(joined);
    expect(JSON.parse(fake.requests[0]!.rawBody)).toHaveLength(25);
  });

  it('encodes the table name in the path', async () => {
    const client = new BackendClient(transport, { table: 'a/b', ingestorId: 'i', intent: 'train' });
    await client.sendRows(rows).catch(() => undefined);
    expect(fake.requests[0]?.path).toBe('/global_meta/a%2Fb/');
  });
});

describe('BackendClient with the dry-run transport', () => {
  it('sends nothing and logs every call as not-sent', async () => {
    const egress = await EgressLog.open(join(dir, 'dry.jsonl'));
    const dry = new DryRunTransport();
    const client = new BackendClient(dry, { table: 'tbl', ingestorId: 'ing-9', intent: 'train', egress });
    await client.sendRows(rows);
    await client.generateEdgeLabels();
    await client.sendGlobalMetadata({}, {});
    await client.prepare('text_classification', 'text');
    expect(await client.registerDataset('t', false)).toEqual({ id: null, dry_run: true });
    expect(dry.requestCount).toBe(5);
    expect(fake.requests).toHaveLength(0);
    await egress.close();
    const log = await readLog(egress.file);
    expect(log.map((l) => [l.method, l.path, l.outcome])).toEqual([
      ['POST', '/global_meta/tbl/', 'not-sent'],
      ['GET', '/global_meta/generate-edge-labels-meta/', 'not-sent'],
      ['POST', '/global_meta/global_metadata/', 'not-sent'],
      ['GET', '/global_meta/prepare/', 'not-sent'],
      ['POST', '/dataset/', 'not-sent'],
    ]);
    expect(log[0]?.body).toEqual(rows.map((r) => ({ ...r, is_sample: false, injestor_id: 'ing-9' })));
  });

  it('still refuses NaN', async () => {
    const client = new BackendClient(new DryRunTransport(), { table: 'tbl', ingestorId: 'i', intent: 'train' });
    const e = await client.sendRows([{ data_id: 'x', data_intent: 'train', label: Infinity }]).catch((x: unknown) => x);
    expect((e as IngestError).code).toBe('INTERNAL');
  });
});

describe('EgressLog', () => {
  it('appends to an existing file', async () => {
    const file = join(dir, 'e.jsonl');
    const a = await EgressLog.open(file);
    a.record({ method: 'GET', path: '/x/', query: { a: '1' }, body: null, status: 200, outcome: 'sent' });
    await a.close();
    const b = await EgressLog.open(file);
    b.record({ method: 'POST', path: '/y/', query: null, body: [1], outcome: 'failed' });
    expect(b.count).toBe(1);
    await b.close();
    await b.close(); // idempotent
    const log = await readLog(file);
    expect(log).toHaveLength(2);
    expect(log[1]).not.toHaveProperty('status');
    expect(Object.keys(log[0] ?? {})).toEqual(['ts', 'method', 'path', 'query', 'body', 'status', 'outcome']);
  });

  it('reports an unwritable path at open', async () => {
    const e = await EgressLog.open(join(dir, 'missing-dir', 'e.jsonl')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IngestError);
    expect((e as IngestError).message).toContain('ENOENT');
  });

  it('refuses records after close', async () => {
    const log = await EgressLog.open(join(dir, 'c.jsonl'));
    await log.close();
    expect(() => log.record({ method: 'GET', path: '/', query: null, body: null, outcome: 'sent' })).toThrow(IngestError);
  });
});
