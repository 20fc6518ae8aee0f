import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain ESM build script without types
import { AJV_OPTIONS, generateValidator, SCHEMA_FILE, VALIDATOR_FILE } from '../../scripts/build-validator.mjs';
import compiled from '../../src/config/generated/ingest-schema-validator.js';

const gen = generateValidator as (schemaText?: string) => string;

describe('the ahead-of-time schema validator', () => {
  it('is exactly what scripts/build-validator.mjs generates from schemas/ingest.v1.json (run it after changing the schema)', () => {
    expect(readFileSync(VALIDATOR_FILE as string, 'utf8')).toBe(gen());
  });

  it('gives the errors ajv gives when it compiles the schema at run time', () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE as string, 'utf8')) as object;
    const runtime = new Ajv(AJV_OPTIONS as object).compile(schema);
    const aot = compiled as unknown as typeof runtime;
    const cases: unknown[] = [
      {},
      { apiVersion: 'tracebloc.io/v1', kind: 'IngestConfig', table: 't', intent: 'train', category: 'tabular_regression', csv: 'a.csv' },
      { apiVersion: 'tracebloc.io/v1', kind: 'IngestConfig', table: 'x'.repeat(80), intent: 'later', category: 'nope', csv: 3, extra: true },
      { apiVersion: 'v0', kind: 'IngestConfig', table: 't', intent: 'test', category: 'image_classification', images: 'i/', label: { column: 'y', policy: 'bucket', bins: 0 } },
      { apiVersion: 'tracebloc.io/v1', kind: 'IngestConfig', table: 'tbl', intent: 'train', category: 'tabular_classification', csv: 'c.csv', schema: { a: 5, 'b c': 'INT' }, spec: { batch_size: -1 } },
      'not an object',
      null,
    ];
    for (const data of cases) {
      const ok = runtime(data);
      expect(aot(data)).toBe(ok);
      expect(aot.errors ?? null).toEqual(runtime.errors ?? null);
    }
  });
});
