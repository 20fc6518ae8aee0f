import path from 'node:path';
import { IngestError } from '../errors.js';
import { PLATFORM_MOUNT } from '../config/storage-paths.js';
import { resolveBackendUrl } from '../backend/endpoints.js';
import { integerEnv, mysqlSettingsFromEnv, type MysqlSettings } from '../sinks/mysql/settings.js';

/** Everything the runtime takes from the environment (PLATFORM.md §2). CLIENT_ID/CLIENT_PASSWORD are never read. */
export interface RuntimeEnv {
  readonly configPath: string | null;
  readonly token: string | null;
  readonly backendUrl: string;
  readonly mysql: MysqlSettings | null;
  readonly storageRoot: string;
  readonly correlationId: string | null;
  readonly title: string | null;
  readonly batchSize: number | undefined;
  readonly logLevel: string | undefined;
  /** Backend retry tunables (BACKEND_RETRIES, BACKEND_RETRY_BASE_MS, BACKEND_TIMEOUT_SECONDS). */
  readonly backendRetries: number;
  readonly backendRetryBaseMs: number;
  readonly backendTimeoutMs: number;
  /** MYSQL_WRITE_METHOD: `auto` (LOAD DATA LOCAL, falling back to INSERT) or `insert`. */
  readonly mysqlWriteMethod: 'auto' | 'insert';
}

const CORRELATION_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function readRuntimeEnv(env: NodeJS.ProcessEnv, storageRootFlag: string | null): RuntimeEnv {
  const correlationId = env['TRACEBLOC_INGEST_CORRELATION_ID'] || null;
  if (correlationId !== null && !CORRELATION_ID.test(correlationId)) {
    throw new IngestError('ENV_INVALID', 'TRACEBLOC_INGEST_CORRELATION_ID must match [A-Za-z0-9._-]{1,64}', {
      env: 'TRACEBLOC_INGEST_CORRELATION_ID',
    });
  }
  const batch = env['BATCH_SIZE'];
  return {
    configPath: env['INGEST_CONFIG'] || null,
    token: env['BACKEND_TOKEN'] || null,
    backendUrl: resolveBackendUrl(env),
    mysql: mysqlSettingsFromEnv(env),
    storageRoot: path.resolve(storageRootFlag ?? (env['STORAGE_ROOT'] || PLATFORM_MOUNT)),
    correlationId,
    title: env['TITLE'] || null,
    batchSize: batch === undefined || batch === '' ? undefined : integerEnv(env, 'BATCH_SIZE', 1000, 1, 100_000),
    logLevel: env['LOG_LEVEL'] || undefined,
    backendRetries: integerEnv(env, 'BACKEND_RETRIES', 5, 0, 20),
    backendRetryBaseMs: integerEnv(env, 'BACKEND_RETRY_BASE_MS', 500, 0, 60_000),
    backendTimeoutMs: integerEnv(env, 'BACKEND_TIMEOUT_SECONDS', 60, 1, 3600) * 1000,
    mysqlWriteMethod: writeMethod(env['MYSQL_WRITE_METHOD']),
  };
}

/** Container mode needs the whole platform env; each missing variable is named. */
export function requireContainerEnv(env: NodeJS.ProcessEnv): void {
  if (!env['INGEST_CONFIG']) {
    throw new IngestError('ENV_MISSING', 'INGEST_CONFIG is not set: it must name the ingest.yaml to run', { env: 'INGEST_CONFIG' });
  }
  if (!env['MYSQL_HOST']) {
    throw new IngestError('ENV_MISSING', 'MYSQL_HOST is not set: container mode writes to the cluster MySQL', { env: 'MYSQL_HOST' });
  }
  if (!env['BACKEND_TOKEN']) {
    throw new IngestError('ENV_MISSING', 'BACKEND_TOKEN is not set: container mode needs the token jobs-manager mints', {
      env: 'BACKEND_TOKEN',
    });
  }
}

function writeMethod(raw: string | undefined): 'auto' | 'insert' {
  if (raw === undefined || raw === '' || raw === 'auto') return 'auto';
  if (raw === 'insert') return 'insert';
  throw new IngestError('ENV_INVALID', 'MYSQL_WRITE_METHOD must be auto or insert', { env: 'MYSQL_WRITE_METHOD' });
}
