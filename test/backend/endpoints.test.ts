import { describe, expect, it } from 'vitest';
import { resolveBackendUrl } from '../../src/backend/endpoints.js';
import { IngestError } from '../../src/errors.js';

function err(fn: () => unknown): IngestError {
  try {
    fn();
  } catch (e) {
    if (e instanceof IngestError) return e;
    throw e;
  }
  throw new Error('expected an IngestError');
}

describe('resolveBackendUrl', () => {
  it('maps CLIENT_ENV, prod by default', () => {
    expect(resolveBackendUrl({})).toBe('https://api.tracebloc.io');
    expect(resolveBackendUrl({ CLIENT_ENV: '' })).toBe('https://api.tracebloc.io');
    expect(resolveBackendUrl({ CLIENT_ENV: 'prod' })).toBe('https://api.tracebloc.io');
    expect(resolveBackendUrl({ CLIENT_ENV: 'stg' })).toBe('https://stg-api.tracebloc.io');
    expect(resolveBackendUrl({ CLIENT_ENV: 'dev' })).toBe('https://dev-api.tracebloc.io');
    expect(resolveBackendUrl({ CLIENT_ENV: 'local' })).toBe('http://localhost:8000');
  });

  it('refuses an unknown CLIENT_ENV, listing the allowed values', () => {
    const e = err(() => resolveBackendUrl({ CLIENT_ENV: 'staging' }));
    expect(e.code).toBe('ENV_INVALID');
    expect(e.context.env).toBe('CLIENT_ENV');
    expect(e.message).toContain('prod, stg, dev, local');
    expect(err(() => resolveBackendUrl({ CLIENT_ENV: 'toString' })).code).toBe('ENV_INVALID');
    expect(err(() => resolveBackendUrl({ CLIENT_ENV: 'PROD' })).code).toBe('ENV_INVALID');
  });

  it('BACKEND_URL overrides CLIENT_ENV', () => {
    expect(resolveBackendUrl({ BACKEND_URL: 'http://127.0.0.1:9999', CLIENT_ENV: 'bogus' })).toBe('http://127.0.0.1:9999');
    expect(resolveBackendUrl({ BACKEND_URL: 'https://example.test/api/' })).toBe('https://example.test/api');
    expect(resolveBackendUrl({ BACKEND_URL: 'https://example.test/' })).toBe('https://example.test');
    expect(resolveBackendUrl({ BACKEND_URL: '', CLIENT_ENV: 'stg' })).toBe('https://stg-api.tracebloc.io');
  });

  it('refuses a BACKEND_URL that is not http(s)', () => {
    for (const bad of ['ftp://x.test', 'not a url', '127.0.0.1:8000', 'https://u:p@x.test', 'https://x.test/?a=1']) {
      const e = err(() => resolveBackendUrl({ BACKEND_URL: bad }));
      expect(e.code).toBe('ENV_INVALID');
      expect(e.context.env).toBe('BACKEND_URL');
    }
    // credentials are never echoed
    expect(err(() => resolveBackendUrl({ BACKEND_URL: 'https://u:secret@x.test' })).message).not.toContain('secret');
  });
});
