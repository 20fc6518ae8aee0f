import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../src/config/plan.js';
import { validateConfig } from '../../src/config/validate.js';
import { IngestError } from '../../src/errors.js';
import { BackendClient, type HeldRows, type RowMeta } from '../../src/backend/client.js';
import { RowsBodyWriter } from '../../src/backend/row-bodies.js';
import { deferredJsonIdsOf } from '../../src/keys/json-ids.js';
import { DryRunTransport } from '../../src/backend/dry-run-transport.js';
import { passthroughEncoder } from '../../src/labels/policy.js';
import { RowSpool } from '../../src/run/row-spool.js';
import { dataIdAssigner } from '../../src/keys/data-id.js';
import { createLogger } from '../../src/log/logger.js';
import { newCounters } from '../../src/report/counters.js';
import { MAX_SEND_BYTES, writePass } from '../../src/run/write-pass.js';
import type { OutRow, PriorRun, RowSink } from '../../src/sinks/types.js';
import type { Plan } from '../../src/config/types.js';
import { tempDir, tempFiles } from '../support/tmp.js';

/** The write pass's two lanes, with a sink and a backend that record the order of events. */
async function setup(rows: number) {
  const dir = await tempFiles({ 'd.csv': 'x,y\n' + Array.from({ length: rows }, (_, i) => `${i},a`).join('\n') + '\n' });
  const yaml = `apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: t\nintent: train\ncategory: tabular_classification\ncsv: d.csv\nschema:\n  x: INT\nlabel: y\n`;
  const plan = resolvePlan(validateConfig(yaml, 'i.yaml').config, { configPath: 'i.yaml', configText: yaml, storageRoot: dir, batchSize: 10 });
  const events: string[] = [];
  return { plan, events };
}

function sink(events: string[], slowWrite: (batch: number) => number, fail: { writeOf?: number; markAt?: number } = {}): RowSink {
  let marks = 0;
  return {
    kind: 'local',
    where: 'memory',
    preflight: async () => null,
    open: async () => ({ salt: 'x'.repeat(64) }),
    // A write may carry several batches (a group, committed at once): `batch` is its last one.
    write: async (rows: readonly OutRow[], batch: number) => {
      events.push(`write ${batch} start`);
      await sleep(slowWrite(batch));
      if (fail.writeOf !== undefined && batch >= fail.writeOf) {
        events.push(`write ${batch} failed`);
        throw new IngestError('MYSQL_FAILED', 'write refused');
      }
      events.push(`write ${batch} done ${rows.length}`);
    },
    markProgress: async (p) => {
      if (++marks === fail.markAt) {
        events.push(`mark failed ${JSON.stringify(p)}`);
        throw new IngestError('MYSQL_FAILED', 'mark refused');
      }
      events.push(`mark ${JSON.stringify(p)}`);
    },
    finish: async () => undefined,
    close: async () => undefined,
  };
}

/**
 * A backend that records each request as `send <first row>-<last row> (<rows>)` (rows 1-based, in
 * source order), optionally slow, padding each row's body so requests can be made large.
 */
function backend(
  events: string[],
  failOn: number,
  opts: { delayMs?: number; padBytes?: number; bodies?: number[]; failIdsOfBatch?: number } = {},
): BackendClient {
  let n = 0;
  let held = 0;
  // The real body writer; the padding goes into every row's ending (as its ingestor id).
  const writer = new RowsBodyWriter('p'.repeat(opts.padBytes ?? 0));
  return {
    holdRows: (meta: readonly RowMeta[]): HeldRows => {
      const ids = deferredJsonIdsOf(meta.map((m) => m.data_id));
      // Ids whose JSON cannot be made when the request is written (`failIdsOfBatch`-th batch held).
      const broken = held++ === opts.failIdsOfBatch;
      const make = broken ? () => { throw new IngestError('INTERNAL', 'ids not made'); } : ids.make;
      return writer.hold({ ...ids, make }, (i) => meta[i]!.data_intent, (i) => meta[i]!.label);
    },
    sendHeldRows: async (parts: readonly HeldRows[]) => {
      const k = n++;
      const bytes = writer.body(parts);
      const count = parts.reduce((sum, p) => sum + p.count, 0);
      const got = JSON.parse(bytes.toString('utf8')) as RowMeta[];
      expect(got).toHaveLength(count);
      opts.bodies?.push(bytes.length);
      const at = got.map((m) => rowOf.get(m.data_id));
      events.push(`send ${at[0]}-${at[at.length - 1]} (${count})`);
      if (opts.delayMs) await sleep(opts.delayMs);
      if (k === failOn) throw new IngestError('BACKEND_AUTH', 'refused');
    },
  } as unknown as BackendClient;
}

