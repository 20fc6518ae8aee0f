import { describe, expect, it } from 'vitest';
import { dataIdAssigner } from '../../src/keys/data-id.js';
import { StagedLoad, type StageTarget } from '../../src/run/staged-load.js';
import type { EncodedBatch, RowStage } from '../../src/sinks/types.js';

const keys = dataIdAssigner({ strategy: 'uuid' }, { salt: 'ab'.repeat(16), configHash: 'c'.repeat(64), scope: { run: 'r-1' } });

/** A stage kept in memory: what was loaded, in order, and how it was discarded. */
class MemoryStage implements RowStage {
  readonly loads: string[][] = [];
  discarded: 'undo' | 'abandon' | null = null;
  failLoad = 0;
  /** Rows loaded when `seal` was called (null: not sealed). */
  sealedAt: number | null = null;
  failSeal = false;

  encode(dataIds: readonly string[], rows: readonly string[]): EncodedBatch {
    return { count: rows.length, firstDataId: dataIds[0] ?? '', payload: [Buffer.from(rows.map((r, i) => `${dataIds[i]}\t${r}\n`).join(''))] };
  }

  /** How long each load takes (else a turn of the event loop). */
  loadDelayMs = 0;

  async load(batch: EncodedBatch): Promise<void> {
    await new Promise((resolve) => (this.loadDelayMs > 0 ? setTimeout(resolve, this.loadDelayMs) : setImmediate(resolve)));
    if (this.loads.length + 1 === this.failLoad) throw new Error('load refused (test)');
    this.loads.push(Buffer.concat(batch.payload).toString().split('\n').filter(Boolean));
  }

  async seal(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.sealedAt = this.loads.flat().length;
    if (this.failSeal) throw new Error('seal refused (test)');
  }

  async discard(how: 'undo' | 'abandon'): Promise<void> {
    this.discarded = how;
  }
}

