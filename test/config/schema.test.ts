import { readFileSync, readdirSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { SchemaObject, ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const examplesDir = new URL('test/fixtures/platform-examples/', root);

function loadSchema(relative: string): SchemaObject {
  return JSON.parse(readFileSync(new URL(relative, root), 'utf8')) as SchemaObject;
}

// Separate instances: both schemas carry the same $id.
const ours = loadSchema('schemas/ingest.v1.json');
const platform = loadSchema('test/fixtures/platform-ingest.v1.json');
const validateOurs = new Ajv({ allErrors: true, strictTypes: false }).compile(ours);
const validatePlatform = new Ajv({ allErrors: true, strictTypes: false }).compile(platform);

function accepts(validate: ValidateFunction, doc: unknown): boolean {
  return validate(doc) === true;
}

const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((name) => ({ name, doc: parse(readFileSync(new URL(name, examplesDir), 'utf8')) as Record<string, unknown> }));

const base = {
  apiVersion: 'tracebloc.io/v1',
  kind: 'IngestConfig',
  table: 't',
  intent: 'train',
  category: 'tabular_classification',
  csv: '/data/shared/x.csv',
  schema: { age: 'INT', y: 'VARCHAR(8)' },
  label: 'y',
};
const regression = { ...base, category: 'tabular_regression', label: { column: 'y', policy: 'bucket' } };
const image = { ...base, category: 'image_classification', images: '/i/', schema: undefined };
const keypoint = { ...image, category: 'keypoint_detection', target_size: [448, 448], number_of_keypoints: 9 };

/** Drop keys whose value is undefined, so spreads can remove keys. */
function doc(value: Record<string, unknown>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

function without(value: Record<string, unknown>, key: string): Record<string, unknown> {
  const copy = doc(value);
  delete copy[key];
  return copy;
}

describe('schemas/ingest.v1.json', () => {
  it('has the published $id and is draft-07', () => {
    expect(ours.$id).toBe('https://tracebloc.io/schemas/ingest.v1.json');
    expect(ours.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('has the platform fixtures to compare against', () => {
    expect(examples.length).toBeGreaterThanOrEqual(12);
  });

  describe.each(examples)('platform example $name', ({ doc: example }) => {
    it('is accepted by the platform schema and by ours (superset)', () => {
      expect(accepts(validatePlatform, example), JSON.stringify(validatePlatform.errors)).toBe(true);
      expect(accepts(validateOurs, example), JSON.stringify(validateOurs.errors)).toBe(true);
    });
  });

  const acceptedByBoth: [string, Record<string, unknown>][] = [
    ['json source', doc({ ...base, csv: undefined, json: '/d.json' })],
    ['data_id column with column', doc({ ...base, data_id: { strategy: 'column', column: 'age' } })],
    ['data_id uuid', doc({ ...base, data_id: { strategy: 'uuid' } })],
    ['regression passthrough', doc({ ...regression, label: { column: 'y', policy: 'passthrough' } })],
    ['label object on classification', doc({ ...base, label: { column: 'y' } })],
    ['file_options with extra keys', doc({ ...image, spec: { file_options: { extension: '.png', whatever: 1 } } })],
    ['csv_options', doc({ ...base, spec: { csv_options: { chunk_size: 10, delimiter: ';', quotechar: "'", escapechar: '\\' } } })],
    ['sidecars', doc({ ...base, spec: { sidecars: [{ column: 'a', source: '/s', transform: { resize: [1, 2] } }] } })],
    ['time_to_event with time_column', doc({ ...regression, category: 'time_to_event_prediction', time_column: 'age' })],
  ];

  it.each(acceptedByBoth)('both accept: %s', (_, value) => {
    expect(accepts(validatePlatform, value), JSON.stringify(validatePlatform.errors)).toBe(true);
    expect(accepts(validateOurs, value), JSON.stringify(validateOurs.errors)).toBe(true);
  });

  const rejectedByBoth: [string, Record<string, unknown>][] = [
    ['missing apiVersion', without(base, 'apiVersion')],
    ['wrong apiVersion', doc({ ...base, apiVersion: 'tracebloc.io/v2' })],
    ['wrong kind', doc({ ...base, kind: 'Ingest' })],
    ['missing table', without(base, 'table')],
    ['empty table', doc({ ...base, table: '' })],
    ['missing intent', without(base, 'intent')],
    ['bad intent', doc({ ...base, intent: 'validation' })],
    ['missing category', without(base, 'category')],
    ['unknown category', doc({ ...base, category: 'audio_classification' })],
    ['unknown top-level key', doc({ ...base, lable: 'y' })],
    ['csv and json', doc({ ...base, json: '/d.json' })],
    ['neither csv nor json', without(base, 'csv')],
    ['empty csv path', doc({ ...base, csv: '' })],
    ['image_classification without images', without(image, 'images')],
    ['image_classification without label', without(image, 'label')],
    ['object_detection without annotations', doc({ ...image, category: 'object_detection' })],
    ['semantic_segmentation without masks', doc({ ...image, category: 'semantic_segmentation' })],
    ['instance_segmentation without images', without(doc({ ...image, category: 'instance_segmentation' }), 'images')],
    ['text_classification without texts', doc({ ...base, category: 'text_classification', schema: undefined })],
    ['token_classification without texts', doc({ ...base, category: 'token_classification', schema: undefined })],
    ['masked_language_modeling without sequences', doc({ ...base, category: 'masked_language_modeling', label: undefined, schema: undefined })],
    ['masked_language_modeling with label', doc({ ...base, category: 'masked_language_modeling', sequences: '/s/', schema: undefined })],
    ['tabular_classification without schema', without(base, 'schema')],
    ['tabular_classification without label', without(base, 'label')],
    ['empty schema', doc({ ...base, schema: {} })],
    ['non-string schema type', doc({ ...base, schema: { age: 5 } })],
    ['tabular_regression with string label', doc({ ...regression, label: 'y' })],
    ['tabular_regression without policy', doc({ ...regression, label: { column: 'y' } })],
    ['tabular_regression without label', without(regression, 'label')],
    ['time_series_forecasting with string label', doc({ ...regression, category: 'time_series_forecasting', label: 'y' })],
    ['time_to_event_prediction without policy', doc({ ...regression, category: 'time_to_event_prediction', label: { column: 'y' } })],
    ['bad label policy', doc({ ...base, label: { column: 'y', policy: 'hash' } })],
    ['label object without column', doc({ ...base, label: { policy: 'passthrough' } })],
    ['label object with unknown key', doc({ ...base, label: { column: 'y', colour: 'red' } })],
    ['empty label string', doc({ ...base, label: '' })],
    ['numeric label', doc({ ...base, label: 5 })],
    ['keypoint_detection without target_size', without(keypoint, 'target_size')],
    ['keypoint_detection without number_of_keypoints', without(keypoint, 'number_of_keypoints')],
    ['target_size with three numbers', doc({ ...keypoint, target_size: [1, 2, 3] })],
    ['target_size with a zero', doc({ ...keypoint, target_size: [0, 2] })],
    ['number_of_keypoints zero', doc({ ...keypoint, number_of_keypoints: 0 })],
    ['data_id column without column', doc({ ...base, data_id: { strategy: 'column' } })],
    ['data_id without strategy', doc({ ...base, data_id: { column: 'age' } })],
    ['data_id unknown key', doc({ ...base, data_id: { strategy: 'uuid', salt: 'x' } })],
    ['spec unknown key', doc({ ...base, spec: { retries: 3 } })],
    ['spec.resume is not part of v1', doc({ ...base, spec: { resume: true } })],
    ['csv_options unknown key', doc({ ...base, spec: { csv_options: { encoding: 'latin1' } } })],
    ['csv_options chunk_size zero', doc({ ...base, spec: { csv_options: { chunk_size: 0 } } })],
    ['csv_options empty delimiter', doc({ ...base, spec: { csv_options: { delimiter: '' } } })],
    ['file_options bad extension', doc({ ...image, spec: { file_options: { extension: '.gif' } } })],
    ['sidecar without source', doc({ ...base, spec: { sidecars: [{ column: 'a' }] } })],
    ['processor without class', doc({ ...base, spec: { processors: [{ script: '/custom/p.py' }] } })],
    ['processor with unknown key', doc({ ...base, spec: { processors: [{ script: '/p.py', class: 'P', kwargs: {} }] } })],
    ['validators not strings', doc({ ...base, spec: { validators: [1] } })],
  ];

  it.each(rejectedByBoth)('both reject: %s', (_, value) => {
    expect(accepts(validatePlatform, value)).toBe(false);
    expect(accepts(validateOurs, value)).toBe(false);
  });

  it.each([[null], ['text'], [[1, 2]], [42]])('both reject the non-mapping document %j', (value) => {
    expect(accepts(validatePlatform, value)).toBe(false);
    expect(accepts(validateOurs, value)).toBe(false);
  });

  it('keeps every description of the platform schema', () => {
    const descriptions = (node: unknown, out: Set<string> = new Set()): Set<string> => {
      if (Array.isArray(node)) node.forEach((n) => descriptions(n, out));
      else if (typeof node === 'object' && node !== null) {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'description' && typeof v === 'string') out.add(v);
          else descriptions(v, out);
        }
      }
      return out;
    };
    const ourDescriptions = descriptions(ours);
    for (const d of descriptions(platform)) expect(ourDescriptions.has(d), d).toBe(true);
  });

  describe('ingestor extensions', () => {
    const bucket = (extra: Record<string, unknown>): Record<string, unknown> =>
      doc({ ...regression, label: { column: 'y', policy: 'bucket', ...extra } });
    const spec = (extra: Record<string, unknown>): Record<string, unknown> => doc({ ...base, spec: extra });

    it.each([
      ['strategy quantile', bucket({ strategy: 'quantile' })],
      ['strategy equal_width', bucket({ strategy: 'equal_width' })],
      ['bins 2', bucket({ bins: 2 })],
      ['bins 100', bucket({ bins: 100 })],
      ['min_bucket_size 1', bucket({ min_bucket_size: 1 })],
      ['all three', bucket({ strategy: 'quantile', bins: 10, min_bucket_size: 20 })],
      ['on_invalid_row fail', spec({ on_invalid_row: 'fail' })],
      ['on_invalid_row quarantine', spec({ on_invalid_row: 'quarantine', max_invalid_rows: 10 })],
      ['max_invalid_rows 0', spec({ max_invalid_rows: 0 })],
      ['max_invalid_rows 5%', spec({ max_invalid_rows: '5%' })],
      ['max_invalid_rows 0.5%', spec({ max_invalid_rows: '0.5%' })],
      ['max_invalid_rows 100%', spec({ max_invalid_rows: '100%' })],
    ])('ours accepts %s (the platform does not know it)', (_, value) => {
      expect(accepts(validateOurs, value), JSON.stringify(validateOurs.errors)).toBe(true);
      expect(accepts(validatePlatform, value)).toBe(false);
    });

    it.each([
      ['strategy unknown', bucket({ strategy: 'kmeans' })],
      ['bins 1', bucket({ bins: 1 })],
      ['bins 101', bucket({ bins: 101 })],
      ['bins not an integer', bucket({ bins: 2.5 })],
      ['bins as a string', bucket({ bins: '10' })],
      ['min_bucket_size 0', bucket({ min_bucket_size: 0 })],
      ['on_invalid_row skip', spec({ on_invalid_row: 'skip' })],
      ['max_invalid_rows negative', spec({ max_invalid_rows: -1 })],
      ['max_invalid_rows fractional', spec({ max_invalid_rows: 1.5 })],
      ['max_invalid_rows without %', spec({ max_invalid_rows: '5' })],
      ['max_invalid_rows 101%', spec({ max_invalid_rows: '101%' })],
      ['max_invalid_rows with a space', spec({ max_invalid_rows: '5 %' })],
      ['max_invalid_rows negative percentage', spec({ max_invalid_rows: '-5%' })],
    ])('ours rejects %s', (_, value) => {
      expect(accepts(validateOurs, value)).toBe(false);
    });
  });
});
