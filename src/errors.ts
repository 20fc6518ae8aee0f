/**
 * One error type for everything the ingestor refuses or fails at.
 *
 * Every error has a stable `code` (part of the public contract: scripts and the
 * platform may match on it), a human message that never contains a cell value or a
 * secret, and a `context` that locates the problem (YAML line:column, CSV row and
 * column, file path). The exit status of the process is derived from the code's class.
 */

/** Where an error points. Every field is optional; fill in what is known. */
export interface ErrorContext {
  /** Path of the file the problem is in (config, CSV/JSON source, referenced file). */
  file?: string;
  /** 1-based line in a YAML/CSV file. */
  line?: number;
  /** 1-based column in a YAML file. */
  column?: number;
  /** JSON path inside the config, e.g. `/label/policy`. */
  path?: string;
  /** 1-based data row number (header excluded) in the source. */
  row?: number;
  /** Name of the source column. */
  field?: string;
  /** The referenced file (as written in the source, relative to its directory). */
  reference?: string;
  /** Name of an environment variable. */
  env?: string;
  /** HTTP status or MySQL error code of an upstream failure. */
  status?: number | string;
}

/**
 * The classes of failure, each mapped to one exit status (see `exitCodeFor`).
 * A class says whether retrying the same Job can help.
 */
export type ErrorClass =
  | 'config' // the ingest.yaml or the env is wrong: retrying cannot help
  | 'environment' // a required env var is missing: retrying cannot help
  | 'data' // the data was refused before anything was written: retrying cannot help
  | 'conflict' // the destination is not in the state the run needs (non-empty dir, finished table)
  | 'mysql-unavailable' // MySQL did not accept connections within MYSQL_WAIT_SECONDS: retryable
  | 'transient' // MySQL/backend/file failure during the run: retryable
  | 'auth' // the backend refused the token: retrying with the same token cannot help
  | 'interrupted' // SIGTERM/SIGINT: retryable
  | 'internal'; // a bug

export const ERROR_CODES = {
  // config
  CONFIG_UNREADABLE: 'config',
  CONFIG_YAML_SYNTAX: 'config',
  CONFIG_INVALID: 'config',
  CONFIG_UNSUPPORTED_CATEGORY: 'config',
  ENV_INVALID: 'config',
  ENV_MISSING: 'environment',
  USAGE: 'config',
  // data
  SOURCE_UNREADABLE: 'data',
  SOURCE_ENCODING: 'data',
  SOURCE_TOO_LARGE: 'data',
  CSV_SYNTAX: 'data',
  CSV_RAGGED_ROW: 'data',
  CSV_HEADER_INVALID: 'data',
  JSON_SYNTAX: 'data',
  SOURCE_EMPTY: 'data',
  COLUMN_MISSING: 'data',
  CAST_INVALID: 'data',
  CAST_OVERFLOW: 'data',
  CAST_PRECISION_LOSS: 'data',
  CAST_NOT_FINITE: 'data',
  CAST_TOO_LONG: 'data',
  CAST_AMBIGUOUS_DATE: 'data',
  LABEL_MISSING: 'data',
  LABEL_INVALID: 'data',
  DATA_ID_INVALID: 'data',
  DATA_ID_DUPLICATE: 'data',
  QUARANTINE_LIMIT: 'data',
  PROCESSOR_FAILED: 'data',
  TIMESTAMP_ORDER: 'data',
  TIMESTAMP_FUTURE: 'data',
  FILE_REFERENCE_INVALID: 'data',
  FILE_OUTSIDE_ROOT: 'data',
  FILE_MISSING: 'data',
  FILE_EXTENSION: 'data',
  FILE_DECODE: 'data',
  FILE_SIZE_MISMATCH: 'data',
  FILE_TOO_LARGE: 'data',
  FILE_NAME_COLLISION: 'data',
  FILE_PAIRING: 'data',
  ANNOTATION_INVALID: 'data',
  // conflict
  DESTINATION_NOT_EMPTY: 'conflict',
  /** The data changed after it was checked (between the passes, or since an interrupted attempt). */
  SOURCE_CHANGED: 'conflict',
  TABLE_NOT_EMPTY: 'conflict',
  // runtime
  MYSQL_UNAVAILABLE: 'mysql-unavailable',
  MYSQL_FAILED: 'transient',
  MYSQL_AUTH: 'config',
  MYSQL_SCHEMA_MISMATCH: 'conflict',
  BACKEND_FAILED: 'transient',
  BACKEND_REJECTED: 'transient',
  BACKEND_AUTH: 'auth',
  FILE_COPY_FAILED: 'transient',
  /** The egress record cannot be written (a full or read-only PVC): nothing more is sent. */
  EGRESS_LOG_FAILED: 'transient',
  /** The row spool (checked rows kept for the write pass) cannot be written (a full or read-only PVC). */
  SPOOL_FAILED: 'transient',
  /** Another run holds the table lock: retrying later helps. */
  LOCKED: 'transient',
  INTERRUPTED: 'interrupted',
  INTERNAL: 'internal',
} as const satisfies Record<string, ErrorClass>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class IngestError extends Error {
  override readonly name = 'IngestError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = context;
  }

  get errorClass(): ErrorClass {
    return ERROR_CODES[this.code];
  }

  /** `file:line:column` / `file row N column "x"` prefix plus the message. Never contains cell values. */
  describe(): string {
    const where = describeContext(this.context);
    return where ? `${where}: ${this.message} [${this.code}]` : `${this.message} [${this.code}]`;
  }

  toJSON(): { code: ErrorCode; message: string; context: ErrorContext } {
    return { code: this.code, message: this.message, context: this.context };
  }
}

export function describeContext(c: ErrorContext): string {
  const parts: string[] = [];
  if (c.file !== undefined) {
    let loc = c.file;
    if (c.line !== undefined) loc += `:${c.line}`;
    if (c.line !== undefined && c.column !== undefined) loc += `:${c.column}`;
    parts.push(loc);
  } else if (c.line !== undefined) {
    parts.push(c.column !== undefined ? `${c.line}:${c.column}` : `line ${c.line}`);
  }
  if (c.row !== undefined) parts.push(`row ${c.row}`);
  if (c.field !== undefined) parts.push(`column "${c.field}"`);
  if (c.reference !== undefined) parts.push(`file "${c.reference}"`);
  if (c.path !== undefined) parts.push(`at ${c.path === '' ? '/' : c.path}`);
  if (c.env !== undefined) parts.push(`env ${c.env}`);
  return parts.join(' ');
}

/** A bag of errors found by one check pass (config validation, data check pass). */
export class IngestErrors extends Error {
  override readonly name = 'IngestErrors';
  readonly errors: readonly IngestError[];
  /** How many errors were found in total (the list may be truncated). */
  readonly total: number;

  constructor(errors: readonly IngestError[], total = errors.length) {
    const first = errors[0];
    super(first ? `${total} problem${total === 1 ? '' : 's'} found; first: ${first.describe()}` : 'no problems');
    this.errors = errors;
    this.total = total;
  }

  get code(): ErrorCode {
    return this.errors[0]?.code ?? 'INTERNAL';
  }
}

export function isIngestError(e: unknown): e is IngestError {
  return e instanceof IngestError;
}
