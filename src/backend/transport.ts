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
  /** `body` as `toJsonText` serialized it (the text or its UTF-8 bytes), when the caller already did (sent and logged as is). */
  bodyText?: string | Buffer;
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
 * such a value reaching the backend client is a bug upstream. The body is checked by a walk first
 * (a replacer function would cost a call per value), then serialized by `JSON.stringify` as is.
 */
export function toJsonText(body: JsonValue): string {
  assertJson(body, '', false);
  let text: string | undefined;
  try {
    text = JSON.stringify(body) as string | undefined;
  } catch (e) {
    throw new IngestError('INTERNAL', 'request body is not serializable as JSON', {}, { cause: e });
  }
  if (text === undefined) throw new IngestError('INTERNAL', 'request body is not serializable as JSON');
  return text;
}

/** Throws on anything JSON.stringify would drop, alter or choke on (undefined is fine as an object member). */
function assertJson(value: unknown, key: string, member: boolean): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new IngestError('INTERNAL', `refusing to send a non-finite number${key === '' ? '' : ` (key "${key.slice(0, 64)}")`} to the backend`);
      }
      return;
    case 'undefined':
      if (member) return;
      throw new IngestError('INTERNAL', 'refusing to send a non-JSON value (undefined) to the backend');
    case 'object': {
      if (value === null) return;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) assertJson(value[i], String(i), false);
        return;
      }
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        assertJson(toJSON.call(value, key) as unknown, key, member);
        return;
      }
      for (const k in value) {
        if (Object.hasOwn(value, k)) assertJson((value as Record<string, unknown>)[k], k, true);
      }
      return;
    }
    default:
      throw new IngestError('INTERNAL', `refusing to send a non-JSON value (${typeof value}) to the backend`);
  }
}

/** `path?query` with the query encoded by URLSearchParams (keys kept in insertion order). */
export function pathWithQuery(path: string, query?: Record<string, string>): string {
  if (!query || Object.keys(query).length === 0) return path;
  return `${path}?${new URLSearchParams(query).toString()}`;
}