/** A stage opening that resolves (or fails) when the test says so. */
function deferred(): { opening: Promise<StageTarget | null>; open(stage: MemoryStage | null): void; fail(err: Error): void } {
  let open!: (t: StageTarget | null) => void;
  let fail!: (err: Error) => void;
  const opening = new Promise<StageTarget | null>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { opening, open: (stage) => open(stage && { stage, keys, salt: 'ab'.repeat(16) }), fail };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('StagedLoad', () => {
  it('rows checked while the stage opens wait for it, unencoded (the reader is held back after the first batch), then load in order with their data_ids', async () => {
    const d = deferred();
    const load = new StagedLoad(d.opening, 2);
    // While the stage opens, the row that cuts the first batch gets a promise that holds the reader back.
    expect(load.add(1, null, 'v1')).toBeUndefined();
    const held = load.add(2, null, 'v2');
    expect(held).toBeInstanceOf(Promise);
    let released = false;
    void held!.then(() => (released = true));
    await settle();
    expect(released).toBe(false);
    // A reader that goes on anyway (it may not) is held back at every batch it cuts meanwhile.
    expect(load.add(3, null, 'v3')).toBeUndefined();
    expect(load.add(4, null, 'v4')).toBeInstanceOf(Promise);
    const stage = new MemoryStage();
    d.open(stage);
    await settle();
    expect(released).toBe(true);
    // Once open, up to 8 batches may wait before the reader is held back.
    let row = 5;
    for (; row <= 21; row++) await load.add(row, null, `v${row}`);
    expect(await load.finish()).toBe(true);
    // Sealed once, after the last row was loaded.
    expect(stage.sealedAt).toBe(21);
    expect(load.batches).toBe(11);
    expect(load.salt).toBe('ab'.repeat(16));
    const rows = Array.from({ length: 21 }, (_, i) => i + 1);
    const ids = keys.assignMany(rows, rows.map(() => null));
    expect(stage.loads.flat()).toEqual(rows.map((r, i) => `${ids[i]}\tv${r}`));
    // The first load took both batches that waited for the stage.
    expect(stage.loads[0]).toHaveLength(4);
  });

  it('once the stage is open, up to 8 batches wait for it before the reader is held back', async () => {
    const d = deferred();
    const stage = new MemoryStage();
    d.open(stage);
    const load = new StagedLoad(d.opening, 1);
    await load.add(1, null, 'v1');
    await settle();
    // The stage now takes a while per load: batches pile up behind it, 8 at most before the reader waits.
    stage.loadDelayMs = 50;
    const waits: (Promise<void> | undefined)[] = [];
    for (let row = 2; row <= 12; row++) waits.push(load.add(row, null, `v${row}`));
    // Cut in one go (the load they start has not taken any yet): the row that cuts the 8th waiting batch holds the reader.
    expect(waits.findIndex((w) => w !== undefined)).toBe(7);
    await Promise.all(waits);
    expect(await load.finish()).toBe(true);
    expect(stage.loads.flat()).toHaveLength(12);
  });

  it('a stage that cannot be opened (null) or whose opening fails ends the staging: finish is false, later rows are ignored, discard is harmless', async () => {
    for (const how of ['null', 'reject'] as const) {
      const d = deferred();
      const load = new StagedLoad(d.opening, 2);
      load.add(1, null, 'a');
      load.add(2, null, 'b');
      if (how === 'null') d.open(null);
      else d.fail(new Error('cannot open (test)'));
      expect(await load.finish()).toBe(false);
      expect(load.failure).toBeInstanceOf(Error);
      if (how === 'reject') expect((load.failure as Error).message).toBe('cannot open (test)');
      expect(load.add(3, null, 'c')).toBeUndefined();
      expect(load.salt).toBeNull();
      await expect(load.discard('undo')).resolves.toBeUndefined();
    }
  });

  it('no row at all: finish still waits for the stage to open (an empty stage is committed), and discard reaches it', async () => {
    const d = deferred();
    const load = new StagedLoad(d.opening, 2);
    const stage = new MemoryStage();
    setTimeout(() => d.open(stage), 10);
    expect(await load.finish()).toBe(true);
    expect(load.batches).toBe(0);
    expect(stage.loads).toEqual([]);
    expect(stage.sealedAt).toBe(0);
    await load.discard('abandon');
    expect(stage.discarded).toBe('abandon');
  });

  it('a load that fails ends the staging; rows after it are not loaded', async () => {
    const d = deferred();
    const stage = new MemoryStage();
    stage.failLoad = 2;
    d.open(stage);
    const load = new StagedLoad(d.opening, 1);
    for (let row = 1; row <= 30; row++) {
      await load.add(row, null, `v${row}`);
      await settle();
    }
    expect(await load.finish()).toBe(false);
    expect((load.failure as Error).message).toBe('load refused (test)');
    expect(stage.loads).toHaveLength(1);
    // A failed stage is not sealed.
    expect(stage.sealedAt).toBeNull();
  });

  it('a stage that cannot be sealed (the server did not take every row) ends the staging: finish is false', async () => {
    const d = deferred();
    const stage = new MemoryStage();
    stage.failSeal = true;
    d.open(stage);
    const load = new StagedLoad(d.opening, 2);
    for (let row = 1; row <= 5; row++) await load.add(row, null, `v${row}`);
    expect(await load.finish()).toBe(false);
    expect((load.failure as Error).message).toBe('seal refused (test)');
    expect(stage.sealedAt).toBe(5);
  });

  it('a batch that cannot be encoded ends the staging instead of failing the check pass (while the stage opens, and once it is open)', async () => {
    for (const failing of [1, 2]) {
      const d = deferred();
      const stage = new MemoryStage();
      const encode = stage.encode.bind(stage);
      let calls = 0;
      stage.encode = (ids, rows) => {
        if (++calls === failing) throw new Error('cannot encode (test)');
        return encode(ids, rows);
      };
      d.open(stage);
      const load = new StagedLoad(d.opening, 1);
      // Row 1 is cut before the stage is known open (encoded by the first load), row 2 after (encoded when cut).
      expect(() => load.add(1, null, 'a')).not.toThrow();
      await settle();
      expect(() => load.add(2, null, 'b')).not.toThrow();
      expect(await load.finish()).toBe(false);
      expect((load.failure as Error).message).toBe('cannot encode (test)');
      expect(calls).toBe(failing);
      expect(stage.loads).toHaveLength(failing - 1);
    }
  });
});
