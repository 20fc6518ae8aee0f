/**
 * The real `Transport`: undici over an `EnvHttpProxyAgent`, so `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`
 * (either case) are honoured (PLATFORM.md §2: Node's own fetch ignores them).
 *
 * Behaviour:
 * - `Authorization: TOKEN <token>`, JSON request and response bodies;
 * - per-attempt timeout (default 60 s) covering connect, headers and body;
 * - bounded retries (default 5) with exponential backoff and jitter on 429/500/502/503/504 and on
 *   network failures (reset, refused, socket closed, DNS, timeouts); `Retry-After` (seconds or an
 *   HTTP date) is honoured, capped;
 * - 401/403 → `BACKEND_AUTH` without retry, except one retry after a 401 when `tokenProvider`
 *   returns a different token; other 4xx → `BACKEND_REJECTED`; retries exhausted or another
 *   status → `BACKEND_FAILED`; redirects are not followed (the token must not travel elsewhere);
 * - never logs; `onRetry` reports each retry. Messages never contain the token.
 */
import { EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import type { JsonValue } from '../config/types.js';
import { IngestError } from '../errors.js';
import { pathWithQuery, toJsonText, type BackendRequest, type BackendResponse, type Transport } from './transport.js';

export interface RetryInfo {
  method: 'GET' | 'POST';
  path: string;
  /** 1-based number of the retry about to be made. */
  retry: number;
  /** Maximum number of retries. */
  maxRetries: number;
  /** How long the transport waits before the retry. */
  delayMs: number;
  /** HTTP status of the failed attempt, when there was a response. */
  status?: number;
  /** Error code of the failed attempt (ECONNRESET, UND_ERR_SOCKET, TIMEOUT, …) when there was no response. */
  error?: string;
  /** Whether the delay came from a Retry-After header. */
  retryAfter: boolean;
}

export interface HttpTransportOptions {
  /** Backend base URL (see `resolveBackendUrl`); may carry a path prefix. */
  baseUrl: string;
  /** The backend token (`BACKEND_TOKEN`). */
  token: string;
  /** Called after a 401: if it returns a different non-empty token, the request is retried once with it. */
  tokenProvider?: () => string | Promise<string>;
  /** Per-attempt timeout in ms (connect + headers + body). Default 60 000. */
  timeoutMs?: number;
  /** TCP/TLS connect timeout in ms. Default min(10 000, timeoutMs). */
  connectTimeoutMs?: number;
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** Base of the exponential backoff in ms. Default 500. */
  baseDelayMs?: number;
  /** Cap of one backoff delay in ms. Default 30 000. */
  maxDelayMs?: number;
  /** Cap of a Retry-After delay in ms. Default 60 000. */
  maxRetryAfterMs?: number;
  /** Largest accepted response body in bytes. Default 16 MiB. */
  maxResponseBytes?: number;
  onRetry?: (info: RetryInfo) => void;
  /** Environment the proxy variables are read from. Default `process.env`. */
  proxyEnv?: NodeJS.ProcessEnv;
  /** Use this dispatcher instead of creating an `EnvHttpProxyAgent` (not closed by `close()`). */
  dispatcher?: Dispatcher;
  /** Random source for the jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  // a proxy refusing the CONNECT tunnel ("Proxy response (502) !== 200"), when not our own abort
  'UND_ERR_ABORTED',
  'TIMEOUT',
]);

const USER_AGENT = 'tracebloc-ingestor';

/** Thrown into the attempt's AbortController when the per-attempt timeout fires. */
class AttemptTimeout extends Error {
  readonly code = 'TIMEOUT';
}

/** The outcome of one attempt that should be retried. */
interface Retryable {
  status?: number;
  error?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

export class HttpTransport implements Transport {
  readonly baseUrl: string;
  #token: string;
  readonly #opts: Required<Pick<HttpTransportOptions, 'timeoutMs' | 'retries' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'maxResponseBytes'>>;
  readonly #tokenProvider: (() => string | Promise<string>) | undefined;
  readonly #onRetry: ((info: RetryInfo) => void) | undefined;
  readonly #random: () => number;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  #closed = false;

  constructor(opts: HttpTransportOptions) {
    this.baseUrl = checkBaseUrl(opts.baseUrl);
    this.#token = checkToken(opts.token);
    const timeoutMs = positive(opts.timeoutMs, 60_000, 'timeoutMs');
    this.#opts = {
      timeoutMs,
      retries: nonNegativeInt(opts.retries, 5, 'retries'),
      baseDelayMs: nonNegative(opts.baseDelayMs, 500, 'baseDelayMs'),
      maxDelayMs: nonNegative(opts.maxDelayMs, 30_000, 'maxDelayMs'),
      maxRetryAfterMs: nonNegative(opts.maxRetryAfterMs, 60_000, 'maxRetryAfterMs'),
      maxResponseBytes: positive(opts.maxResponseBytes, 16 * 1024 * 1024, 'maxResponseBytes'),
    };
    this.#tokenProvider = opts.tokenProvider;
    this.#onRetry = opts.onRetry;
    this.#random = opts.random ?? Math.random;
    if (opts.dispatcher) {
      this.#dispatcher = opts.dispatcher;
      this.#ownsDispatcher = false;
    } else {
      const connectTimeoutMs = positive(opts.connectTimeoutMs, Math.min(10_000, timeoutMs), 'connectTimeoutMs');
      this.#dispatcher = createProxyAwareDispatcher(opts.proxyEnv ?? process.env, {
        connect: { timeout: connectTimeoutMs },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      this.#ownsDispatcher = true;
    }
  }

  async send(req: BackendRequest, signal?: AbortSignal): Promise<BackendResponse> {
    if (this.#closed) throw new IngestError('INTERNAL', 'backend transport used after close');
    if (!req.path.startsWith('/')) throw new IngestError('INTERNAL', `backend request path must start with '/': ${req.path}`);
    if (req.method === 'GET' && req.body !== undefined) throw new IngestError('INTERNAL', 'a GET request cannot carry a body');
    const bodyText = req.bodyText ?? (req.body === undefined ? undefined : toJsonText(req.body));
    const target = pathWithQuery(req.path, req.query);
    const what = `${req.method} ${req.path}`;

    let retriesDone = 0;
    let tokenRefreshed = false;
    for (;;) {
      throwIfAborted(signal, what);
      const outcome = await this.#attempt(req.method, target, bodyText, what, signal);
      if ('response' in outcome) return outcome.response;

      if ('auth' in outcome) {
        if (outcome.auth === 401 && !tokenRefreshed && this.#tokenProvider) {
          tokenRefreshed = true;
          let fresh: string | undefined;
          try {
            fresh = (await this.#tokenProvider()).trim();
          } catch {
            fresh = undefined;
          }
          if (fresh && fresh !== this.#token && isValidToken(fresh)) {
            this.#token = fresh;
            continue;
          }
        }
        throw new IngestError(
          'BACKEND_AUTH',
          `the backend refused the token (HTTP ${outcome.auth}) for ${what}; check BACKEND_TOKEN`,
          { status: outcome.auth, env: 'BACKEND_TOKEN' },
        );
      }

      const failure = outcome.retry;
      if (retriesDone >= this.#opts.retries) {
        const why = failure.status !== undefined ? `HTTP ${failure.status}` : (failure.error ?? 'network error');
        throw new IngestError(
          'BACKEND_FAILED',
          `backend request ${what} failed after ${retriesDone + 1} attempt${retriesDone === 0 ? '' : 's'}: ${why}`,
          failure.status !== undefined ? { status: failure.status } : {},
          { cause: failure.cause },
        );
      }
      retriesDone++;
      const fromHeader = failure.retryAfterMs !== undefined;
      const delayMs = fromHeader ? (failure.retryAfterMs as number) : this.#backoff(retriesDone);
      this.#onRetry?.({
        method: req.method,
        path: req.path,
        retry: retriesDone,
        maxRetries: this.#opts.retries,
        delayMs,
        ...(failure.status !== undefined ? { status: failure.status } : {}),
        ...(failure.error !== undefined ? { error: failure.error } : {}),
        retryAfter: fromHeader,
      });
      await sleep(delayMs, signal, what);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  /** Exponential backoff with jitter: a uniform value in [d/2, d], d = min(max, base·2^(n-1)). */
  #backoff(retry: number): number {
    const d = Math.min(this.#opts.maxDelayMs, this.#opts.baseDelayMs * 2 ** (retry - 1));
    return Math.round(d / 2 + this.#random() * (d / 2));
  }

  async #attempt(
    method: 'GET' | 'POST',
    target: string,
    bodyText: string | Buffer | undefined,
    what: string,
    signal: AbortSignal | undefined,
  ): Promise<{ response: BackendResponse } | { auth: number } | { retry: Retryable }> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new AttemptTimeout('backend request timed out')), this.#opts.timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const headers: Record<string, string> = {
        authorization: `TOKEN ${this.#token}`,
        accept: 'application/json',
        'user-agent': USER_AGENT,
      };
      if (bodyText !== undefined) headers['content-type'] = 'application/json';

      let res: Dispatcher.ResponseData;
      let text: string;
      try {
        res = await request(this.baseUrl + target, {
          method,
          headers,
          body: bodyText,
          dispatcher: this.#dispatcher,
          signal: controller.signal,
        });
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        // error bodies are only read for a short detail; don't buffer a large error page
        text = await readText(res.body, ok ? this.#opts.maxResponseBytes : 64 * 1024, ok);
      } catch (e) {
        if (signal?.aborted) throw interrupted(signal, what);
        if (e instanceof IngestError) throw e;
        const code = e instanceof AttemptTimeout ? 'TIMEOUT' : errorCode(e);
        if (code !== undefined && RETRYABLE_CODES.has(code)) return { retry: { error: code, cause: e } };
        throw new IngestError('BACKEND_FAILED', `backend request ${what} failed: ${code ?? 'unexpected error'}`, {}, { cause: e });
      }

      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        if (status === 204 || text.trim() === '') return { response: { status, body: null } };
        try {
          return { response: { status, body: JSON.parse(text) as JsonValue } };
        } catch {
          throw new IngestError('BACKEND_REJECTED', `backend answered ${what} with HTTP ${status} but the body is not the expected JSON`, { status });
        }
      }
      if (status === 401 || status === 403) return { auth: status };
      if (RETRYABLE_STATUS.has(status)) {
        const retryAfterMs = parseRetryAfter(headerValue(res.headers['retry-after']), this.#opts.maxRetryAfterMs);
        return { retry: { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } };
      }
      if (status >= 300 && status < 400) {
        throw new IngestError('BACKEND_REJECTED', `backend answered ${what} with a redirect (HTTP ${status}); redirects are not followed`, { status });
      }
      if (status >= 400 && status < 500) {
        // The row-metadata call carries labels and (opted-in) source ids: an explanation of its
        // rejection may quote them, so only the other calls' explanations are shown.
        const detail = quotesRowData(what) ? undefined : errorDetail(text);
        throw new IngestError(
          'BACKEND_REJECTED',
          `backend rejected ${what} with HTTP ${status}${detail !== undefined ? `: ${detail}` : ''}`,
          { status },
        );
      }
      throw new IngestError('BACKEND_FAILED', `backend request ${what} failed: HTTP ${status}`, { status });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * An undici `EnvHttpProxyAgent` configured from `env`: `http_proxy`/`HTTP_PROXY`,
 * `https_proxy`/`HTTPS_PROXY`, `no_proxy`/`NO_PROXY` (lower case wins; empty counts as unset).
 * As in undici, HTTPS requests fall back to the HTTP proxy when no HTTPS proxy is set. An invalid
 * proxy URL is `ENV_INVALID` naming the variable (its value is not echoed: it may hold credentials).
 */
export function createProxyAwareDispatcher(
  env: NodeJS.ProcessEnv,
  agentOptions: Omit<EnvHttpProxyAgent.Options, 'httpProxy' | 'httpsProxy' | 'noProxy'> = {},
): Dispatcher {
  const pick = (lower: string, upper: string): { name: string; value: string } | undefined => {
    const l = env[lower]?.trim();
    if (l) return { name: lower, value: l };
    const u = env[upper]?.trim();
    if (u) return { name: upper, value: u };
    return undefined;
  };
  const httpProxy = pick('http_proxy', 'HTTP_PROXY');
  const httpsProxy = pick('https_proxy', 'HTTPS_PROXY');
  const noProxy = pick('no_proxy', 'NO_PROXY');
  for (const p of [httpProxy, httpsProxy]) {
    if (!p) continue;
    let ok = false;
    try {
      const u = new URL(p.value);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
    // never echo the value: a proxy URL may carry credentials
    if (!ok) throw new IngestError('ENV_INVALID', `${p.name} must be an http(s) proxy URL`, { env: p.name });
  }
  // '' (not undefined) so that undici does not fall back to process.env.
  // proxyTunnel: false → plain http:// targets are sent in absolute form (what every forward proxy
  // accepts; squid, by default, allows CONNECT to port 443 only); https:// targets always tunnel
  // through CONNECT, so the proxy never sees the token.
  return new EnvHttpProxyAgent({
    proxyTunnel: false,
    ...agentOptions,
    httpProxy: httpProxy?.value ?? '',
    httpsProxy: httpsProxy?.value ?? '',
    noProxy: noProxy?.value ?? '',
  });
}

/** Parses Retry-After (delta-seconds or HTTP date) into ms, clamped to [0, cap]; undefined if absent/invalid. */
export function parseRetryAfter(value: string | undefined, capMs: number, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  let ms: number;
  if (/^\d+$/.test(v)) {
    ms = Number(v) * 1000;
  } else if (/^[A-Za-z]/.test(v)) {
    // an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT"); not Date.parse on anything ("-1" is a year)
    const t = Date.parse(v);
    if (Number.isNaN(t)) return undefined;
    ms = t - now;
  } else {
    return undefined;
  }
  return Math.min(capMs, Math.max(0, ms));
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/** Whether `what` (`METHOD /path`) is the row-metadata call `POST /global_meta/<table>/`. */
function quotesRowData(what: string): boolean {
  return /^POST \/global_meta\/[^/]+\/$/.test(what) && what !== 'POST /global_meta/global_metadata/';
}

/** A `detail`/`message` string from a JSON error body, control characters removed, at most 200 chars. */
function errorDetail(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const rec = parsed as Record<string, unknown>;
  const d = typeof rec['detail'] === 'string' ? rec['detail'] : typeof rec['message'] === 'string' ? rec['message'] : undefined;
  if (d === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  const clean = d.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/** Reads a response body as UTF-8. Beyond `max` bytes: an error when `strict`, else the prefix. */
async function readText(body: Dispatcher.ResponseData['body'], max: number, strict: boolean): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > max) {
      body.destroy();
      if (strict) throw new IngestError('BACKEND_REJECTED', `backend response larger than ${max} bytes`);
      chunks.push(buf.subarray(0, Math.max(0, buf.length - (size - max))));
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The error code of a network failure, looking into `cause` and AggregateError members. */
function errorCode(e: unknown, depth = 0): string | undefined {
  if (typeof e !== 'object' || e === null || depth > 4) return undefined;
  const rec = e as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof rec.code === 'string') return rec.code;
  if (Array.isArray(rec.errors)) {
    for (const inner of rec.errors) {
      const c = errorCode(inner, depth + 1);
      if (c !== undefined) return c;
    }
  }
  return errorCode(rec.cause, depth + 1);
}

function interrupted(signal: AbortSignal, what: string): IngestError {
  const reason: unknown = signal.reason;
  if (reason instanceof IngestError) return reason;
  return new IngestError('INTERRUPTED', `backend request ${what} aborted`, {}, { cause: reason });
}

function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw interrupted(signal, what);
}

function sleep(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(interrupted(signal, what));
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(interrupted(signal as AbortSignal, what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function isValidToken(t: string): boolean {
  // visible ASCII only: anything else could split or corrupt the header
  return /^[\x21-\x7e]+$/.test(t);
}

function checkToken(raw: string): string {
  const t = raw.trim();
  if (t === '') throw new IngestError('ENV_MISSING', 'BACKEND_TOKEN is empty', { env: 'BACKEND_TOKEN' });
  if (!isValidToken(t)) {
    throw new IngestError('ENV_INVALID', 'BACKEND_TOKEN contains characters that cannot be sent in a header', { env: 'BACKEND_TOKEN' });
  }
  return t;
}

function checkBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new IngestError('INTERNAL', 'backend base URL is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new IngestError('INTERNAL', 'backend base URL must be http(s)');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v <= 0) throw new IngestError('INTERNAL', `HttpTransport ${name} must be > 0`);
  return v;
}

function nonNegative(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0) throw new IngestError('INTERNAL', `HttpTransport ${name} must be >= 0`);
  return v;
}

function nonNegativeInt(v: number | undefined, dflt: number, name: string): number {
  const n = nonNegative(v, dflt, name);
  if (!Number.isInteger(n)) throw new IngestError('INTERNAL', `HttpTransport ${name} must be an integer`);
  return n;
}
