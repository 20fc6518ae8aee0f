import { createHash, type Hash } from 'node:crypto';
import type { RawCell } from '../sources/types.js';

/**
 * What a run's source fingerprint is taken over:
 * - `bytes`: every byte of the source file as the check pass reads it (one hash update per read
 *   chunk, nothing built per record);
 * - `cells`: every record's cells after the processors (earlier versions, and runs with record
 *   processors, whose output the file's bytes do not pin down).
 * A resumed run takes the fingerprint of the kind its interrupted run recorded.
 */
export type FingerprintKind = 'bytes' | 'cells';

/** Characters of record keys gathered before one hash update (cells). */
const CHUNK_CHARS = 64 * 1024;

/** sha256 over the source (see FingerprintKind) and the row numbers the check pass left out. */
export class SourceFingerprint {
  private readonly hash: Hash = createHash('sha256');
  private keys = '';

  constructor(readonly kind: FingerprintKind) {}

  /** For `bytes`: give every chunk of the file, in order. */
  readonly addBytes = (chunk: Buffer): void => {
    this.hash.update(chunk);
  };

  /** For `cells`: give every record, in order (a no-op for `bytes`). */
  addRecord(cells: readonly RawCell[]): void {
    if (this.kind !== 'cells') return;
    // One hash call per ~64 KiB of keys, not per record.
    this.keys += cellsKey(cells);
    if (this.keys.length >= CHUNK_CHARS) {
      this.hash.update(this.keys);
      this.keys = '';
    }
  }

  /** The fingerprint, hex; the rows left out are part of what a resumed run must see again. */
  digest(invalidRows: ReadonlySet<number>): string {
    this.hash.update(this.keys);
    this.keys = '';
    return this.hash.update(JSON.stringify([...invalidRows].sort((a, b) => a - b))).digest('hex');
  }
}

/**
 * An unambiguous text of a record's cells: each cell as its type, its length and its text, so no
 * two different records (nor `1` and `"1"`, nor null and "") collide.
 */
function cellsKey(cells: readonly RawCell[]): string {
  let key = '';
  for (const c of cells) {
    if (typeof c === 'string') key += `s${c.length}:${c}`;
    else if (c === null || c === undefined) key += 'n;';
    else key += `${typeof c === 'number' ? 'd' : 'b'}${String(c)};`;
  }
  return key + '\n';
}