const keysFor = () => dataIdAssigner({ strategy: 'uuid' } as Plan['dataId'], { salt: 's', configHash: 'c', scope: { source: 'h' } });
/** data_id → row number, for the keys every test uses. */
const rowOf = new Map(Array.from({ length: 1000 }, (_, i) => [keysFor().assign(i + 1, null), i + 1] as const));

/** The requests in order: first row, last row, rows. */
const sendsOf = (events: readonly string[]) =>
  events.filter((e) => e.startsWith('send')).map((e) => {
    const [, range, rows] = /^send (\S+) \((\d+)\)$/.exec(e)!;
    const [first, last] = range!.split('-').map(Number);
    return { first: first!, last: last!, rows: Number(rows), at: events.indexOf(e) };
  });

/**
 * The send lane's rules, whatever the grouping: every row sent once, in order; a request only
 * after every batch in it was committed and after the previous request's mark; one mark per
 * request, at its last batch.
 */
function expectOrderedSends(events: readonly string[], rows: number, batchSize: number) {
  const sends = sendsOf(events);
  let next = 1;
  for (const [i, s] of sends.entries()) {
    expect(s.first).toBe(next);
    expect(s.last - s.first + 1).toBe(s.rows);
    expect(s.rows % batchSize === 0 || s.last === rows).toBe(true);
    next = s.last + 1;
    const lastBatch = Math.ceil(s.last / batchSize) - 1;
    const committed = events.findIndex((e) => /^write \d+ done/.test(e) && Number(e.split(' ')[1]) >= lastBatch);
    expect(committed).toBeGreaterThanOrEqual(0);
    expect(s.at).toBeGreaterThan(committed);
    const mark = events.indexOf(`mark {"batchesSent":${lastBatch + 1}}`);
    expect(mark).toBeGreaterThan(s.at);
    if (i + 1 < sends.length) expect(sends[i + 1]!.at).toBeGreaterThan(mark);
  }
  expect(next).toBe(rows + 1);
  expect(events.filter((e) => e.startsWith('mark'))).toHaveLength(sends.length);
}

