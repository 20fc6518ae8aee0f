import mysql from 'mysql2/promise';
import { setTimeout as sleep } from 'node:timers/promises';
import { IngestError } from '../../errors.js';
import type { MysqlSettings } from './settings.js';
import { isTransientMysqlError, mysqlErrorLabel } from './transient.js';

export type Connection = mysql.Connection;

function connectionOptions(s: MysqlSettings, database: string | undefined): mysql.ConnectionOptions {
  return {
    host: s.host,
    port: s.port,
    user: s.user,
    password: s.password,
    database,
    charset: 'utf8mb4_general_ci',
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectTimeout: 10_000,
    multipleStatements: false,
  };
}

/** One connection attempt; sets the session to UTC so TIMESTAMP values are stored as given. */
export async function connectOnce(s: MysqlSettings, database?: string): Promise<Connection> {
  const conn = await mysql.createConnection(connectionOptions(s, database));
  await conn.query("SET time_zone = '+00:00'");
  // Strict mode whatever the server default: a value the server would truncate or coerce is an
  // error, never a silent change (checks run before, so this is a last guard).
  await conn.query("SET SESSION sql_mode = TRIM(BOTH ',' FROM CONCAT(@@SESSION.sql_mode, ',STRICT_ALL_TABLES'))");
  // A table held by a transaction of a vanished client (a killed pod's, until the server rolls it
  // back or notices) must not stall a run for the server's default (a day on MariaDB, a year on
  // MySQL): after a minute the statement fails with ER_LOCK_WAIT_TIMEOUT, retried as transient.
  await conn.query('SET SESSION lock_wait_timeout = ?', [s.lockWaitSeconds ?? LOCK_WAIT_SECONDS]);
  return conn;
}

/** How long a statement of ours waits for a table (metadata) lock. */
export const LOCK_WAIT_SECONDS = 60;

/**
 * Waits up to `waitSeconds` for MySQL to accept a connection (it may still be starting in the
 * cluster). Wrong credentials fail at once; anything else past the deadline is MYSQL_UNAVAILABLE.
 */
export async function waitForMysql(s: MysqlSettings, signal?: AbortSignal): Promise<Connection> {
  const deadline = Date.now() + s.waitSeconds * 1000;
  let delay = 250;
  for (;;) {
    try {
      return await connectOnce(s);
    } catch (err) {
      const code = mysqlErrorLabel(err);
      if (code === 'ER_ACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR') {
        throw new IngestError('MYSQL_AUTH', `MySQL refused the credentials of DB_USER (${code})`, { env: 'DB_USER' });
      }
      if (!isTransientMysqlError(err) && code !== 'ER_HOST_NOT_PRIVILEGED') {
        throw new IngestError('MYSQL_FAILED', `connecting to MySQL failed (${code})`, { status: code });
      }
      if (Date.now() + delay > deadline || signal?.aborted) {
        throw new IngestError(
          'MYSQL_UNAVAILABLE',
          `MySQL at ${s.host}:${s.port} did not accept connections within ${s.waitSeconds} s (MYSQL_WAIT_SECONDS); last error ${code}`,
          { env: 'MYSQL_HOST', status: code },
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5000);
    }
  }
}
