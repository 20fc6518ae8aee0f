import { IngestError } from '../../errors.js';

/** MySQL connection settings, from the platform env (PLATFORM.md §2). No credential has a default. */
export interface MysqlSettings {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly waitSeconds: number;
  /** How long a statement waits for a table (metadata) lock; default LOCK_WAIT_SECONDS (connect.ts). */
  readonly lockWaitSeconds?: number;
}

export const DEFAULT_DATABASE = 'training_test_datasets';

export function mysqlSettingsFromEnv(env: NodeJS.ProcessEnv): MysqlSettings | null {
  const host = env['MYSQL_HOST'];
  if (host === undefined || host === '') return null;
  const user = env['DB_USER'];
  if (user === undefined || user === '') {
    throw new IngestError('ENV_MISSING', 'DB_USER is required when MYSQL_HOST is set (no credential is built in)', {
      env: 'DB_USER',
    });
  }
  return {
    host,
    port: integerEnv(env, 'MYSQL_PORT', 3306, 1, 65535),
    user,
    password: env['DB_PASSWORD'] ?? '',
    database: env['DB_NAME'] || DEFAULT_DATABASE,
    waitSeconds: integerEnv(env, 'MYSQL_WAIT_SECONDS', 120, 0, 86_400),
  };
}

export function integerEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) {
    throw new IngestError('ENV_INVALID', `${name} must be a whole number`, { env: name });
  }
  const n = Number(raw.trim());
  if (n < min || n > max) throw new IngestError('ENV_INVALID', `${name} must be between ${min} and ${max}`, { env: name });
  return n;
}
