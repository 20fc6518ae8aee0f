/**
 * A real loopback HTTP server (127.0.0.1, ephemeral port) implementing the five backend calls of
 * PLATFORM.md §5 faithfully enough to catch wire-format mistakes: exact paths (trailing slashes),
 * `Authorization: TOKEN <token>`, JSON bodies, required query/body keys (`injestor_id`, sic).
 *
 * Every request is recorded (the authorization value is not: only whether it matched).
 * Faults are injected through `faults`; they apply before authentication and validation.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Request headers, `authorization` removed. */
  headers: Record<string, string>;
  /** Whether an Authorization header was present. */
  authPresent: boolean;
  /** Whether it was exactly `TOKEN <expected>`. */
  authMatched: boolean;
  /** Parsed JSON body; `undefined` when there was no body; the raw text when it was not JSON. */
  body: Json | undefined;
  rawBody: string;
  /** The status the server answered with (undefined when the connection was closed). */
  status: number | undefined;
  /** The fault applied to this request, if any. */
  fault?: 'fail' | 'close' | 'non-json' | 'delay';
}

export interface Faults {
  /** The next `n` requests get `status` (with `Retry-After: retryAfter` when set). */
  failNext(n: number, status: number): void;
  /** Every k-th request (counted from now) gets `status`; k = 0 turns it off. */
  failEvery(k: number, status: number): void;
  /** The next `n` requests get their connection destroyed without an answer. */
  closeConnectionNext(n: number): void;
  /** The next `n` requests get a 200 with an HTML body. */
  nonJsonNext(n: number): void;
  /** The next `n` requests are delayed by `ms` (in addition to `delayMs`). */
  delayNext(n: number, ms: number): void;
  /** Delay before answering every request, in ms. */
  delayMs: number;
  /** Retry-After header value sent with injected failures: seconds or an HTTP date (null: none). */
  retryAfter: string | number | null;
  /** Clears every fault. */
  reset(): void;
}

export interface FakeBackend {
  /** Base URL, e.g. `http://127.0.0.1:12345`. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  faults: Faults;
  /** The token the server expects; may be changed (token rotation tests). */
  token: string;
  /** Awaited after a request is recorded and before it is answered (e.g. to kill the client mid-request). */
  onRequest: ((rec: RecordedRequest) => void | Promise<void>) | null;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  body: Json;
}

const TABLE_RE = /^[A-Za-z0-9_]{1,64}$/;
const INTENTS = new Set(['train', 'test']);
const DATA_FORMATS = new Set(['image', 'text', 'tabular']);

