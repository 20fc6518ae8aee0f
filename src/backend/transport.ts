/**
 * The seam between the platform calls (`BackendClient`) and the wire. Implementations: the undici
 * `HttpTransport` (real backend), the `DryRunTransport` (local mode: nothing leaves the machine).
 */
import type { JsonValue } from '../config/types.js';
import { IngestError } from '../errors.js';

export interface BackendRequest {
  method: 'GET' | 'POST';
  /** Absolute path below the base URL, starting with '/', trailing slash included where the API has one. */
  path: string;
  query?: Record<string, string>;
  body?: JsonValue;
}

export interface BackendResponse {
  status: number;
  /** Parsed JSON body; null for an empty body (e.g. 204). */
  body: JsonValue | null;
}

export interface Transport {
  /** Resolves with a 2xx response; any failure is an `IngestError` (BACKEND_AUTH/REJECTED/FAILED, INTERNAL, INTERRUPTED). */
  send(req: BackendRequest, signal?: AbortSignal): Promise<BackendResponse>;
  close(): Promise<void>;
  /** True when the transport never contacts the network (the egress log then records `not-sent`). */
  readonly dryRun?: boolean;
}

/**
 * Serializes a request body. Refuses non-finite numbers (JSON has no NaN/Infinity; `JSON.stringify`
 * would silently turn them into `null`) and anything that is not JSON, with an `INTERNAL` error:
 * such a value reaching the backend client is a bug upstream.
 */
export function toJsonText(body: JsonValue): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(body, function (key: string, value: unknown) {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        throw new IngestError('INTERNAL', `refusing to send a non-finite number${key === '' ? '' : ` (key "${key.slice(0, 64)}")`} to the backend`);
      }
      if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol' || value === undefined) {
        // undefined is allowed for optional object keys only (dropped by JSON.stringify), not as array items
        if (value === undefined && !Array.isArray(this)) return value;
        throw new IngestError('INTERNAL', `refusing to send a non-JSON value (${typeof value}) to the backend`);
      }
      return value;
    }) as string | undefined;
  } catch (e) {
    if (e instanceof IngestError) throw e;
    throw new IngestError('INTERNAL', 'request body is not serializable as JSON', {}, { cause: e });
  }
  if (text === undefined) throw new IngestError('INTERNAL', 'request body is not serializable as JSON');
  return text;
}

/** `path?query` with the query encoded by URLSearchParams (keys kept in insertion order). */
export function pathWithQuery(path: string, query?: Record<string, string>): string {
  if (!query || Object.keys(query).length === 0) return path;
  return `${path}?${new URLSearchParams(query).toString()}`;
}
