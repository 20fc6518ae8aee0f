/**
 * Which MySQL failures are worth retrying: deadlocks, lock waits, lost or refused connections,
 * server shutdown. Classified by the server's error number or the socket's error code.
 */
const TRANSIENT_ERRNOS = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1040, // ER_CON_COUNT_ERROR (too many connections)
  1053, // ER_SERVER_SHUTDOWN
  1927, // ER_CONNECTION_KILLED (MariaDB)
  2002, // CR_CONNECTION_ERROR
  2003, // CR_CONN_HOST_ERROR
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  4031, // ER_CLIENT_INTERACTION_TIMEOUT
]);

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
]);

export interface MysqlErrorLike {
  code?: string;
  errno?: number;
  fatal?: boolean;
}

export function isTransientMysqlError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as MysqlErrorLike;
  if (e.errno !== undefined && TRANSIENT_ERRNOS.has(e.errno)) return true;
  if (e.code !== undefined && TRANSIENT_CODES.has(e.code)) return true;
  return e.fatal === true && e.code !== 'ER_ACCESS_DENIED_ERROR';
}

/** The connection may have died mid-commit: whether the batch landed must be checked, not assumed. */
export function isAmbiguousCommit(err: unknown): boolean {
  const e = err as MysqlErrorLike;
  return e.fatal === true || e.code === 'PROTOCOL_CONNECTION_LOST' || e.errno === 2013 || e.errno === 2006;
}

export function mysqlErrorLabel(err: unknown): string {
  const e = err as MysqlErrorLike;
  return e.code ?? (e.errno !== undefined ? String(e.errno) : 'unknown');
}
