/**
 * The casting tables of test/records/cast-*.test.ts: one `describe` per SQL type, one test per cell,
 * named by the cell.
 */
import { describe, expect, it } from 'vitest';
import type { SqlType } from '../../src/config/types.js';
import { casterFor, isCastFailure, type Caster, type CastFailure, type CellValue } from '../../src/records/cast.js';

export type Raw = Parameters<Caster>[0];

/** A cell and what casting it gives: the value for successes, the failure code for failures. */
export type Row = readonly [Raw, CellValue | CastFailure['code']];

/** The value for successes, the code for failures, so one table column holds either. */
function outcome(v: CellValue | CastFailure): CellValue | CastFailure['code'] {
  return isCastFailure(v) ? v.code : v;
}

function show(raw: Raw): string {
  return raw === undefined ? 'undefined' : JSON.stringify(raw);
}

/**
 * Casts every cell of `rows` by `type` and compares the outcome. A failure must explain itself (a
 * message of more than 10 characters) and never echo the cell, neither as given nor trimmed.
 */
export function castTable(type: SqlType, rows: readonly Row[]): void {
  const c = casterFor(type);
  describe(type.sql, () => {
    it.each(rows.map(([raw, want]) => [show(raw), raw, want] as const))('%s', (_name, raw, want) => {
      const got = c(raw);
      expect(outcome(got)).toStrictEqual(want);
      if (isCastFailure(got)) {
        expect(got.message.length).toBeGreaterThan(10);
        if (typeof raw === 'string' && raw.length > 3) expect(got.message).not.toContain(raw);
        if (typeof raw === 'string' && raw.trim().length > 3) expect(got.message).not.toContain(raw.trim());
      }
    });
  });
}
