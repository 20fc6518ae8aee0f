import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../src/config/plan.js';
import { validateConfig } from '../../src/config/validate.js';
import { IngestError } from '../../src/errors.js';
import type { BackendClient, EncodedRows, RowMeta } from '../../src/backend/client.js';
import { dataIdAssigner } from '../../src/keys/data-id.js';
import { createLogger } from '../../src/log/logger.js';
import { newCounters } from '../../src/report/counters.js';
import { writePass } from '../../src/run/write-pass.js';
import type { OutRow, RowSink } from '../../src/sinks/types.js';
import { tempFiles } from '../support/tmp.js';

/** The write pass's two lanes, with a sink and a backend that record the order of events. */
async function setup(rows: number) {
  const dir = await tempFiles({ 'd.csv': 'x,y\n' + Array.from({ length: rows }, (_, i) => `${i},a`).join('\n') + '\n' });
  const yaml = `apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: t\nintent: train\ncategory: tabular_classification\ncsv: d.csv\nschema:\n  x: INT\nlabel: y\n`;
  const plan = resolvePlan(validateConfig(yaml, 'i.yaml').config, { configPath: 'i.yaml', configText: yaml, storageRoot: dir, batchSize: 10 });
  const events: string[] = [];
  return { plan, events };
}

function sink(events: string[], slowWrite: (batch: number) => number): RowSink {
  return {
    kind: 'local',
    where: 'memory',
    preflight: async () => null,
    open: async () => ({ salt: 'x'.repeat(64) }),
    // A write may carry several batches (a group, committed at once): `batch` is its last one.
    write: async (rows: readonly OutRow[], batch: number) => {
      events.push(`write ${batch} start`);
      await sleep(slowWrite(batch));
      events.push(`write ${batch} done ${rows.length}`);
    },
    markProgress: async (p) => void events.push(`mark ${JSON.stringify(p)}`),
    finish: async () => undefined,
    close: async () => undefined,
  };
}

function backend(events: string[], failOn: number): BackendClient {
  let n = 0;
  return {
    encodeRows: (meta: readonly RowMeta[]): EncodedRows => ({ count: meta.length, bytes: Buffer.from(JSON.stringify(meta)) }),
    sendEncodedRows: async (rows: EncodedRows) => {
      const k = n++;
      events.push(`send ${k} (${rows.count})`);
      if (k === failOn) throw new IngestError('BACKEND_AUTH', 'refused');
    },
  } as unknown as BackendClient;
}

describe('write pass lanes', () => {
  it('sends each batch after its commit and after the previous send; marks progress in order', async () => {
    const { plan, events } = await setup(30);
    const counters = { ...newCounters(), total: 30 };
    await writePass({
      plan, sink: sink(events, () => 5), backend: backend(events, -1), keys: dataIdAssigner(plan.dataId, { salt: 's', configHash: 'c', scope: { source: 'h' } }),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    });
    const at = (e: string) => events.indexOf(e);
    // Where batch k was committed: the first write whose last batch is k or later.
    const committedAt = (k: number) => events.findIndex((e) => /^write \d+ done/.test(e) && Number(e.split(' ')[1]) >= k);
    const written = events.filter((e) => /^write \d+ done/.test(e)).map((e) => Number(e.split(' ')[3]));
    expect(written.reduce((a, b) => a + b, 0)).toBe(30);
    for (const k of [0, 1, 2]) {
      expect(committedAt(k)).toBeGreaterThanOrEqual(0);
      expect(at(`send ${k} (10)`)).toBeGreaterThan(committedAt(k));
      expect(at(`mark {"batchesSent":${k + 1}}`)).toBeGreaterThan(at(`send ${k} (10)`));
    }
    expect(at('send 1 (10)')).toBeGreaterThan(at('mark {"batchesSent":1}'));
    expect(counters).toMatchObject({ processed: 30, inserted: 30, sent: 30 });
  });

  it('a failed send stops everything after it, and the pass ends only when the write in flight has settled', async () => {
    const { plan, events } = await setup(50);
    const counters = { ...newCounters(), total: 50 };
    const err = await writePass({
      plan, sink: sink(events, (b) => (b === 1 ? 60 : 1)), backend: backend(events, 0), keys: dataIdAssigner(plan.dataId, { salt: 's', configHash: 'c', scope: { source: 'h' } }),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    }).catch((e: unknown) => e);
    expect((err as IngestError).code).toBe('BACKEND_AUTH');
    const settledAt = events.length;
    await sleep(100);
    expect(events.length).toBe(settledAt);
    expect(events).not.toContain('send 1 (10)');
    expect(events.filter((e) => e.startsWith('write') && e.endsWith('start')).length).toBeLessThanOrEqual(2);
    expect(counters.sent).toBe(0);
    const written = events.filter((e) => /^write \d+ done/.test(e)).map((e) => Number(e.split(' ')[3]));
    expect(counters.inserted).toBe(written.reduce((a, b) => a + b, 0));
  });

  it('batches waiting while MySQL is busy are committed together, the counter at the group\'s last batch', async () => {
    const { plan, events } = await setup(60);
    const counters = { ...newCounters(), total: 60 };
    await writePass({
      plan, sink: sink(events, (b) => (b === 0 ? 80 : 1)), backend: backend(events, -1), keys: dataIdAssigner(plan.dataId, { salt: 's', configHash: 'c', scope: { source: 'h' } }),
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
    expect(events.filter((e) => e.startsWith('send'))).toEqual([0, 1, 2, 3, 4, 5].map((k) => `send ${k} (10)`));
  });
});
