import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from '../../src/config/plan.js';
import { validateConfig } from '../../src/config/validate.js';
import { mapConfiguredPath } from '../../src/config/storage-paths.js';
import { IngestErrors } from '../../src/errors.js';

function plan(yaml: string, storageRoot = '/pvc') {
  const { config } = validateConfig(yaml, 'ingest.yaml');
  return resolvePlan(config, { configPath: 'ingest.yaml', configText: yaml, storageRoot });
}

const head = 'apiVersion: tracebloc.io/v1\nkind: IngestConfig\nintent: train\n';

describe('storage paths', () => {
  it('maps /data/shared into the storage root, resolves relative paths against it, keeps others', () => {
    expect(mapConfiguredPath('/data/shared/a/b.csv', '/pvc')).toBe('/pvc/a/b.csv');
    expect(mapConfiguredPath('/data/shared', '/pvc')).toBe('/pvc');
    expect(mapConfiguredPath('a/b.csv', '/pvc')).toBe('/pvc/a/b.csv');
    expect(mapConfiguredPath('/elsewhere/b.csv', '/pvc')).toBe('/elsewhere/b.csv');
    expect(mapConfiguredPath('/data/sharedx/b.csv', '/pvc')).toBe('/data/sharedx/b.csv');
  });
});

describe('resolvePlan', () => {
  it('resolves a tabular regression config into a frozen plan', () => {
    const p = plan(`${head}category: tabular_regression\ntable: t\ncsv: /data/shared/h/h.csv\nschema:\n  sqft: FLOAT\n  price: decimal(10,2)\nlabel:\n  column: price\n  policy: bucket\n`);
    expect(p.source).toMatchObject({ kind: 'csv', path: '/pvc/h/h.csv', delimiter: ',', quote: '"', escape: '"' });
    expect(p.columns.map((c) => [c.name, c.type.sql])).toEqual([
      ['sqft', 'FLOAT'],
      ['price', 'DECIMAL(10,2)'],
    ]);
    expect(p.label).toEqual({ column: 'price', policy: 'bucket', strategy: 'quantile', bins: 10, minBucketSize: 5 });
    expect(p.dataId).toEqual({ strategy: 'uuid' });
    expect(p.dataFormat).toBe('tabular');
    expect(p.destination).toBe(path.join('/pvc', 't'));
    expect(p.metaData).toEqual({ schema: { sqft: 'FLOAT', price: 'DECIMAL(10,2)' }, number_of_columns: 2 });
    expect(p.sendsEdgeLabels).toBe(true);
    expect(p.allowFeatureModification).toBe(false);
    expect(Object.isFrozen(p) && Object.isFrozen(p.columns) && Object.isFrozen(p.metaData)).toBe(true);
  });

  it('image classification gets the category defaults, overridable by file_options', () => {
    const base = `${head}category: image_classification\ntable: t\ncsv: l.csv\nimages: imgs/\nlabel: y\n`;
    const p = plan(base);
    expect(p.images).toMatchObject({ dir: '/pvc/imgs', extension: '.jpeg', targetSize: [256, 256] });
    expect(p.metaData).toEqual({ target_size: [256, 256], extension: '.jpeg' });
    expect(p.filenameColumn).toBe('filename');
    const q = plan(`${base}spec:\n  file_options:\n    target_size: [640, 480]\n    extension: .png\n`);
    expect(q.images).toMatchObject({ extension: '.png', targetSize: [640, 480] });
    const r = plan(`${base}spec:\n  file_options:\n    exact_size: false\n    max_pixels: 1000\n`);
    expect(r.images).toMatchObject({ targetSize: null, maxPixels: 1000 });
  });

  it('an explicit escape character and delimiter come from csv_options', () => {
    const p = plan(`${head}category: tabular_classification\ntable: t\ncsv: a.csv\nschema:\n  x: INT\nlabel: x\nspec:\n  csv_options:\n    delimiter: ";"\n    escapechar: "\\\\"\n    chunk_size: 50\n`);
    expect(p.source).toMatchObject({ delimiter: ';', escape: '\\' });
    expect(p.batchSize).toBe(50);
  });

  it('data_id column strategy and time column default', () => {
    const p = plan(`${head}category: time_to_event_prediction\ntable: t\ncsv: a.csv\nschema:\n  time: INT\n  e: INT\nlabel:\n  column: e\n  policy: passthrough\ndata_id:\n  strategy: column\n  column: id\n`);
    expect(p.dataId).toEqual({ strategy: 'column', column: 'id' });
    expect(p.timeColumn).toBe('time');
    expect(p.metaData['time_column']).toBe('time');
  });

  it('refuses Python processors rather than skipping them', () => {
    const yaml = `${head}category: tabular_classification\ntable: t\ncsv: a.csv\nschema:\n  x: INT\nlabel: x\nspec:\n  processors:\n    - script: /custom/decrypt.py\n      class: AESDecryptor\n`;
    let err: unknown;
    try {
      plan(yaml);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IngestErrors);
    expect((err as IngestErrors).errors[0]!.message).toContain('Python');
    expect((err as IngestErrors).errors[0]!.context.path).toBe('/spec/processors/0');
  });
});
