/**
 * The five platform calls (PLATFORM.md §5), on top of a `Transport`, each recorded in the egress log.
 *
 * Paths and keys are exactly the backend's: trailing slashes included, and the ingestor id spelled
 * `injestor_id` on the wire (sic).
 */
import type { JsonValue } from '../config/types.js';
import { IngestError } from '../errors.js';
import type { EgressLog } from './egress-log.js';
import { RowsBodyWriter, type HeldRows, type RowMeta } from './row-bodies.js';
import { deferredJsonIdsOf, type DeferredJsonIds } from '../keys/json-ids.js';
import { toJsonText, type BackendRequest, type BackendResponse, type Transport } from './transport.js';

export type { HeldRows, RowMeta } from './row-bodies.js';

export interface BackendClientOptions {
  table: string;
  ingestorId: string;
  intent: 'train' | 'test';
  egress?: EgressLog;
  /** Passed to every transport call (SIGTERM handling). */
  signal?: AbortSignal;
}

export class BackendClient {
  readonly #transport: Transport;
  readonly #table: string;
  readonly #ingestorId: string;
  readonly #intent: 'train' | 'test';
  readonly #egress: EgressLog | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #bodies: RowsBodyWriter;
  #requestCount = 0;

  constructor(transport: Transport, opts: BackendClientOptions) {
    if (opts.table === '') throw new IngestError('INTERNAL', 'BackendClient needs a table name');
    if (opts.ingestorId === '') throw new IngestError('INTERNAL', 'BackendClient needs an ingestor id');
    this.#transport = transport;
    this.#table = opts.table;
    this.#ingestorId = opts.ingestorId;
    this.#intent = opts.intent;
    this.#egress = opts.egress;
    this.#signal = opts.signal;
    this.#bodies = new RowsBodyWriter(opts.ingestorId);
  }

  /** Requests issued by this client (successful or not). */
  get requestCount(): number {
    return this.#requestCount;
  }

  /** Call 1: `POST /global_meta/<table>/`, one element per inserted row. An empty batch sends nothing. */
  async sendRows(rows: readonly RowMeta[]): Promise<void> {
    if (rows.length === 0) return;
    await this.#call({ method: 'POST', path: this.#rowsPath(), body: this.#rowsBody(rows) });
  }

  /**
   * `rows` held for call 1 until `sendHeldRows`: a batch waiting for its turn then keeps no object
   * per row (which would outlive the young generation and pile up as old-space garbage) and no bytes
   * (see `HeldRows`). Refuses what `sendRows` refuses (non-finite numbers …).
   */
  holdRows(rows: readonly RowMeta[]): HeldRows {
    const ids = deferredJsonIdsOf(rows.map((r) => r.data_id));
    return this.#bodies.hold(ids, (i) => rows[i]!.data_intent, (i) => rows[i]!.label);
  }

  /**
   * `holdRows` for rows of this client's intent given by their ids (`DataIdAssigner.assignManyJsonLater`)
   * and a label accessor, read now (no string or object per row): sent, the same bytes as
   * `sendRows` of the rows `{data_id, data_intent, label: label(i)}`.
   */
  holdRowsOfIds(ids: DeferredJsonIds, label: (i: number) => RowMeta['label']): HeldRows {
    const intent = this.#intent;
    return this.#bodies.hold(ids, () => intent, label);
  }

  /** Call 1's body for held rows: one JSON array of all their rows, in order (what `sendHeldRows` sends). */
  rowsBody(parts: readonly HeldRows[]): Buffer {
    return this.#bodies.body(parts);
  }

  /** Call 1 with the held rows of `parts` in one request. No rows: nothing is sent. */
  async sendHeldRows(parts: readonly HeldRows[]): Promise<void> {
    if (parts.every((p) => p.count === 0)) return;
    await this.#call({ method: 'POST', path: this.#rowsPath(), bodyText: this.rowsBody(parts) });
  }

  #rowsPath(): string {
    return `/global_meta/${encodeURIComponent(this.#table)}/`;
  }

  #rowsBody(rows: readonly RowMeta[]): JsonValue[] {
    return rows.map((r) => ({
      data_id: r.data_id,
      data_intent: r.data_intent,
      label: r.label,
      is_sample: false,
      injestor_id: this.#ingestorId,
    }));
  }

  /** Call 2: `GET /global_meta/generate-edge-labels-meta/` (the caller skips it for masked_language_modeling). */
  async generateEdgeLabels(): Promise<void> {
    await this.#call({
      method: 'GET',
      path: '/global_meta/generate-edge-labels-meta/',
      query: { table_name: this.#table, injestor_id: this.#ingestorId, data_intent: this.#intent },
    });
  }

  /** Call 3: `POST /global_meta/global_metadata/`. */
  async sendGlobalMetadata(schema: Record<string, string>, metaData: Record<string, JsonValue>): Promise<void> {
    await this.#call({
      method: 'POST',
      path: '/global_meta/global_metadata/',
      body: { table_name: this.#table, schema: { ...schema }, meta_data: { ...metaData } },
    });
  }

  /** Call 4: `GET /global_meta/prepare/`; `dataFormat` is image, text or tabular. */
  async prepare(category: string, dataFormat: string): Promise<void> {
    await this.#call({
      method: 'GET',
      path: '/global_meta/prepare/',
      query: { category, injestor_id: this.#ingestorId, data_format: dataFormat, data_intent: this.#intent },
    });
  }

  /** Call 5: `POST /dataset/`; resolves with the backend's JSON answer. */
  async registerDataset(title: string, allowFeatureModification: boolean): Promise<JsonValue> {
    const res = await this.#call({
      method: 'POST',
      path: '/dataset/',
      body: { title, allow_feature_modification: allowFeatureModification },
    });
    return res.body;
  }

  async #call(req: BackendRequest): Promise<BackendResponse> {
    this.#requestCount++;
    const base = {
      method: req.method,
      path: req.path,
      query: req.query ?? null,
      body: req.body ?? null,
      bodyText: undefined as string | Buffer | undefined,
    };
    // Nothing leaves that cannot be recorded: a failed egress log stops the run before the next send.
    this.#egress?.assertWritable();
    let res: BackendResponse;
    try {
      // Serialized once: the wire and the egress log carry the very same text.
      base.bodyText = req.bodyText ?? (req.body === undefined ? undefined : toJsonText(req.body));
      res = await this.#transport.send(base.bodyText === req.bodyText ? req : { ...req, bodyText: base.bodyText }, this.#signal);
    } catch (e) {
      const status = e instanceof IngestError && typeof e.context.status === 'number' ? e.context.status : undefined;
      this.#egress?.record({ ...base, ...(status !== undefined ? { status } : {}), outcome: 'failed' });
      throw e;
    }
    // The backend accepted it: a failure to record that now must not turn it into a failed send
    // (a retry would send it again); assertWritable() stops the next one.
    try {
      this.#egress?.record({ ...base, status: res.status, outcome: this.#transport.dryRun ? 'not-sent' : 'sent' });
    } catch {
      /* reported by the next assertWritable() or close() */
    }
    return res;
  }
}
