import { describe, expect, it } from 'vitest';
import { parseSqlType } from '../../src/config/sql-type.js';
import type { SqlType } from '../../src/config/types.js';

describe('parseSqlType', () => {
  const accepted: [string, SqlType][] = [
    // integers: display widths dropped, INTEGER → INT
    ['INT', { kind: 'int', name: 'INT', unsigned: false, sql: 'INT' }],
    ['int', { kind: 'int', name: 'INT', unsigned: false, sql: 'INT' }],
    ['INTEGER', { kind: 'int', name: 'INT', unsigned: false, sql: 'INT' }],
    ['int(11)', { kind: 'int', name: 'INT', unsigned: false, sql: 'INT' }],
    ['  Int ( 11 )   unsigned ', { kind: 'int', name: 'INT', unsigned: true, sql: 'INT UNSIGNED' }],
    ['TINYINT', { kind: 'int', name: 'TINYINT', unsigned: false, sql: 'TINYINT' }],
    ['tinyint(1) UNSIGNED', { kind: 'int', name: 'TINYINT', unsigned: true, sql: 'TINYINT UNSIGNED' }],
    ['SMALLINT', { kind: 'int', name: 'SMALLINT', unsigned: false, sql: 'SMALLINT' }],
    ['mediumint unsigned', { kind: 'int', name: 'MEDIUMINT', unsigned: true, sql: 'MEDIUMINT UNSIGNED' }],
    ['BIGINT(20) UNSIGNED', { kind: 'int', name: 'BIGINT', unsigned: true, sql: 'BIGINT UNSIGNED' }],
    // floating point: REAL and DOUBLE PRECISION are DOUBLE
    ['FLOAT', { kind: 'float', name: 'FLOAT', unsigned: false, sql: 'FLOAT' }],
    ['float unsigned', { kind: 'float', name: 'FLOAT', unsigned: true, sql: 'FLOAT UNSIGNED' }],
    ['DOUBLE', { kind: 'float', name: 'DOUBLE', unsigned: false, sql: 'DOUBLE' }],
    ['double   precision', { kind: 'float', name: 'DOUBLE', unsigned: false, sql: 'DOUBLE' }],
    ['DOUBLE PRECISION UNSIGNED', { kind: 'float', name: 'DOUBLE', unsigned: true, sql: 'DOUBLE UNSIGNED' }],
    ['real', { kind: 'float', name: 'DOUBLE', unsigned: false, sql: 'DOUBLE' }],
    // fixed point
    ['DECIMAL', { kind: 'decimal', precision: 10, scale: 0, unsigned: false, sql: 'DECIMAL(10,0)' }],
    ['decimal(10,2)', { kind: 'decimal', precision: 10, scale: 2, unsigned: false, sql: 'DECIMAL(10,2)' }],
    ['DECIMAL( 5 )', { kind: 'decimal', precision: 5, scale: 0, unsigned: false, sql: 'DECIMAL(5,0)' }],
    ['numeric(65,30)', { kind: 'decimal', precision: 65, scale: 30, unsigned: false, sql: 'DECIMAL(65,30)' }],
    ['dec(3,3) unsigned', { kind: 'decimal', precision: 3, scale: 3, unsigned: true, sql: 'DECIMAL(3,3) UNSIGNED' }],
    ['DECIMAL(1,0)', { kind: 'decimal', precision: 1, scale: 0, unsigned: false, sql: 'DECIMAL(1,0)' }],
    // booleans and dates
    ['BOOLEAN', { kind: 'boolean', sql: 'BOOLEAN' }],
    ['bool', { kind: 'boolean', sql: 'BOOLEAN' }],
    ['date', { kind: 'date', sql: 'DATE' }],
    ['DATETIME', { kind: 'datetime', fsp: 0, sql: 'DATETIME' }],
    ['datetime(3)', { kind: 'datetime', fsp: 3, sql: 'DATETIME(3)' }],
    ['DATETIME(0)', { kind: 'datetime', fsp: 0, sql: 'DATETIME' }],
    ['TIMESTAMP', { kind: 'timestamp', fsp: 0, sql: 'TIMESTAMP' }],
    ['timestamp(6)', { kind: 'timestamp', fsp: 6, sql: 'TIMESTAMP(6)' }],
    ['TIME', { kind: 'time', fsp: 0, sql: 'TIME' }],
    ['time(2)', { kind: 'time', fsp: 2, sql: 'TIME(2)' }],
    // strings
    ['CHAR', { kind: 'char', length: 1, sql: 'CHAR(1)' }],
    ['char(0)', { kind: 'char', length: 0, sql: 'CHAR(0)' }],
    ['CHAR(255)', { kind: 'char', length: 255, sql: 'CHAR(255)' }],
    ['varchar(64)', { kind: 'varchar', length: 64, sql: 'VARCHAR(64)' }],
    ['VARCHAR(1)', { kind: 'varchar', length: 1, sql: 'VARCHAR(1)' }],
    ['VARCHAR(16383)', { kind: 'varchar', length: 16383, sql: 'VARCHAR(16383)' }],
    ['tinytext', { kind: 'text', name: 'TINYTEXT', maxBytes: 255, sql: 'TINYTEXT' }],
    ['TEXT', { kind: 'text', name: 'TEXT', maxBytes: 65535, sql: 'TEXT' }],
    ['MediumText', { kind: 'text', name: 'MEDIUMTEXT', maxBytes: 16777215, sql: 'MEDIUMTEXT' }],
    ['LONGTEXT', { kind: 'text', name: 'LONGTEXT', maxBytes: 4294967295, sql: 'LONGTEXT' }],
    ['\tvarchar\n(\n8\n)\t', { kind: 'varchar', length: 8, sql: 'VARCHAR(8)' }],
  ];

  it.each(accepted)('parses %j', (text, expected) => {
    expect(parseSqlType(text)).toEqual(expected);
  });

  const rejected: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['VARCHAR', /^VARCHAR needs a length, e.g\. VARCHAR\(255\)$/],
    ['varchar(0)', /VARCHAR length must be between 1 and 16383/],
    ['VARCHAR(16384)', /between 1 and 16383/],
    ['VARCHAR(10,2)', /exactly one length/],
    ['CHAR(256)', /CHAR length must be between 0 and 255/],
    ['FLOAT(10,2)', /FLOAT\(…\) is not supported: use DECIMAL/],
    ['float(7)', /use DECIMAL/],
    ['DOUBLE(10,2)', /use DECIMAL/],
    ['REAL(10,2)', /use DECIMAL/],
    ['DOUBLE PRECISION(10,2)', /use DECIMAL/],
    ['DECIMAL(0)', /precision must be between 1 and 65/],
    ['DECIMAL(66,2)', /precision must be between 1 and 65/],
    ['DECIMAL(40,31)', /scale must be between 0 and 30/],
    ['DECIMAL(5,6)', /scale must not exceed its precision/],
    ['DECIMAL(10,2,1)', /at most \(precision, scale\)/],
    ['DATETIME(7)', /between 0 and 6/],
    ['TIMESTAMP(1,2)', /at most one number/],
    ['TIME UNSIGNED', /UNSIGNED only applies to numeric types/],
    ['VARCHAR(10) UNSIGNED', /UNSIGNED only applies to numeric types/],
    ['BOOLEAN UNSIGNED', /UNSIGNED only applies to numeric types/],
    ['BOOLEAN(1)', /takes no length/],
    ['TEXT(100)', /takes no length/],
    ['DATE(3)', /takes no length/],
    ['INT(0)', /display width must be between 1 and 255/],
    ['INT(10,2)', /at most one number/],
    ['INT UNSIGNED UNSIGNED', /unexpected `UNSIGNED` after INT/],
    ['INT ZEROFILL', /unexpected `ZEROFILL`/],
    ['INT SIGNED', /unexpected `SIGNED`/],
    ['VARCHAR(', /closing parenthesis|whole numbers/],
    ['VARCHAR(10', /closing parenthesis/],
    ['VARCHAR()', /whole numbers/],
    ['VARCHAR(abc)', /whole numbers/],
    ['VARCHAR(-1)', /unexpected character/],
    ['DECIMAL(10.5)', /unexpected character|closing parenthesis/],
    ['(10)', /must start with a type name/],
    ['STRING', /^unknown SQL type `STRING`; supported types: .*VARCHAR\(n\)/],
    ['JSON', /unknown SQL type/],
    ['ENUM(1)', /unknown SQL type/],
    ['BLOB', /unknown SQL type/],
    ["VARCHAR(10); DROP TABLE x", /unexpected character/],
  ];

  it.each(rejected)('rejects %j', (text, message) => {
    const result = parseSqlType(text);
    expect(result).toHaveProperty('error');
    expect('error' in result ? result.error : '').toMatch(message);
  });

  it('lists the supported types in the unknown-type message', () => {
    const result = parseSqlType('nvarchar(10)');
    expect('error' in result && result.error).toContain('TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT');
    expect('error' in result && result.error).toContain('LONGTEXT');
  });
});
