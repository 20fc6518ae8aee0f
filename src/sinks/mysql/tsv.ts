import type { CellValue } from '../../records/cast.js';
import type { Plan, SqlType } from '../../config/types.js';
import type { RowEncoder } from '../types.js';
import { Utf8Pieces } from '../../bytes/utf8-pieces.js';

const SPECIAL = /[\\\t\n\r\0]/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };

/** One value in LOAD DATA's default text format: tab-separated, backslash escapes, `\N` for NULL. */
export function tsvValue(v: CellValue): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return SPECIAL.test(v) ? v.replace(/[\\\t\n\r\0]/g, (c) => ESCAPES[c]!) : v;
}

/** Rows of values as LOAD DATA input, one line per row, in buffers of about PIECE_CHARS. */
export function tsvRows(rows: ReadonlyArray<readonly CellValue[]>): Buffer[] {
  const out = new Utf8Pieces();
  for (let r = 0; r < rows.length; r++) out.add(tsvLine(rows[r]!) + '\n');
  return out.take();
}

/** One row's values as a single LOAD DATA line (no newline at the end). */
export function tsvLine(values: readonly CellValue[]): string {
  let line = tsvValue(values[0] ?? null);
  for (let i = 1; i < values.length; i++) line += '\t' + tsvValue(values[i] ?? null);
  return line;
}

const UNESCAPES: Readonly<Record<string, string>> = { t: '\t', n: '\n', r: '\r', '0': '\0' };

/** The inverse of `tsvLine`: the values of one line, as text or null (for the INSERT fallback). */
export function parseTsvLine(line: string): (string | null)[] {
  return line.split('\t').map((v) => {
    if (v === '\\N') return null;
    return v.includes('\\') ? v.replace(/\\(.)/gs, (_, c: string) => UNESCAPES[c] ?? c) : v;
  });
}

/**
 * Column kinds whose checked values are numbers or canonical number/date/time text (the casters'
 * output), never a tab, newline, backslash or NUL: written without the escape scan.
 */
const PLAIN_KINDS: ReadonlySet<SqlType['kind']> = new Set(['int', 'float', 'decimal', 'boolean', 'date', 'datetime', 'timestamp', 'time']);

/** The MySQL sink's row encoding: label, filename, extension, annotation, then the plan's columns, one LOAD DATA line. */
export function tsvRowEncoder(plan: Plan): RowEncoder {
  const plain = plan.columns.map((c) => PLAIN_KINDS.has(c.type.kind));
  return {
    encodeRow(r) {
      let line = `${tsvValue(r.label)}\t${tsvValue(r.filename)}\t${tsvValue(r.extension)}\t${tsvValue(r.annotation)}`;
      const values = r.values;
      for (let i = 0; i < values.length; i++) {
        const v = values[i] ?? null;
        line += '\t' + (v === null ? '\\N' : plain[i] ? String(v) : tsvValue(v));
      }
      return line;
    },
  };
}
