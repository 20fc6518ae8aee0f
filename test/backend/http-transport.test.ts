import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpTransport, parseRetryAfter, type HttpTransportOptions, type RetryInfo } from '../../src/backend/http-transport.js';
import { toJsonText } from '../../src/backend/transport.js';
import { IngestError } from '../../src/errors.js';
import { startFakeBackend, type FakeBackend } from '../support/fake-backend.js';

const TOKEN = 'tok-0123456789abcdef';

let fake: FakeBackend;
const transports: HttpTransport[] = [];

beforeEach(async () => {
  fake = await startFakeBackend({ token: TOKEN });
});

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await fake.close();
});

function transport(opts: Partial<HttpTransportOptions> = {}): HttpTransport {
  const t = new HttpTransport({
    baseUrl: fake.url,
    token: TOKEN,
    baseDelayMs: 10,
    timeoutMs: 2_000,
    proxyEnv: {}, // never route the tests through a proxy of the machine running them
    ...opts,
  });
  transports.push(t);
  return t;
}

async function rejection(p: Promise<unknown>): Promise<IngestError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof IngestError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

const dataset = { method: 'POST', path: '/dataset/', body: { title: 't', allow_feature_modification: false } } as const;
const prepare = {
  method: 'GET',
  path: '/global_meta/prepare/',
  query: { category: 'tabular_regression', injestor_id: 'ing-1', data_format: 'tabular', data_intent: 'train' },
} as const;

