import type { CellValue } from '../../records/cast.js';

const SPECIAL = /[\\\t\n\r\0]/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** One value in LOAD DATA's default text format: tab-separated, backslash escapes, `\N` for NULL. */
export function tsvValue(v: CellValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return SPECIAL.test(v) ? v.replace(/[\\\t\n\r\0]/g, (c) => ESCAPES[c]!) : v;
}

/** Rows of values as LOAD DATA input, one line per row. */
export function tsvRows(rows: ReadonlyArray<readonly CellValue[]>): Buffer {
  const lines = new Array<string>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    let line = tsvValue(row[0] ?? null);
    for (let i = 1; i < row.length; i++) line += '\t' + tsvValue(row[i] ?? null);
    lines[r] = line;
  }
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}