describe('write pass lanes', () => {
  it('sends each batch after its commit and after the previous send; marks progress in order', async () => {
    const { plan, events } = await setup(30);
    const counters = { ...newCounters(), total: 30 };
    await writePass({
      plan, sink: sink(events, () => 5), backend: backend(events, -1), keys: keysFor(),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    });
    const written = events.filter((e) => /^write \d+ done/.test(e)).map((e) => Number(e.split(' ')[3]));
    expect(written.reduce((a, b) => a + b, 0)).toBe(30);
    expectOrderedSends(events, 30, 10);
    expect(counters).toMatchObject({ processed: 30, inserted: 30, sent: 30 });
  });

  it('a failed send stops everything after it, and the pass ends only when the write in flight has settled', async () => {
    const { plan, events } = await setup(50);
    const counters = { ...newCounters(), total: 50 };
    const err = await writePass({
      plan, sink: sink(events, (b) => (b === 1 ? 60 : 1)), backend: backend(events, 0), keys: keysFor(),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    }).catch((e: unknown) => e);
    expect((err as IngestError).code).toBe('BACKEND_AUTH');
    const settledAt = events.length;
    await sleep(100);
    expect(events.length).toBe(settledAt);
    expect(sendsOf(events)).toHaveLength(1);
    expect(events.filter((e) => e.startsWith('mark'))).toEqual([]);
    expect(events.filter((e) => e.startsWith('write') && e.endsWith('start')).length).toBeLessThanOrEqual(2);
    expect(counters.sent).toBe(0);
    const written = events.filter((e) => /^write \d+ done/.test(e)).map((e) => Number(e.split(' ')[3]));
    expect(counters.inserted).toBe(written.reduce((a, b) => a + b, 0));
  });

  it('batches waiting while MySQL is busy are committed together, the counter at the group\'s last batch', async () => {
    const { plan, events } = await setup(60);
    const counters = { ...newCounters(), total: 60 };
    await writePass({
      plan, sink: sink(events, (b) => (b === 0 ? 80 : 1)), backend: backend(events, -1), keys: keysFor(),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    });
    const writes = events.filter((e) => /^write \d+ done/.test(e)).map((e) => ({ last: Number(e.split(' ')[1]), rows: Number(e.split(' ')[3]) }));
    // Batch 0 alone; the batches read meanwhile (up to the pipeline's bound) in one commit after it.
    expect(writes[0]).toEqual({ last: 0, rows: 10 });
    expect(writes[1]!.rows).toBeGreaterThan(10);
    expect(writes[1]!.rows).toBe((writes[1]!.last - writes[0]!.last) * 10);
    expect(writes.reduce((a, w) => a + w.rows, 0)).toBe(60);
    expect(writes[writes.length - 1]!.last).toBe(5);
    expect(counters).toMatchObject({ processed: 60, inserted: 60, sent: 60 });
    expectOrderedSends(events, 60, 10);
  });

  it('batches committed while the backend is busy leave together: one request and one mark for several batches', async () => {
    const { plan, events } = await setup(95);
    const counters = { ...newCounters(), total: 95 };
    await writePass({
      plan, sink: sink(events, () => 0), backend: backend(events, -1, { delayMs: 40 }), keys: keysFor(),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    });
    const sends = sendsOf(events);
    // The first batch leaves alone (nothing else is committed yet); the ones committed during its request together.
    expect(sends[0]).toMatchObject({ first: 1, last: 10 });
    expect(sends.length).toBeLessThan(10);
    expect(Math.max(...sends.map((x) => x.rows))).toBeGreaterThan(10);
    expectOrderedSends(events, 95, 10);
    expect(counters).toMatchObject({ processed: 95, inserted: 95, sent: 95 });
  });

  it(`a request carries at most MAX_SEND_BYTES (${MAX_SEND_BYTES}) unless one batch alone is larger`, async () => {
    const { plan, events } = await setup(200);
    const counters = { ...newCounters(), total: 200 };
    const bodies: number[] = [];
    // 10 rows of ~35 KB: ~350 KB per batch, so at most 2 batches fit one request.
    await writePass({
      plan, sink: sink(events, () => 0), backend: backend(events, -1, { delayMs: 30, padBytes: 35_000, bodies }), keys: keysFor(),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    });
    expectOrderedSends(events, 200, 10);
    expect(Math.max(...bodies)).toBeLessThanOrEqual(MAX_SEND_BYTES);
    expect(sendsOf(events).some((x) => x.rows > 10)).toBe(true);

    // A batch larger than the limit on its own still leaves, alone.
    const big = await setup(30);
    const bigBodies: number[] = [];
    await writePass({
      plan: big.plan, sink: sink(big.events, () => 0), backend: backend(big.events, -1, { delayMs: 10, padBytes: 120_000, bodies: bigBodies }), keys: keysFor(),
      labels: null, counters: { ...newCounters(), total: 30 }, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    });
    expect(sendsOf(big.events).map((x) => x.rows)).toEqual([10, 10, 10]);
    expect(Math.min(...bigBodies)).toBeGreaterThan(MAX_SEND_BYTES);
    expectOrderedSends(big.events, 30, 10);
  });

  it('the cap is exact: batches whose body comes to MAX_SEND_BYTES leave together, one byte more and they do not', async () => {
    const rowBytes = (pad: number) =>
      Buffer.byteLength(JSON.stringify({ data_id: keysFor().assign(1, null), data_intent: 'train', label: null, is_sample: false, injestor_id: 'p'.repeat(pad) })) + 1;
    // A body is '[' + its rows, each with its ',' or ']'. 15 rows (3 batches of 5) of (MAX - 1) / 15
    // bytes make MAX_SEND_BYTES exactly: one request. 16 rows (2 batches of 8) of MAX / 16 bytes make
    // one byte more: one batch per request. (At most 3 batches wait while one is in flight: HELD_ROWS.)
    const cases = [
      { rows: 60, batchSize: 5, rowSize: (MAX_SEND_BYTES - 1) / 15, most: 15, largest: MAX_SEND_BYTES },
      { rows: 64, batchSize: 8, rowSize: MAX_SEND_BYTES / 16, most: 8, largest: 1 + MAX_SEND_BYTES / 2 },
    ];
    for (const { rows, batchSize, rowSize, most, largest } of cases) {
      const pad = rowSize - rowBytes(0);
      expect(Number.isInteger(pad) && rowBytes(pad) === rowSize).toBe(true);
      const { plan, events } = await setup(rows);
      const bodies: number[] = [];
      await writePass({
        plan, sink: sink(events, () => 0), backend: backend(events, -1, { delayMs: 40, padBytes: pad, bodies }), keys: keysFor(),
        labels: null, counters: { ...newCounters(), total: rows }, logger: createLogger({ level: 'silent' }), batchSize, resume: null,
      });
      expectOrderedSends(events, rows, batchSize);
      expect(Math.max(...sendsOf(events).map((x) => x.rows))).toBe(most);
      expect(Math.max(...bodies)).toBe(largest);
    }
  });

  it('ids that cannot be made when a request is written fail the run there: nothing of that request or after it is sent or marked', async () => {
    const { plan, events } = await setup(60);
    const counters = { ...newCounters(), total: 60 };
    const err = await writePass({
      plan, sink: sink(events, () => 0), backend: backend(events, -1, { delayMs: 20, failIdsOfBatch: 3 }), keys: keysFor(),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    }).catch((e: unknown) => e);
    expect((err as IngestError).message).toBe('ids not made');
    const sends = sendsOf(events);
    // Whatever went before batch 3 (rows 31-40) was sent and marked; nothing from it on.
    expect(sends.length).toBeGreaterThan(0);
    expect(Math.max(...sends.map((x) => x.last))).toBeLessThanOrEqual(30);
    expect(events.filter((e) => e.startsWith('mark'))).toHaveLength(sends.length);
    expect(counters.sent).toBe(Math.max(...sends.map((x) => x.last)));
  });

  it('a resumed run sends only the batches its interrupted attempt did not send, marks continuing from there', async () => {
    const { plan, events } = await setup(60);
    const counters = { ...newCounters(), total: 60 };
    const resume = { batchesCommitted: 6, batchesSent: 3 } as PriorRun;
    await writePass({
      plan, sink: sink(events, () => 0), backend: backend(events, -1, { delayMs: 20 }), keys: keysFor(),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume,
    });
    const sends = sendsOf(events);
    expect(sends[0]!.first).toBe(31);
    expect(sends.reduce((a, x) => a + x.rows, 0)).toBe(30);
    expect(events.filter((e) => e.startsWith('write'))).toEqual([]);
    const marks = events.filter((e) => e.startsWith('mark')).map((e) => (JSON.parse(e.slice(5)) as { batchesSent: number }).batchesSent);
    expect(marks[marks.length - 1]).toBe(6);
    expect(marks.every((m, i) => m > 3 && (i === 0 || m > marks[i - 1]!))).toBe(true);
    expect(counters).toMatchObject({ processed: 60, inserted: 60, sent: 60 });
  });
  it('a write group leaves as one request: the batches committed together are sent together', async () => {
    const { plan, events } = await setup(400);
    const counters = { ...newCounters(), total: 400 };
    await writePass({
      plan, sink: sink(events, () => 30), backend: backend(events, -1), keys: keysFor(),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    });
    expectOrderedSends(events, 400, 10);
    const writes = events.filter((e) => /^write \d+ done/.test(e)).map((e) => Number(e.split(' ')[3]));
    const sends = sendsOf(events).map((x) => x.rows);
    // The backend is fast: every group is sent before the next commit, in one request.
    expect(writes.length).toBeLessThan(40);
    expect(sends).toEqual(writes);
  });

  it('a write failing while a grouped request is in flight: that request completes and is marked, nothing is sent after it', async () => {
    const { plan, events } = await setup(200);
    const counters = { ...newCounters(), total: 200 };
    const err = await writePass({
      plan, sink: sink(events, () => 5, { writeOf: 6 }), backend: backend(events, -1, { delayMs: 25 }), keys: keysFor(),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    }).catch((e: unknown) => e);
    expect((err as IngestError).code).toBe('MYSQL_FAILED');
    const failedAt = events.findIndex((e) => / failed$/.test(e));
    const sends = sendsOf(events);
    expect(sends.length).toBeGreaterThan(0);
    // No request starts after the failure; the one in flight then is marked.
    expect(sends.every((x) => x.at < failedAt)).toBe(true);
    const last = sends[sends.length - 1]!;
    expect(events.indexOf(`mark {"batchesSent":${last.last / 10}}`)).toBeGreaterThan(last.at);
    expect(counters.sent).toBe(last.last);
    expect(last.last).toBeLessThanOrEqual(60);
    await sleep(60);
    expect(sendsOf(events)).toHaveLength(sends.length);
  });

  it('a mark that fails after an accepted request: the run fails, that request counts as not sent, nothing more is sent', async () => {
    const { plan, events } = await setup(100);
    const counters = { ...newCounters(), total: 100 };
    const err = await writePass({
      plan, sink: sink(events, () => 2, { markAt: 2 }), backend: backend(events, -1, { delayMs: 10 }), keys: keysFor(),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    }).catch((e: unknown) => e);
    expect((err as IngestError).code).toBe('MYSQL_FAILED');
    const sends = sendsOf(events);
    expect(sends).toHaveLength(2);
    const marked = events.filter((e) => e.startsWith('mark {'));
    expect(marked).toEqual([`mark {"batchesSent":${sends[0]!.last / 10}}`]);
    expect(counters.sent).toBe(sends[0]!.last);
    await sleep(30);
    expect(sendsOf(events)).toHaveLength(2);
  });
});

