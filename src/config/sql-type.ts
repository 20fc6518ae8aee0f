/**
 * Parser for the SQL column types an ingest.yaml `schema:` may declare.
 *
 * The accepted grammar is a deliberately small subset of MySQL's, valid on MySQL 5.7/8.4 and
 * MariaDB. The result carries the canonical spelling (`sql`) used in DDL and sent to the backend.
 */

import type { SqlType } from './types.js';

type IntName = Extract<SqlType, { kind: 'int' }>['name'];
type TextName = Extract<SqlType, { kind: 'text' }>['name'];

type Token = { kind: 'word'; text: string } | { kind: 'number'; text: string } | { kind: 'punct'; text: '(' | ')' | ',' };

/** What follows the type name: `(a, b)` arguments and the UNSIGNED flag. */
interface Modifiers {
  /** The type name as written (upper case, single-spaced), for messages. */
  name: string;
  /** null when there were no parentheses. */
  args: number[] | null;
  unsigned: boolean;
}

type Result = SqlType | { error: string };

const INT_ALIASES: Readonly<Record<string, IntName>> = {
  TINYINT: 'TINYINT',
  SMALLINT: 'SMALLINT',
  MEDIUMINT: 'MEDIUMINT',
  INT: 'INT',
  INTEGER: 'INT',
  BIGINT: 'BIGINT',
};

const FLOAT_ALIASES: Readonly<Record<string, 'FLOAT' | 'DOUBLE'>> = {
  FLOAT: 'FLOAT',
  DOUBLE: 'DOUBLE',
  'DOUBLE PRECISION': 'DOUBLE',
  REAL: 'DOUBLE',
};

const TEXT_MAX_BYTES: Readonly<Record<TextName, number>> = {
  TINYTEXT: 255,
  TEXT: 65_535,
  MEDIUMTEXT: 16_777_215,
  LONGTEXT: 4_294_967_295,
};

const DECIMAL_NAMES = new Set(['DECIMAL', 'NUMERIC', 'DEC']);
const TEMPORAL_KINDS: Readonly<Record<string, 'datetime' | 'timestamp' | 'time'>> = {
  DATETIME: 'datetime',
  TIMESTAMP: 'timestamp',
  TIME: 'time',
};

export const SUPPORTED_SQL_TYPES =
  'TINYINT, SMALLINT, MEDIUMINT, INT, BIGINT (optionally UNSIGNED), FLOAT, DOUBLE, DECIMAL(p,s), BOOLEAN, ' +
  'DATE, DATETIME, TIMESTAMP, TIME, CHAR(n), VARCHAR(n), TINYTEXT, TEXT, MEDIUMTEXT, LONGTEXT';

/** Parse a `schema:` type such as `varchar(64)` or `int unsigned`. Case-insensitive, whitespace tolerant. */
export function parseSqlType(text: string): SqlType | { error: string } {
  const tokens = tokenize(text);
  if ('error' in tokens) return tokens;
  if (tokens.length === 0) return { error: 'the SQL type is empty' };
  const mods = readModifiers(tokens);
  if ('error' in mods) return mods;
  return build(mods);
}

function tokenize(text: string): Token[] | { error: string } {
  const tokens: Token[] = [];
  const re = /\s*(?:([A-Za-z]+)|([0-9]+)|([(),]))/y;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) return { error: `unexpected character in SQL type; supported types: ${SUPPORTED_SQL_TYPES}` };
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: 'word', text: m[1].toUpperCase() });
    else if (m[2] !== undefined) tokens.push({ kind: 'number', text: m[2] });
    else tokens.push({ kind: 'punct', text: m[3] as '(' | ')' | ',' });
  }
  return tokens;
}

/** Reads `NAME [PRECISION] [( n [, n] )] [UNSIGNED]` and checks nothing follows. */
function readModifiers(tokens: readonly Token[]): Modifiers | { error: string } {
  let i = 0;
  const first = tokens[i++];
  if (first?.kind !== 'word') return { error: `the SQL type must start with a type name; supported types: ${SUPPORTED_SQL_TYPES}` };
  let name = first.text;
  if (name === 'DOUBLE' && tokens[i]?.kind === 'word' && tokens[i]?.text === 'PRECISION') {
    name = 'DOUBLE PRECISION';
    i++;
  }
  let args: number[] | null = null;
  if (tokens[i]?.text === '(') {
    const parsed = readArgs(tokens, i + 1, name);
    if ('error' in parsed) return parsed;
    args = parsed.args;
    i = parsed.next;
  }
  let unsigned = false;
  if (tokens[i]?.kind === 'word' && tokens[i]?.text === 'UNSIGNED') {
    unsigned = true;
    i++;
  }
  const rest = tokens[i];
  if (rest !== undefined) {
    return { error: `unexpected \`${rest.text.slice(0, 20)}\` after ${name} in SQL type` };
  }
  return { name, args, unsigned };
}

function readArgs(tokens: readonly Token[], start: number, name: string): { args: number[]; next: number } | { error: string } {
  const args: number[] = [];
  let i = start;
  for (;;) {
    const t = tokens[i++];
    if (t?.kind !== 'number') return { error: `${name}(…) expects whole numbers inside the parentheses` };
    args.push(t.text.length > 10 ? Number.MAX_SAFE_INTEGER : Number(t.text));
    const sep = tokens[i++];
    if (sep?.text === ')') return { args, next: i };
    if (sep?.text !== ',') return { error: `${name}(…) is missing its closing parenthesis` };
  }
}