export async function startFakeBackend(opts: { token: string }): Promise<FakeBackend> {
  const requests: RecordedRequest[] = [];
  let failNextCount = 0;
  let failNextStatus = 500;
  let failEveryK = 0;
  let failEveryStatus = 500;
  let failEveryCounter = 0;
  let closeNext = 0;
  let nonJsonNext = 0;
  let delayNextCount = 0;
  let delayNextMs = 0;

  const faults: Faults = {
    failNext(n, status) {
      failNextCount = n;
      failNextStatus = status;
    },
    failEvery(k, status) {
      failEveryK = k;
      failEveryStatus = status;
      failEveryCounter = 0;
    },
    closeConnectionNext(n) {
      closeNext = n;
    },
    nonJsonNext(n) {
      nonJsonNext = n;
    },
    delayNext(n, ms) {
      delayNextCount = n;
      delayNextMs = ms;
    },
    delayMs: 0,
    retryAfter: null,
    reset() {
      failNextCount = 0;
      failEveryK = 0;
      failEveryCounter = 0;
      closeNext = 0;
      nonJsonNext = 0;
      delayNextCount = 0;
      this.delayMs = 0;
      this.retryAfter = null;
    },
  };

  const backend: FakeBackend = {
    url: '',
    port: 0,
    requests,
    faults,
    token: opts.token,
    onRequest: null,
    close: async () => {},
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, { status: 500, body: { detail: 'fake backend crashed' } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === 'authorization' || v === undefined) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const auth = req.headers.authorization;
    let body: Json | undefined;
    let bodyIsJson = true;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody) as Json;
      } catch {
        body = rawBody;
        bodyIsJson = false;
      }
    }
    const rec: RecordedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      authPresent: auth !== undefined,
      authMatched: auth === `TOKEN ${backend.token}`,
      body,
      rawBody,
      status: undefined,
    };
    requests.push(rec);
    if (backend.onRequest) await backend.onRequest(rec);

    let delay = faults.delayMs;
    if (delayNextCount > 0) {
      delayNextCount--;
      delay += delayNextMs;
      rec.fault = 'delay';
    }
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (res.destroyed || req.socket.destroyed) return;

    if (closeNext > 0) {
      closeNext--;
      rec.fault = 'close';
      req.socket.destroy();
      return;
    }
    let injected: number | undefined;
    if (failNextCount > 0) {
      failNextCount--;
      injected = failNextStatus;
    } else if (failEveryK > 0) {
      failEveryCounter++;
      if (failEveryCounter % failEveryK === 0) injected = failEveryStatus;
    }
    if (injected !== undefined) {
      rec.fault = 'fail';
      rec.status = injected;
      const extra: Record<string, string> = faults.retryAfter !== null ? { 'retry-after': String(faults.retryAfter) } : {};
      send(res, { status: injected, body: { detail: `injected failure ${injected}` } }, extra);
      return;
    }
    if (nonJsonNext > 0) {
      nonJsonNext--;
      rec.fault = 'non-json';
      rec.status = 200;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>Welcome to the corporate proxy</body></html>');
      return;
    }

    const answer = route(rec, bodyIsJson, req.headers['content-type']);
    rec.status = answer.status;
    send(res, answer);
  }

  function route(rec: RecordedRequest, bodyIsJson: boolean, contentType: string | undefined): Answer {
    const bad = (detail: string): Answer => ({ status: 400, body: { detail } });
    const { method, path, query, body } = rec;

    type Handler = { method: 'GET' | 'POST'; run: () => Answer };
    let handler: Handler | undefined;
    if (path === '/global_meta/generate-edge-labels-meta/') {
      handler = {
        method: 'GET',
        run: () => {
          const missing = missingQuery(query, ['table_name', 'injestor_id', 'data_intent']);
          if (missing) return bad(`missing query parameter ${missing}`);
          if (!INTENTS.has(query['data_intent'] ?? '')) return bad('data_intent must be train or test');
          return { status: 200, body: {} };
        },
      };
    } else if (path === '/global_meta/prepare/') {
      handler = {
        method: 'GET',
        run: () => {
          const missing = missingQuery(query, ['category', 'injestor_id', 'data_format', 'data_intent']);
          if (missing) return bad(`missing query parameter ${missing}`);
          if (!DATA_FORMATS.has(query['data_format'] ?? '')) return bad('data_format must be image, text or tabular');
          if (!INTENTS.has(query['data_intent'] ?? '')) return bad('data_intent must be train or test');
          return { status: 200, body: {} };
        },
      };
    } else if (path === '/global_meta/global_metadata/') {
      handler = {
        method: 'POST',
        run: () => {
          if (!isObject(body)) return bad('expected a JSON object');
          const extra = Object.keys(body).filter((k) => !['table_name', 'schema', 'meta_data'].includes(k));
          if (extra.length > 0) return bad(`unexpected keys ${extra.join(', ')}`);
          if (typeof body['table_name'] !== 'string' || !TABLE_RE.test(body['table_name'])) return bad('table_name invalid');
          const schema = body['schema'];
          if (!isObject(schema) || !Object.values(schema).every((v) => typeof v === 'string')) {
            return bad('schema must map column names to SQL types');
          }
          if (!isObject(body['meta_data'])) return bad('meta_data must be an object');
          return { status: 201, body: {} };
        },
      };
    } else if (path === '/dataset/') {
      handler = {
        method: 'POST',
        run: () => {
          if (!isObject(body)) return bad('expected a JSON object');
          const extra = Object.keys(body).filter((k) => !['title', 'allow_feature_modification'].includes(k));
          if (extra.length > 0) return bad(`unexpected keys ${extra.join(', ')}`);
          if (typeof body['title'] !== 'string' || body['title'] === '') return bad('title must be a non-empty string');
          if (typeof body['allow_feature_modification'] !== 'boolean') return bad('allow_feature_modification must be a boolean');
          return { status: 201, body: { id: 1, title: body['title'] } };
        },
      };
    } else {
      const m = /^\/global_meta\/([^/]+)\/$/.exec(path);
      if (m && TABLE_RE.test(m[1] ?? '')) {
        handler = {
          method: 'POST',
          run: () => {
            if (!Array.isArray(body) || body.length === 0) return bad('expected a non-empty JSON array');
            for (const [i, row] of body.entries()) {
              if (!isObject(row)) return bad(`row ${i}: expected an object`);
              const keys = Object.keys(row).sort();
              const want = ['data_id', 'data_intent', 'injestor_id', 'is_sample', 'label'];
              if (keys.join(',') !== want.join(',')) return bad(`row ${i}: keys must be ${want.join(', ')}`);
              if (typeof row['data_id'] !== 'string' || row['data_id'] === '') return bad(`row ${i}: data_id`);
              if (!INTENTS.has(row['data_intent'] as string)) return bad(`row ${i}: data_intent`);
              const label = row['label'];
              if (!(label === null || typeof label === 'string' || typeof label === 'number')) return bad(`row ${i}: label`);
              if (row['is_sample'] !== false) return bad(`row ${i}: is_sample must be false`);
              if (typeof row['injestor_id'] !== 'string' || row['injestor_id'] === '') return bad(`row ${i}: injestor_id`);
            }
            return { status: 201, body: { created: body.length } };
          },
        };
      }
    }

    if (!handler) return { status: 404, body: { detail: 'Not found.' } };
    if (!rec.authPresent) return { status: 401, body: { detail: 'Authentication credentials were not provided.' } };
    if (!rec.authMatched) return { status: 401, body: { detail: 'Invalid token.' } };
    if (method !== handler.method) return { status: 405, body: { detail: `Method "${method}" not allowed.` } };
    if (method === 'POST') {
      if (!(contentType ?? '').toLowerCase().startsWith('application/json')) {
        return { status: 415, body: { detail: 'Unsupported media type; expected application/json' } };
      }
      if (!bodyIsJson || body === undefined) return bad('JSON parse error');
    } else if (rec.rawBody.length > 0) {
      return bad('GET with a body');
    }
    return handler.run();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  backend.port = port;
  backend.url = `http://127.0.0.1:${port}`;
  backend.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return backend;
}

function send(res: ServerResponse, answer: Answer, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function missingQuery(query: Record<string, string>, keys: readonly string[]): string | undefined {
  return keys.find((k) => query[k] === undefined || query[k] === '');
}
