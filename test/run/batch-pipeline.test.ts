import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../src/config/plan.js';
import { validateConfig } from '../../src/config/validate.js';
import { IngestError } from '../../src/errors.js';
import type { BackendClient, RowMeta } from '../../src/backend/client.js';
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
    write: async (_rows: readonly OutRow[], batch: number) => {
      events.push(`write ${batch} start`);
      await sleep(slowWrite(batch));
      events.push(`write ${batch} done`);
    },
    markProgress: async (p) => void events.push(`mark ${JSON.stringify(p)}`),
    finish: async () => undefined,
    close: async () => undefined,
  };
}

function backend(events: string[], failOn: number): BackendClient {
  let n = 0;
  return {
    sendRows: async (meta: readonly RowMeta[]) => {
      const k = n++;
      events.push(`send ${k} (${meta.length})`);
      if (k === failOn) throw new IngestError('BACKEND_AUTH', 'refused');
    },
  } as unknown as BackendClient;
}

describe('write pass lanes', () => {
  it('sends each batch after its commit and after the previous send; marks progress in order', async () => {
    const { plan, events } = await setup(30);
    const counters = { ...newCounters(), total: 30 };
    await writePass({
      plan, sink: sink(events, () => 5), backend: backend(events, -1), keys: dataIdAssigner(plan.dataId, { salt: 's', configHash: 'c', sourceHash: 'h' }),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    });
    const at = (e: string) => events.indexOf(e);
    for (const k of [0, 1, 2]) {
      expect(at(`send ${k} (10)`)).toBeGreaterThan(at(`write ${k} done`));
      expect(at(`mark {"batchesSent":${k + 1}}`)).toBeGreaterThan(at(`send ${k} (10)`));
    }
    expect(at('send 1 (10)')).toBeGreaterThan(at('mark {"batchesSent":1}'));
    expect(counters).toMatchObject({ processed: 30, inserted: 30, sent: 30 });
  });

  it('a failed send stops everything after it, and the pass ends only when the write in flight has settled', async () => {
    const { plan, events } = await setup(50);
    const counters = { ...newCounters(), total: 50 };
    const err = await writePass({
      plan, sink: sink(events, (b) => (b === 1 ? 60 : 1)), backend: backend(events, 0), keys: dataIdAssigner(plan.dataId, { salt: 's', configHash: 'c', sourceHash: 'h' }),
      labels: null, counters, logger: createLogger({ level: 'silent' }), batchSize: 10, resume: null,
    }).catch((e: unknown) => e);
    expect((err as IngestError).code).toBe('BACKEND_AUTH');
    const settledAt = events.length;
    await sleep(100);
    expect(events.length).toBe(settledAt);
    expect(events).not.toContain('send 1 (10)');
    expect(events.filter((e) => e.startsWith('write') && e.endsWith('start')).length).toBeLessThanOrEqual(2);
    expect(counters.sent).toBe(0);
    expect(counters.inserted).toBe(events.filter((e) => e.endsWith('done')).length * 10);
  });
});
