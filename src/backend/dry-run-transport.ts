/**
 * A `Transport` that sends nothing (local mode): the egress log, with outcome `not-sent`, is the
 * output. Bodies are still serialized, so a value the real backend could not receive (NaN) fails
 * here too.
 */
import type { JsonValue } from '../config/types.js';
import { IngestError } from '../errors.js';
import { toJsonText, type BackendRequest, type BackendResponse, type Transport } from './transport.js';

export class DryRunTransport implements Transport {
  readonly dryRun = true;
  #requests = 0;

  /** Requests answered so far. */
  get requestCount(): number {
    return this.#requests;
  }

  async send(req: BackendRequest, signal?: AbortSignal): Promise<BackendResponse> {
    if (signal?.aborted) {
      const reason: unknown = signal.reason;
      throw reason instanceof IngestError ? reason : new IngestError('INTERRUPTED', `backend request ${req.method} ${req.path} aborted`);
    }
    if (!req.path.startsWith('/')) throw new IngestError('INTERNAL', `backend request path must start with '/': ${req.path}`);
    if (req.body !== undefined && req.bodyText === undefined) toJsonText(req.body);
    this.#requests++;
    const body: JsonValue = req.method === 'POST' && req.path === '/dataset/' ? { id: null, dry_run: true } : {};
    return { status: 200, body };
  }

  async close(): Promise<void> {}
}
