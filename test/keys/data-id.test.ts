import { describe, expect, it } from 'vitest';
import { dataIdAssigner, formatUuidV8, writeUuidV8Json } from '../../src/keys/data-id.js';

const material = { salt: 'a'.repeat(64), configHash: 'c'.repeat(64), scope: { run: '6f1c2a9e-0d4b-4c8e-9a57-3b2d1e0f4a6c' } };
/** Row 7's id under the v1 derivation with the legacy material below, computed by the v1 code before v2 existed. */
const V1_ROW_7 = '09c45360-7df8-873c-8ccb-0af045b7423f';
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('data_id', () => {
  it('is a version-8 UUID, the same for the same record on a retry', () => {
    const a = dataIdAssigner({ strategy: 'uuid' }, material);
    const b = dataIdAssigner({ strategy: 'uuid' }, material);
    const ids = [1, 2, 3, 1_000_000].map((row) => a.assign(row, null));
    for (const id of ids) expect(id).toMatch(UUID_V8);
    expect([1, 2, 3, 1_000_000].map((row) => b.assign(row, null))).toEqual(ids);
  });

  it('never repeats within a dataset (200k rows)', () => {
    const a = dataIdAssigner({ strategy: 'uuid' }, material);
    const seen = new Set<string>();
    for (let row = 1; row <= 200_000; row++) seen.add(a.assign(row, null));
    expect(seen.size).toBe(200_000);
  });

  it('changes with the salt, the config and the run, so it cannot be computed outside the cluster', () => {
    const base = dataIdAssigner({ strategy: 'uuid' }, material).assign(7, null);
    for (const change of [{ salt: 'b'.repeat(64) }, { configHash: 'e'.repeat(64) }, { scope: { run: 'another-run' } }]) {
      expect(dataIdAssigner({ strategy: 'uuid' }, { ...material, ...change }).assign(7, null)).not.toBe(base);
    }
  });

  it('keeps the ids of runs recorded by earlier versions (bound to the source fingerprint) for their resumption', () => {
    const legacy = { salt: 'a'.repeat(64), configHash: 'c'.repeat(64), scope: { source: 'd'.repeat(64) } };
    // The v1 derivation, unchanged: sha256("tracebloc data_id v1\0" salt "\0" config "\0" source) -> AES-128 of the row.
    expect(dataIdAssigner({ strategy: 'uuid' }, legacy).assign(7, null)).toBe(V1_ROW_7);
    // A run id equal to that fingerprint still gives other ids: the two derivations never meet.
    expect(dataIdAssigner({ strategy: 'uuid' }, { ...legacy, scope: { run: 'd'.repeat(64) } }).assign(7, null)).not.toBe(V1_ROW_7);
  });

  it('assignMany gives exactly the ids assign gives, row by row (rows beyond 2^32 included)', () => {
    const a = dataIdAssigner({ strategy: 'uuid' }, material);
    const rows = [1, 2, 3, 999, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 40 + 123, Number.MAX_SAFE_INTEGER];
    expect(a.assignMany(rows, rows.map(() => null))).toEqual(rows.map((r) => a.assign(r, null)));
    expect(a.assignMany([], [])).toEqual([]);
    const c = dataIdAssigner({ strategy: 'column', column: 'pid' }, material);
    expect(c.assignMany([4, 9], ['P-4', 'P-9'])).toEqual(['P-4', 'P-9']);
  });

  it('assignManyJson (and assignManyJsonLater) give the JSON text of the ids assignMany gives, back to back, with their ends', () => {
    const check = (a: ReturnType<typeof dataIdAssigner>, rows: number[], sources: (string | null)[]) => {
      const json = a.assignManyJson(rows, sources);
      const ids = a.assignMany(rows, sources);
      expect(json.count).toBe(ids.length);
      expect(Buffer.from(json.bytes).toString('utf8')).toBe(ids.map((id) => JSON.stringify(id)).join(''));
      let start = 0;
      ids.forEach((id, i) => {
        expect(Buffer.from(json.bytes.subarray(start, json.ends[i])).toString('utf8')).toBe(JSON.stringify(id));
        start = json.ends[i]!;
      });
      expect(start).toBe(json.bytes.length);
      // Made later: sized now, the same bytes when made.
      const later = a.assignManyJsonLater(rows, sources);
      expect(later.count).toBe(ids.length);
      expect(later.byteLength).toBe(json.bytes.length);
      const made = later.make();
      expect(Buffer.from(made.bytes).equals(Buffer.from(json.bytes))).toBe(true);
      expect([...made.ends]).toEqual([...json.ends]);
    };
    const rows = [1, 2, 3, 999, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 5, 2 ** 40 + 123, Number.MAX_SAFE_INTEGER, ...Array.from({ length: 2000 }, (_, i) => i * 7919)];
    check(dataIdAssigner({ strategy: 'uuid' }, material), rows, rows.map(() => null));
    check(dataIdAssigner({ strategy: 'uuid' }, material), [], []);
    const awkward = ['P-4', 'quote"d', 'back\\slash', 'tab\tx', '猫🐱', '\ud800', ''];
    check(dataIdAssigner({ strategy: 'column', column: 'pid' }, material), awkward.map((_, i) => i + 1), awkward);
  });

  it('writes a UUID as JSON bytes exactly as JSON.stringify(formatUuidV8) for every byte value in every position', () => {
    const out = new Uint8Array(40);
    for (let v = 0; v < 256; v++) {
      const block = new Uint8Array(18);
      for (let k = 0; k < 16; k++) block[2 + k] = (v + 37 * k) & 0xff;
      writeUuidV8Json(block, 2, out, 1);
      expect(Buffer.from(out.subarray(1, 39)).toString('latin1')).toBe(JSON.stringify(formatUuidV8(block.subarray(2))));
    }
  });

  it('uses the source value under the explicit column strategy', () => {
    expect(dataIdAssigner({ strategy: 'column', column: 'pid' }, material).assign(3, 'P-3')).toBe('P-3');
  });

  it('formats bytes as a UUID with version and variant bits set', () => {
    expect(formatUuidV8(new Uint8Array(16).fill(0xff))).toBe('ffffffff-ffff-8fff-bfff-ffffffffffff');
    expect(formatUuidV8(new Uint8Array(16))).toBe('00000000-0000-8000-8000-000000000000');
  });
});
