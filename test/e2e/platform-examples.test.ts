import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bannerIsClean, cleanEnv, copyFixturePvc, parseBanner, runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/** The platform's own example configs, unchanged, run against the fixture PVC. */
const EXAMPLES = path.resolve(import.meta.dirname, '..', 'fixtures', 'platform-examples');
const REFUSED: Record<string, string> = {
  'instance_segmentation.yaml': 'no instance-mask format',
  'custom_processor.yaml': 'Python',
};

let pvc: string;
beforeAll(async () => {
  pvc = await copyFixturePvc();
});

describe('platform example configs run to completion on the fixture PVC', async () => {
  const files = (await readdir(EXAMPLES)).filter((f) => f.endsWith('.yaml')).sort();

  it.each(files)('%s', async (file) => {
    const out = await tempDir();
    const r = await runCli(['run', path.join(EXAMPLES, file), '--storage-root', pvc, '--out', out], { env: cleanEnv() });
    if (REFUSED[file]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(REFUSED[file]);
      return;
    }
    expect(r.code, r.stderr).toBe(0);
    const banner = parseBanner(r.stdout);
    expect(banner['total']).toBeGreaterThan(0);
    expect(bannerIsClean(banner)).toBe(true);
  });
});
