import { createHmac } from 'node:crypto';
import type { DataIdPlan } from '../config/types.js';
import type { RawCell } from '../sources/types.js';

/**
 * Gives each record its `data_id`, the only per-record identifier shared with the backend.
 *
 * `uuid` (default): a UUID derived from a secret per-table salt (kept in the cluster's MySQL) and
 * the record's identity in the source (its row number and cells), as HMAC-SHA256 → 128 bits
 * formatted as an RFC 9562 version-8 UUID. The same record gets the same id on a Job retry, so a
 * resumed run neither duplicates rows nor re-sends metadata under new ids; two records never share
 * one (the row number differs); nobody without the salt can compute or reverse it.
 *
 * `column`: the source value, an explicit opt-in because the column may be personal data.
 */
export interface DataIdAssigner {
  assign(row: number, cells: readonly RawCell[], sourceValue: string | null): string;
}

export function dataIdAssigner(plan: DataIdPlan, salt: string): DataIdAssigner {
  if (plan.strategy === 'column') {
    return {
      assign(_row, _cells, sourceValue) {
        if (sourceValue === null) throw new Error('data_id column value missing after the check pass');
        return sourceValue;
      },
    };
  }
  const key = Buffer.from(salt, 'utf8');
  return {
    assign(row, cells) {
      const mac = createHmac('sha256', key);
      mac.update(String(row));
      for (const cell of cells) mac.update(cell === null || cell === undefined ? '\u0000' : `\u001f${String(cell)}`);
      return formatUuidV8(mac.digest());
    },
  };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The first 16 bytes as a version-8, variant-10 UUID string. */
export function formatUuidV8(bytes: Uint8Array): string {
  const b = (i: number) => HEX[bytes[i]!]!;
  const version = HEX[(bytes[6]! & 0x0f) | 0x80]!;
  const variant = HEX[(bytes[8]! & 0x3f) | 0x80]!;
  return `${b(0)}${b(1)}${b(2)}${b(3)}-${b(4)}${b(5)}-${version}${b(7)}-${variant}${b(9)}-${b(10)}${b(11)}${b(12)}${b(13)}${b(14)}${b(15)}`;
}

/** Longest `data_id` the platform column holds. */
export const MAX_DATA_ID_LENGTH = 255;