describe('the spool feed of a staged run', () => {
  /** A spool whose encodings went to a stage (RowSpool.tap), holding `rows` checked rows. */
  async function slimSpool(rows: number): Promise<RowSpool> {
    const spool = await RowSpool.create(await tempDir('tb-feed-'), 't', 'r', { encodeRow: () => 'encoded' });
    spool.tap(() => undefined);
    for (let row = 1; row <= rows; row++) {
      spool.add({ row, values: [row], label: row % 2 ? 'odd' : 'even', labelNumber: Number.NaN, dataIdSource: null, fileReference: null, extras: [], annotation: null });
    }
    await spool.finish();
    return spool;
  }

  /** A sink that takes encoded rows and records what it is asked to write. */
  function encodedSink(written: number[]): RowSink {
    return {
      ...sink([], () => 0),
      encodeBatch: (dataIds) => ({ count: dataIds.length, firstDataId: dataIds[0] ?? '', payload: [] }),
      writeEncoded: async (batch) => void written.push(batch.count),
    };
  }

  it('sends every committed row from a slim spool, in order, without writing any; refuses to write rows it does not hold', async () => {
    const { plan } = await setup(10);
    const spool = await slimSpool(2_345);
    const sent: RowMeta[] = [];
    const client = new (class extends BackendClient {
      override async sendHeldRows(parts: readonly HeldRows[]): Promise<void> {
        sent.push(...(JSON.parse(this.rowsBody(parts).toString('utf8')) as RowMeta[]));
      }
    })(new DryRunTransport(), { table: 't', ingestorId: 'r', intent: 'train' });
    const written: number[] = [];
    const counters = { ...newCounters(), total: 2_345, inserted: 2_345 };
    await writePass({
      plan, sink: encodedSink(written), backend: client, keys: keysFor(), labels: passthroughEncoder(), counters,
      logger: createLogger({ level: 'silent' }), batchSize: 100, resume: null, spool, stagedBatches: 24,
    });
    expect(written).toEqual([]);
    expect(sent.map((m) => m.data_id)).toEqual(Array.from({ length: 2_345 }, (_, i) => keysFor().assign(i + 1, null)));
    expect(sent.map((m) => m.label)).toEqual(Array.from({ length: 2_345 }, (_, i) => ((i + 1) % 2 ? 'odd' : 'even')));
    expect(counters).toMatchObject({ processed: 2_345, inserted: 2_345, sent: 2_345 });

    // Without a committed stage the spool cannot feed writes: refused, nothing written or sent.
    sent.length = 0;
    const err = await writePass({
      plan, sink: encodedSink(written), backend: client, keys: keysFor(), labels: passthroughEncoder(), counters: { ...newCounters(), total: 2_345 },
      logger: createLogger({ level: 'silent' }), batchSize: 100, resume: null, spool,
    }).catch((e: unknown) => e);
    expect((err as IngestError).code).toBe('INTERNAL');
    expect((err as IngestError).message).toContain('holds no rows');
    expect(written).toEqual([]);
    expect(sent).toEqual([]);
    await spool.remove();
  });
});
