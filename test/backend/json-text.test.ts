import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../src/config/types.js';
import { EgressLog } from '../../src/backend/egress-log.js';
import { toJsonText } from '../../src/backend/transport.js';
import { IngestError } from '../../src/errors.js';
import { pick, prng } from '../support/prng.js';

/** A random JSON value: nested arrays and objects of strings (with escapes), numbers, booleans, null. */
function randomJson(rand: () => number, depth: number): JsonValue {
  const kind = depth > 3 ? Math.floor(rand() * 4) : Math.floor(rand() * 6);
  switch (kind) {
    case 0:
      return pick(rand, ['', 'a"b', 'c\\d', 'line\nbreak', 'tab\t', '\u0000', 'é✓😀', '</script>']);
    case 1:
      return pick(rand, [0, -0, 1.5, -1e300, 5e-324, 2 ** 53 + 2, 123456789]);
    case 2:
      return rand() < 0.5;
    case 3:
      return null;
    case 4:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomJson(rand, depth + 1));
    default: {
      const o: Record<string, JsonValue> = {};
      for (let i = Math.floor(rand() * 4); i > 0; i--) o[pick(rand, ['k', 'data_id', 'ü', 'a"', '__proto_', '1'])] = randomJson(rand, depth + 1);
      return o;
    }
  }
}

describe('toJsonText', () => {
  it('is exactly JSON.stringify for JSON values (2,000 random bodies)', () => {
    const rand = prng(20261130);
    for (let i = 0; i < 2000; i++) {
      const v = randomJson(rand, 0);
      expect(toJsonText(v)).toBe(JSON.stringify(v));
    }
  });

  it('refuses NaN, Infinity, bigint, functions and undefined array items anywhere in the body, naming no value', () => {
    const bad: unknown[] = [
      [{ label: Number.NaN }],
      { a: { b: [1, Infinity] } },
      { n: 10n },
      [() => 1],
      [undefined],
      { s: Symbol('x') },
    ];
    for (const body of bad) {
      let caught: unknown;
      try {
        toJsonText(body as JsonValue);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(IngestError);
      expect((caught as IngestError).code).toBe('INTERNAL');
    }
  });

  it('drops undefined object members as JSON.stringify does, and follows toJSON', () => {
    const body = { a: undefined, b: 1, when: new Date(0) } as unknown as JsonValue;
    expect(toJsonText(body)).toBe('{"b":1,"when":"1970-01-01T00:00:00.000Z"}');
  });
});

describe('EgressLog lines with the body text given', () => {
  it('are the JSON text of the whole entry, byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'egress-text-'));
    const log = await EgressLog.open(join(dir, 'e.ndjson'));
    const rand = prng(7);
    const expected: string[] = [];
    for (let i = 0; i < 200; i++) {
      const body = randomJson(rand, 0);
      const entry = {
        ts: '2026-11-30T00:00:00.000Z',
        method: 'POST' as const,
        path: '/global_meta/t/',
        query: i % 2 === 0 ? null : { table_name: 't"x' },
        body,
        ...(i % 3 === 0 ? { status: 503 } : {}),
        outcome: i % 3 === 0 ? ('failed' as const) : ('sent' as const),
      };
      log.record({ ...entry, bodyText: toJsonText(body) });
      expected.push(JSON.stringify(entry));
    }
    await log.close();
    expect((await readFile(log.file, 'utf8')).split('\n').slice(0, -1)).toEqual(expected);
  });
});
