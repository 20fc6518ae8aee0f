import type { ErrorClass } from '../errors.js';

/**
 * Exit statuses. Kubernetes `podFailurePolicy` can match them: the non-retryable ones
 * (2, 3, 4, 5, 64, 77) should `FailJob`; the retryable ones (65, 75, 130) may restart.
 */
export const EXIT = {
  OK: 0,
  /** A bug in the ingestor. */
  INTERNAL: 1,
  /** ingest.yaml invalid, or an env value malformed. Not retryable. */
  CONFIG: 2,
  /** The data was refused before anything was written. Not retryable. */
  DATA: 3,
  /** The destination already holds another dataset, or its folder is not empty. Not retryable as is. */
  CONFLICT: 4,
  /** Completed with invalid rows left out as the config allowed (spec.on_invalid_row: quarantine). Not retryable: a retry finds the same rows. */
  QUARANTINED: 5,
  /** A required env var is missing (MYSQL_HOST, DB_USER, BACKEND_TOKEN, INGEST_CONFIG). Not retryable. */
  ENV_MISSING: 64,
  /** MySQL did not accept connections within MYSQL_WAIT_SECONDS. Retryable. */
  MYSQL_UNAVAILABLE: 65,
  /** A runtime failure (MySQL, backend, file copy) after writing started. Retryable. */
  TRANSIENT: 75,
  /** The backend refused the token. Not retryable with the same token. */
  AUTH: 77,
  /** Stopped by SIGTERM/SIGINT. Retryable. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CLASS: Readonly<Record<ErrorClass, ExitCode>> = {
  config: EXIT.CONFIG,
  environment: EXIT.ENV_MISSING,
  data: EXIT.DATA,
  conflict: EXIT.CONFLICT,
  'mysql-unavailable': EXIT.MYSQL_UNAVAILABLE,
  transient: EXIT.TRANSIENT,
  auth: EXIT.AUTH,
  interrupted: EXIT.INTERRUPTED,
  internal: EXIT.INTERNAL,
};

export function exitCodeFor(errorClass: ErrorClass): ExitCode {
  return BY_CLASS[errorClass];
}
