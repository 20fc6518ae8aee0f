import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

describe('library API', () => {
  it('exports the stages a program embedding the ingestor needs', () => {
    for (const name of ['loadPlan', 'validateConfig', 'resolvePlan', 'ingest', 'MysqlSink', 'LocalSink', 'BackendClient', 'HttpTransport', 'DryRunTransport', 'EgressLog', 'formatBanner', 'runCli', 'IngestError', 'EXIT', 'computeBuckets', 'casterFor']) {
      expect(api).toHaveProperty(name);
    }
    expect(api.VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('the package exports resolve: library, types and schema', async () => {
    const pkg = (await import('../package.json', { with: { type: 'json' } })).default as { exports: Record<string, unknown>; bin: Record<string, string> };
    expect(Object.keys(pkg.exports)).toEqual(expect.arrayContaining(['.', './schema']));
    expect(pkg.bin['tracebloc-ingest']).toBe('dist/cli.mjs');
    const schema = (await import('../schemas/ingest.v1.json', { with: { type: 'json' } })).default as { $id: string };
    expect(schema.$id).toBe('https://tracebloc.io/schemas/ingest.v1.json');
  });
});
