import { createCipheriv, createHash, type Cipher } from 'node:crypto';
import type { DataIdPlan } from '../config/types.js';
import { deferredJsonIdsOf, jsonIdsOf, type DeferredJsonIds, type JsonDataIds } from './json-ids.js';

/**
 * Gives each record its `data_id`, the only per-record identifier shared with the backend.
 *
 * `uuid` (default): the record's position in the source (its row number) encrypted with AES-128
 * under a key derived from a secret per-table salt (kept in the cluster's MySQL,
 * `tracebloc_ingest_meta`), the config hash and the run's id (a resumed run keeps the id of the run
 * it continues; runs recorded by earlier versions used the source's fingerprint instead, and are
 * resumed with it), formatted as an RFC 9562 version-8 UUID. So:
 * - the same record gets the same id when a run is resumed (same salt, config and run), so a
 *   resumed run neither duplicates rows nor re-sends metadata under new ids;
 * - the ids are known before the source has been read to the end (the check pass can stage rows);
 * - two records never share one (AES is a permutation of the 128-bit block; only the 6 version and
 *   variant bits are overwritten);
 * - nobody without the salt can compute or reverse it, and another run into the same table gets
 *   different ids.
 * One AES block per record: far cheaper than a keyed hash per record.
 *
 * `column`: the source value, an explicit opt-in because the column may be personal data.
 */
export interface DataIdAssigner {
  assign(row: number, sourceValue: string | null): string;
  /** The ids of many records at once (`assign` of each, with one cipher call for the lot). */
  assignMany(rows: readonly number[], sourceValues: readonly (string | null)[]): string[];
  /** The ids `assignMany` gives, as their JSON text in one buffer (no string per id: what bodies are written from). */
  assignManyJson(rows: readonly number[], sourceValues: readonly (string | null)[]): JsonDataIds;
  /**
   * `assignManyJson`, made when needed: until then only `rows` (and, for `column`, the ids) are held.
   * The arrays must not change meanwhile.
   */
  assignManyJsonLater(rows: readonly number[], sourceValues: readonly (string | null)[]): DeferredJsonIds;
}

export interface DataIdKeyMaterial {
  /** The per-table secret (hex). */
  readonly salt: string;
  /** sha256 of the ingest.yaml. */
  readonly configHash: string;
  /**
   * What else the key is bound to: the run's id (`{ run }`), or, for a run recorded by an earlier
   * version that is being resumed, the fingerprint of the source records (`{ source }`).
   */
  readonly scope: { readonly run: string } | { readonly source: string };
}

export function dataIdAssigner(plan: DataIdPlan, material: DataIdKeyMaterial): DataIdAssigner {
  if (plan.strategy === 'column') {
    const assign = (_row: number, sourceValue: string | null): string => {
      if (sourceValue === null) throw new Error('data_id column value missing after the check pass');
      return sourceValue;
    };
    return {
      assign,
      assignMany: (rows, sourceValues) => rows.map((row, i) => assign(row, sourceValues[i] ?? null)),
      assignManyJson: (rows, sourceValues) => jsonIdsOf(rows.length, (i) => assign(rows[i]!, sourceValues[i] ?? null)),
      assignManyJsonLater: (rows, sourceValues) => deferredJsonIdsOf(rows.map((row, i) => assign(row, sourceValues[i] ?? null))),
    };
  }
  const [version, bound] = 'run' in material.scope ? ['v2', material.scope.run] : ['v1', material.scope.source];
  const key = createHash('sha256')
    .update(`tracebloc data_id ${version}\u0000`)
    .update(material.salt)
    .update('\u0000')
    .update(material.configHash)
    .update('\u0000')
    .update(bound)
    .digest()
    .subarray(0, 16);
  const cipher: Cipher = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  const block = Buffer.alloc(16);
  return {
    assign(row) {
      block.writeBigUInt64BE(BigInt(row), 8);
      return formatUuidV8(cipher.update(block));
    },
    assignMany(rows) {
      const out = encrypt(rows);
      const ids = new Array<string>(rows.length);
      for (let i = 0; i < rows.length; i++) ids[i] = formatUuidV8(out.subarray(16 * i, 16 * i + 16));
      return ids;
    },
    assignManyJson,
    assignManyJsonLater: (rows) => ({ count: rows.length, byteLength: UUID_JSON_BYTES * rows.length, make: () => assignManyJson(rows) }),
  };

  function assignManyJson(rows: readonly number[]): JsonDataIds {
    const out = encrypt(rows);
    const bytes = Buffer.allocUnsafe(UUID_JSON_BYTES * rows.length);
    const ends = new Uint32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      writeUuidV8Json(out, 16 * i, bytes, UUID_JSON_BYTES * i);
      ends[i] = UUID_JSON_BYTES * (i + 1);
    }
    return { count: rows.length, bytes, ends };
  }

  /** The rows' blocks encrypted in one call. ECB: block i of the output is the encryption of block i of the input, as `assign` does it. */
  function encrypt(rows: readonly number[]): Buffer {
    const blocks = Buffer.alloc(16 * rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      // Row numbers are safe integers: high and low 32 bits of the 64-bit big-endian counter.
      blocks.writeUInt32BE(Math.floor(row / 2 ** 32), 16 * i + 8);
      blocks.writeUInt32BE(row >>> 0, 16 * i + 12);
    }
    return cipher.update(blocks);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** The first 16 bytes as a version-8, variant-10 UUID string. */
export function formatUuidV8(bytes: Uint8Array): string {
  const b = (i: number) => HEX[bytes[i]!]!;
  const version = HEX[(bytes[6]! & 0x0f) | 0x80]!;
  const variant = HEX[(bytes[8]! & 0x3f) | 0x80]!;
  return `${b(0)}${b(1)}${b(2)}${b(3)}-${b(4)}${b(5)}-${version}${b(7)}-${variant}${b(9)}-${b(10)}${b(11)}${b(12)}${b(13)}${b(14)}${b(15)}`;
}

/** A UUID's JSON text: 36 characters in quotes. */
const UUID_JSON_BYTES = 38;

/** ASCII codes of the two hex digits of each byte value (byte b at 2b, 2b+1). */
const HEX_CODES = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  const hex = HEX[b]!;
  HEX_CODES[2 * b] = hex.charCodeAt(0);
  HEX_CODES[2 * b + 1] = hex.charCodeAt(1);
}
const QUOTE = 0x22;
const DASH = 0x2d;

/**
 * `JSON.stringify(formatUuidV8(block))` written as ASCII bytes into `out` at `at` (38 bytes), from the
 * 16 bytes of `block` at `from`: the same text, no string made.
 */
export function writeUuidV8Json(block: Uint8Array, from: number, out: Uint8Array, at: number): void {
  out[at] = QUOTE;
  let o = at + 1;
  for (let k = 0; k < 16; k++) {
    if (k === 4 || k === 6 || k === 8 || k === 10) out[o++] = DASH;
    let b = block[from + k]!;
    if (k === 6) b = (b & 0x0f) | 0x80;
    else if (k === 8) b = (b & 0x3f) | 0x80;
    out[o++] = HEX_CODES[2 * b]!;
    out[o++] = HEX_CODES[2 * b + 1]!;
  }
  out[o] = QUOTE;
}

/** Longest `data_id` the platform column holds. */
export const MAX_DATA_ID_LENGTH = 255;