function build(m: Modifiers): Result {
  const intName = lookup(INT_ALIASES, m.name);
  if (intName !== undefined) return buildInt(intName, m);
  const floatName = lookup(FLOAT_ALIASES, m.name);
  if (floatName !== undefined) return buildFloat(floatName, m);
  if (DECIMAL_NAMES.has(m.name)) return buildDecimal(m);
  const temporal = lookup(TEMPORAL_KINDS, m.name);
  if (temporal !== undefined) return buildTemporal(temporal, m);
  if (m.name === 'CHAR' || m.name === 'VARCHAR') return buildString(m.name, m);
  if (Object.hasOwn(TEXT_MAX_BYTES, m.name)) return buildPlain(m, () => buildText(m.name as TextName));
  if (m.name === 'BOOLEAN' || m.name === 'BOOL') return buildPlain(m, () => ({ kind: 'boolean', sql: 'BOOLEAN' }));
  if (m.name === 'DATE') return buildPlain(m, () => ({ kind: 'date', sql: 'DATE' }));
  return { error: `unknown SQL type \`${m.name.slice(0, 32)}\`; supported types: ${SUPPORTED_SQL_TYPES}` };
}

function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

function withUnsigned(sql: string, unsigned: boolean): string {
  return unsigned ? `${sql} UNSIGNED` : sql;
}

function buildInt(name: IntName, m: Modifiers): Result {
  if (m.args !== null) {
    const [width, extra] = m.args;
    if (extra !== undefined) return { error: `${m.name} takes at most one number (a display width), e.g. ${m.name}(11)` };
    if (width === undefined || width < 1 || width > 255) return { error: `${m.name} display width must be between 1 and 255` };
  }
  // The display width has no effect on storage (and is deprecated in MySQL 8): it is dropped.
  return { kind: 'int', name, unsigned: m.unsigned, sql: withUnsigned(name, m.unsigned) };
}

function buildFloat(name: 'FLOAT' | 'DOUBLE', m: Modifiers): Result {
  if (m.args !== null) {
    return { error: `${m.name}(…) is not supported: use DECIMAL(p,s) for a fixed precision and scale, or plain ${name}` };
  }
  return { kind: 'float', name, unsigned: m.unsigned, sql: withUnsigned(name, m.unsigned) };
}

function buildDecimal(m: Modifiers): Result {
  const args = m.args ?? [];
  if (m.args !== null && args.length > 2) return { error: `${m.name} takes at most (precision, scale), e.g. DECIMAL(10,2)` };
  const precision = args[0] ?? 10;
  const scale = args[1] ?? 0;
  if (precision < 1 || precision > 65) return { error: `${m.name} precision must be between 1 and 65` };
  if (scale > 30) return { error: `${m.name} scale must be between 0 and 30` };
  if (scale > precision) return { error: `${m.name} scale must not exceed its precision` };
  return { kind: 'decimal', precision, scale, unsigned: m.unsigned, sql: withUnsigned(`DECIMAL(${precision},${scale})`, m.unsigned) };
}

function buildTemporal(kind: 'datetime' | 'timestamp' | 'time', m: Modifiers): Result {
  if (m.unsigned) return { error: `UNSIGNED only applies to numeric types, not ${m.name}` };
  const args = m.args ?? [];
  if (args.length > 1) return { error: `${m.name} takes at most one number (fractional-second digits 0..6)` };
  const fsp = args[0] ?? 0;
  if (fsp > 6) return { error: `${m.name} fractional-second digits must be between 0 and 6` };
  const name = kind.toUpperCase();
  return { kind, fsp, sql: fsp > 0 ? `${name}(${fsp})` : name };
}

function buildString(name: 'CHAR' | 'VARCHAR', m: Modifiers): Result {
  if (m.unsigned) return { error: `UNSIGNED only applies to numeric types, not ${name}` };
  if (m.args === null) {
    if (name === 'VARCHAR') return { error: 'VARCHAR needs a length, e.g. VARCHAR(255)' };
    return { kind: 'char', length: 1, sql: 'CHAR(1)' };
  }
  const [length, extra] = m.args;
  if (extra !== undefined || length === undefined) return { error: `${name} takes exactly one length, e.g. ${name}(64)` };
  if (name === 'CHAR') {
    if (length > 255) return { error: 'CHAR length must be between 0 and 255 (use VARCHAR or TEXT for longer values)' };
    return { kind: 'char', length, sql: `CHAR(${length})` };
  }
  if (length < 1 || length > 16_383) return { error: 'VARCHAR length must be between 1 and 16383 (use TEXT or MEDIUMTEXT for longer values)' };
  return { kind: 'varchar', length, sql: `VARCHAR(${length})` };
}

function buildText(name: TextName): SqlType {
  return { kind: 'text', name, maxBytes: TEXT_MAX_BYTES[name], sql: name };
}

/** Types that take neither arguments nor UNSIGNED. */
function buildPlain(m: Modifiers, make: () => SqlType): Result {
  if (m.args !== null) return { error: `${m.name} takes no length or precision` };
  if (m.unsigned) return { error: `UNSIGNED only applies to numeric types, not ${m.name}` };
  return make();
}