describe('HttpTransport', () => {
  it('sends the token, JSON body and query string', async () => {
    const t = transport();
    const res = await t.send(dataset);
    expect(res).toEqual({ status: 201, body: { id: 1, title: 't' } });
    const res2 = await t.send(prepare);
    expect(res2).toEqual({ status: 200, body: {} });
    expect(fake.requests).toHaveLength(2);
    const [a, b] = fake.requests;
    expect(a?.authMatched).toBe(true);
    expect(a?.headers['content-type']).toBe('application/json');
    expect(a?.headers['accept']).toBe('application/json');
    expect(a?.body).toEqual({ title: 't', allow_feature_modification: false });
    expect(b?.authMatched).toBe(true);
    expect(b?.query).toEqual(prepare.query);
    expect(b?.rawBody).toBe('');
    expect(b?.headers['content-type']).toBeUndefined();
  });

  it('encodes query values with URLSearchParams', async () => {
    const t = transport();
    await t.send({ ...prepare, query: { ...prepare.query, category: 'a b&c=d/é' } });
    expect(fake.requests[0]?.query['category']).toBe('a b&c=d/é');
  });

  it('keeps a base URL path prefix', async () => {
    const t = transport({ baseUrl: `${fake.url}/prefix/` });
    const e = await rejection(t.send(dataset));
    expect(e.code).toBe('BACKEND_REJECTED');
    expect(fake.requests[0]?.path).toBe('/prefix/dataset/');
  });

  it('retries on 503 and then succeeds', async () => {
    const retries: RetryInfo[] = [];
    const t = transport({ onRetry: (i) => retries.push(i) });
    fake.faults.failNext(2, 503);
    const res = await t.send(dataset);
    expect(res.status).toBe(201);
    expect(fake.requests.map((r) => r.status)).toEqual([503, 503, 201]);
    expect(retries.map((r) => [r.retry, r.status, r.retryAfter])).toEqual([
      [1, 503, false],
      [2, 503, false],
    ]);
    // backoff with jitter in [d/2, d], d = 10, 20
    expect(retries[0]?.delayMs).toBeGreaterThanOrEqual(5);
    expect(retries[0]?.delayMs).toBeLessThanOrEqual(10);
    expect(retries[1]?.delayMs).toBeGreaterThanOrEqual(10);
    expect(retries[1]?.delayMs).toBeLessThanOrEqual(20);
    // POST bodies are re-sent identically
    expect(new Set(fake.requests.map((r) => r.rawBody)).size).toBe(1);
  });

  it('retries on 429, 500, 502 and 504', async () => {
    const t = transport();
    for (const status of [429, 500, 502, 504]) {
      fake.requests.length = 0;
      fake.faults.failNext(1, status);
      await t.send(prepare);
      expect(fake.requests.map((r) => r.status)).toEqual([status, 200]);
    }
  });

  it('honours Retry-After in seconds, capped', async () => {
    const retries: RetryInfo[] = [];
    const t = transport({ onRetry: (i) => retries.push(i), maxRetryAfterMs: 300 });
    fake.faults.failNext(1, 429);
    fake.faults.retryAfter = 1;
    const start = Date.now();
    await t.send(prepare);
    const elapsed = Date.now() - start;
    expect(retries[0]?.retryAfter).toBe(true);
    expect(retries[0]?.delayMs).toBe(300); // 1 s capped to 300 ms
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(1000);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const retries: RetryInfo[] = [];
    const t = transport({ onRetry: (i) => retries.push(i) });
    fake.faults.failNext(1, 503);
    fake.faults.retryAfter = new Date(Date.now() + 1500).toUTCString();
    await t.send(prepare);
    expect(retries[0]?.retryAfter).toBe(true);
    // HTTP dates have 1 s resolution
    expect(retries[0]?.delayMs).toBeGreaterThan(0);
    expect(retries[0]?.delayMs).toBeLessThanOrEqual(1500);
  });

  it('parseRetryAfter', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter(undefined, 60_000, now)).toBeUndefined();
    expect(parseRetryAfter('', 60_000, now)).toBeUndefined();
    expect(parseRetryAfter('garbage', 60_000, now)).toBeUndefined();
    expect(parseRetryAfter('-1', 60_000, now)).toBeUndefined();
    expect(parseRetryAfter('1.5', 60_000, now)).toBeUndefined();
    expect(parseRetryAfter('0', 60_000, now)).toBe(0);
    expect(parseRetryAfter('7', 60_000, now)).toBe(7000);
    expect(parseRetryAfter('3600', 60_000, now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', 60_000, now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', 60_000, now)).toBe(0);
  });

  it('401 → BACKEND_AUTH without retry, token not in the message', async () => {
    const t = transport({ token: 'wrong-token-value' });
    const e = await rejection(t.send(dataset));
    expect(e.code).toBe('BACKEND_AUTH');
    expect(e.errorClass).toBe('auth');
    expect(e.context.status).toBe(401);
    expect(e.message).toContain('refused the token');
    expect(e.message).not.toContain('wrong-token-value');
    expect(JSON.stringify(e.toJSON())).not.toContain('wrong-token-value');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.authPresent).toBe(true);
    expect(fake.requests[0]?.authMatched).toBe(false);
  });

  it('403 → BACKEND_AUTH without retry', async () => {
    const t = transport();
    fake.faults.failNext(1, 403);
    const e = await rejection(t.send(dataset));
    expect(e.code).toBe('BACKEND_AUTH');
    expect(e.context.status).toBe(403);
    expect(fake.requests).toHaveLength(1);
  });

  it('after a 401 retries once with a different token from tokenProvider', async () => {
    fake.token = 'rotated-token';
    let calls = 0;
    const t = transport({ tokenProvider: () => (calls++, 'rotated-token') });
    const res = await t.send(dataset);
    expect(res.status).toBe(201);
    expect(calls).toBe(1);
    expect(fake.requests.map((r) => r.authMatched)).toEqual([false, true]);
    // the new token is kept for later requests
    await t.send(dataset);
    expect(fake.requests.map((r) => r.authMatched)).toEqual([false, true, true]);
  });

  it('does not retry a 401 when tokenProvider returns the same token, or after one refresh', async () => {
    const same = transport({ token: 'bad-token', tokenProvider: () => 'bad-token' });
    expect((await rejection(same.send(dataset))).code).toBe('BACKEND_AUTH');
    expect(fake.requests).toHaveLength(1);

    fake.requests.length = 0;
    let n = 0;
    const changing = transport({ token: 'bad-1', tokenProvider: () => `bad-${++n + 1}` });
    expect((await rejection(changing.send(dataset))).code).toBe('BACKEND_AUTH');
    expect(fake.requests).toHaveLength(2);
  });

  it('400 → BACKEND_REJECTED with status, path and the JSON detail', async () => {
    const t = transport();
    const e = await rejection(t.send({ method: 'POST', path: '/dataset/', body: { title: 'x' } }));
    expect(e.code).toBe('BACKEND_REJECTED');
    expect(e.context.status).toBe(400);
    expect(e.message).toContain('POST /dataset/');
    expect(e.message).toContain('HTTP 400');
    expect(e.message).toContain('allow_feature_modification must be a boolean');
    expect(fake.requests).toHaveLength(1);
  });

  it('a rejected row-metadata POST never shows the backend explanation (it may quote the labels sent)', async () => {
    const t = transport();
    const e = await rejection(t.send({ method: 'POST', path: '/global_meta/cars/', body: [{ data_id: 'P-SECRET', label: 'x' }] }));
    expect(e.code).toBe('BACKEND_REJECTED');
    expect(e.context.status).toBe(400);
    expect(e.message).toContain('POST /global_meta/cars/');
    expect(e.message).not.toContain('P-SECRET');
    expect(e.message).not.toContain(':');
  });

  it('404 → BACKEND_REJECTED, no retry', async () => {
    const t = transport();
    const e = await rejection(t.send({ method: 'GET', path: '/nope/' }));
    expect(e.code).toBe('BACKEND_REJECTED');
    expect(e.context.status).toBe(404);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries exhausted → BACKEND_FAILED with the status', async () => {
    const retries: RetryInfo[] = [];
    const t = transport({ onRetry: (i) => retries.push(i) });
    fake.faults.failEvery(1, 502);
    const e = await rejection(t.send(dataset));
    expect(e.code).toBe('BACKEND_FAILED');
    expect(e.errorClass).toBe('transient');
    expect(e.context.status).toBe(502);
    expect(e.message).toContain('6 attempts');
    expect(fake.requests).toHaveLength(6); // 1 + 5 retries
    expect(retries).toHaveLength(5);
  });

  it('retries: 0 fails at once', async () => {
    const t = transport({ retries: 0 });
    fake.faults.failNext(1, 500);
    const e = await rejection(t.send(dataset));
    expect(e.code).toBe('BACKEND_FAILED');
    expect(fake.requests).toHaveLength(1);
  });

  it('a closed connection is retried', async () => {
    const retries: RetryInfo[] = [];
    const t = transport({ onRetry: (i) => retries.push(i) });
    fake.faults.closeConnectionNext(2);
    const res = await t.send(dataset);
    expect(res.status).toBe(201);
    expect(fake.requests).toHaveLength(3);
    expect(retries.map((r) => r.error)).toEqual(['UND_ERR_SOCKET', 'UND_ERR_SOCKET']);
  });

  it('a connection refused is retried, then BACKEND_FAILED', async () => {
    const port = fake.port;
    await fake.close();
    const retries: RetryInfo[] = [];
    const t = transport({ baseUrl: `http://127.0.0.1:${port}`, retries: 2, onRetry: (i) => retries.push(i) });
    const e = await rejection(t.send(dataset));
    expect(e.code).toBe('BACKEND_FAILED');
    expect(e.message).toContain('ECONNREFUSED');
    expect(retries.map((r) => r.error)).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
    fake = await startFakeBackend({ token: TOKEN }); // for afterEach
  });

  it('a timeout is retried', async () => {
    const retries: RetryInfo[] = [];
    const t = transport({ timeoutMs: 150, onRetry: (i) => retries.push(i) });
    fake.faults.delayNext(1, 1000);
    const start = Date.now();
    const res = await t.send(dataset);
    expect(res.status).toBe(201);
    expect(Date.now() - start).toBeLessThan(900);
    expect(retries).toHaveLength(1);
    expect(retries[0]?.error).toMatch(/TIMEOUT/);
    expect(fake.requests).toHaveLength(2);
  });

  it('timeouts on every attempt → BACKEND_FAILED', async () => {
    const t = transport({ timeoutMs: 80, retries: 1 });
    fake.faults.delayMs = 500;
    const e = await rejection(t.send(prepare));
    expect(e.code).toBe('BACKEND_FAILED');
    expect(e.message).toMatch(/TIMEOUT/);
  });

  it('a non-JSON 2xx body → BACKEND_REJECTED, not retried', async () => {
    const t = transport();
    fake.faults.nonJsonNext(1);
    const e = await rejection(t.send(dataset));
    expect(e.code).toBe('BACKEND_REJECTED');
    expect(e.message).toContain('expected JSON');
    expect(e.message).not.toContain('corporate proxy');
    expect(fake.requests).toHaveLength(1);
  });

  it('a non-JSON error body is not quoted', async () => {
    const http = await import('node:http');
    const server = http.createServer((_req, res) => {
      res.writeHead(422, { 'content-type': 'text/plain' });
      res.end('secret stack trace');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      const t2 = transport({ baseUrl: `http://127.0.0.1:${port}` });
      const e = await rejection(t2.send(dataset));
      expect(e.code).toBe('BACKEND_REJECTED');
      expect(e.context.status).toBe(422);
      expect(e.message).not.toContain('secret');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('an empty 2xx body or a 204 gives body null; redirects are not followed', async () => {
    const http = await import('node:http');
    const server = http.createServer((req, res) => {
      if (req.url === '/empty/') {
        res.writeHead(200);
        res.end();
      } else if (req.url === '/nocontent/') {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      const t = transport({ baseUrl: `http://127.0.0.1:${port}` });
      expect(await t.send({ method: 'GET', path: '/empty/' })).toEqual({ status: 200, body: null });
      expect(await t.send({ method: 'GET', path: '/nocontent/' })).toEqual({ status: 204, body: null });
      const e = await rejection(t.send({ method: 'GET', path: '/redirect/' }));
      expect(e.code).toBe('BACKEND_REJECTED');
      expect(e.context.status).toBe(302);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('never sends NaN: serialization fails with INTERNAL before any request', async () => {
    const t = transport();
    const e = await rejection(t.send({ method: 'POST', path: '/global_meta/t/', body: [{ label: Number.NaN }] }));
    expect(e.code).toBe('INTERNAL');
    expect(e.message).toContain('non-finite');
    expect(fake.requests).toHaveLength(0);
    expect(() => toJsonText({ a: [1, Infinity] })).toThrow(IngestError);
    expect(toJsonText({ a: [1, null, 'x'], b: { c: true } })).toBe('{"a":[1,null,"x"],"b":{"c":true}}');
  });

  it('an aborted signal stops retries with INTERRUPTED', async () => {
    const controller = new AbortController();
    const t = transport({ baseDelayMs: 200, onRetry: () => controller.abort() });
    fake.faults.failEvery(1, 503);
    const e = await rejection(t.send(dataset, controller.signal));
    expect(e.code).toBe('INTERRUPTED');
    expect(fake.requests).toHaveLength(1);
  });

  it('an abort during a request is INTERRUPTED, not retried', async () => {
    const controller = new AbortController();
    const t = transport();
    fake.faults.delayMs = 500;
    setTimeout(() => controller.abort(), 50);
    const e = await rejection(t.send(dataset, controller.signal));
    expect(e.code).toBe('INTERRUPTED');
    expect(fake.requests).toHaveLength(1);
  });

  it('validates the token', () => {
    expect(() => new HttpTransport({ baseUrl: fake.url, token: '  ', proxyEnv: {} })).toThrow(/BACKEND_TOKEN/);
    const e = (() => {
      try {
        new HttpTransport({ baseUrl: fake.url, token: 'abc\r\nX-Evil: 1', proxyEnv: {} });
      } catch (err) {
        return err as IngestError;
      }
      throw new Error('expected a throw');
    })();
    expect(e.code).toBe('ENV_INVALID');
    expect(e.message).not.toContain('Evil');
  });

  it('trims a trailing newline from the token', async () => {
    const t = transport({ token: `${TOKEN}\n` });
    await t.send(dataset);
    expect(fake.requests[0]?.authMatched).toBe(true);
  });

  it('refuses an invalid proxy URL without echoing it', () => {
    expect(() => new HttpTransport({ baseUrl: fake.url, token: TOKEN, proxyEnv: { HTTPS_PROXY: 'user:pw@nohost' } })).toThrow(
      /HTTPS_PROXY must be an http\(s\) proxy URL$/,
    );
  });
});
