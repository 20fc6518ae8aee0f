import { describe, expect, it } from 'vitest';
import { RUNTIMES } from '../../src/categories/registry.js';
import { REFUSED_CATEGORIES } from '../../src/categories/refused.js';
import { resolvePlan } from '../../src/config/plan.js';
import { validateConfig } from '../../src/config/validate.js';
import { IngestErrors } from '../../src/errors.js';

const YAML = `apiVersion: tracebloc.io/v1
kind: IngestConfig
table: cells_train
intent: train
category: instance_segmentation
csv: /data/shared/cells/labels.csv
images: /data/shared/cells/images/
label: image_label
`;

describe('instance_segmentation is refused on purpose', () => {
  it('has no runtime, and a reason', () => {
    expect(RUNTIMES.instance_segmentation).toBeUndefined();
    expect(REFUSED_CATEGORIES.instance_segmentation).toMatch(/no instance-mask format/);
  });

  it('passes the schema but is refused when the plan is resolved, pointing at `category`, saying why', () => {
    const { config } = validateConfig(YAML, 'ingest.yaml');
    let caught: unknown;
    try {
      resolvePlan(config, { configPath: 'ingest.yaml', configText: YAML, storageRoot: '/tmp/none' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(IngestErrors);
    const [first] = (caught as IngestErrors).errors;
    expect(first?.code).toBe('CONFIG_UNSUPPORTED_CATEGORY');
    expect(first?.context.path).toBe('/category');
    expect(first?.message).toBe(REFUSED_CATEGORIES.instance_segmentation);
    expect(first?.message).toMatch(/nothing was ingested — use semantic_segmentation/);
  });
});
