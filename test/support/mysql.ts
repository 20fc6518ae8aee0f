import { randomBytes } from 'node:crypto';
import mysql, { type Connection, type RowDataPacket } from 'mysql2/promise';

/** Connection settings of the test MySQL-protocol server (env, else the machine's MariaDB). */
export const MYSQL = {
  host: process.env['MYSQL_HOST'] || '127.0.0.1',
  port: Number(process.env['MYSQL_PORT'] || 3306),
  user: process.env['DB_USER'] || 'root',
  password: process.env['DB_PASSWORD'] ?? '',
};

export interface TestDatabase {
  readonly name: string;
  /** Env for the CLI: MySQL settings pointing at this database. */
  readonly env: Record<string, string>;
  query<T = RowDataPacket>(sql: string, params?: unknown[]): Promise<T[]>;
  tableExists(table: string): Promise<boolean>;
  drop(): Promise<void>;
}

/** A fresh, uniquely named database per test file (dropped by `drop`). */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `t_${prefix}_${randomBytes(4).toString('hex')}`;
  const conn: Connection = await mysql.createConnection({ ...MYSQL, dateStrings: true, timezone: 'Z' });
  await conn.query(`CREATE DATABASE \`${name}\``);
  await conn.changeUser({ database: name });
  await conn.query("SET time_zone = '+00:00'");
  return {
    name,
    env: {
      MYSQL_HOST: MYSQL.host,
      MYSQL_PORT: String(MYSQL.port),
      DB_USER: MYSQL.user,
      DB_PASSWORD: MYSQL.password,
      DB_NAME: name,
      MYSQL_WAIT_SECONDS: '5',
    },
    async query<T>(sql: string, params: unknown[] = []) {
      const [rows] = await conn.query<RowDataPacket[]>(sql, params);
      return rows as unknown as T[];
    },
    async tableExists(table: string) {
      const [rows] = await conn.query<RowDataPacket[]>(
        'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
        [name, table],
      );
      return Number(rows[0]?.['n']) > 0;
    },
    async drop() {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}
