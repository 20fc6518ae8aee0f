import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exists } from '../support/files.js';
import { useImageE2E, writeDatasetConfig } from '../support/image-e2e.js';
import { jpegBytes, pngBytes } from '../support/image-family.js';

const e2e = useImageE2E('instseg');

describe('instance_segmentation is refused at validate, and never half-ingested', () => {
  it('validate, plan and run all refuse it with the reason; nothing is written or sent', async () => {
    // A dataset that would be ingestible as semantic segmentation.
    const dir = path.join(e2e.pvc, 'cells');
    await mkdir(path.join(dir, 'images'), { recursive: true });
    await mkdir(path.join(dir, 'masks'), { recursive: true });
    await writeFile(path.join(dir, 'images', 'cell_1.jpg'), await jpegBytes(512, 512));
    await writeFile(path.join(dir, 'masks', 'cell_1_mask.png'), await pngBytes(512, 512));
    await writeFile(path.join(dir, 'labels.csv'), 'filename,image_label\ncell_1,cell\n');
    const config = await writeDatasetConfig(e2e.pvc, 'cells', 'instance_segmentation');
    e2e.backend.requests.length = 0;
    const runs = await Promise.all([e2e.cli('validate', config), e2e.cli('plan', config), e2e.cli('run', config)]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('at /category: category instance_segmentation is not ingested by this version');
      expect(r.stderr).toContain('no instance-mask format');
      expect(r.stderr).toContain('[CONFIG_UNSUPPORTED_CATEGORY]');
    }
    expect(await e2e.db.tableExists('cells_train')).toBe(false);
    expect(await exists(path.join(e2e.pvc, 'cells_train'))).toBe(false);
    expect(e2e.backend.requests).toEqual([]);
  });
});
