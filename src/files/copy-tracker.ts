import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { IngestError } from '../errors.js';
import { copyInto } from './destination.js';
import type { ResolvedFile } from './resolve-reference.js';

/**
 * Names in the destination: one source file per name (two different files that would land on the
 * same name are refused), and each source copied once however many records reference it.
 */
export class CopyTracker {
  private readonly names = new Map<string, string>();
  private readonly copied = new Set<string>();

  constructor(private readonly destination: string) {}

  reset(): void {
    this.names.clear();
    this.copied.clear();
  }

  /** Claims `name` for `file`; refuses a second, different file under the same name. */
  claim(file: ResolvedFile, name: string): void {
    const owner = this.names.get(name);
    if (owner === undefined) this.names.set(name, file.path);
    else if (owner !== file.path) {
      throw new IngestError(
        'FILE_NAME_COLLISION',
        `two different files would be copied as ${name}; file names must be unique across subdirectories`,
        { reference: file.reference },
      );
    }
  }

  /**
   * Copies every (file, name) pair not copied yet; if one fails, removes the files this call wrote
   * (never one an earlier attempt left, nor one another record copies). Names are claimed before
   * the first await, so records copied concurrently never copy the same file twice.
   */
  async copyAllOrNone(pairs: ReadonlyArray<readonly [ResolvedFile, string]>): Promise<void> {
    const fresh = pairs.filter(([, name]) => !this.copied.has(name));
    for (const [, name] of fresh) this.copied.add(name);
    const done: string[] = [];
    try {
      for (const [file, name] of fresh) {
        if (await copyInto(file.path, this.destination, name)) done.push(name);
      }
    } catch (err) {
      for (const name of done) await unlink(path.join(this.destination, name)).catch(() => undefined);
      for (const [, name] of fresh) this.copied.delete(name);
      throw err;
    }
  }
}

/** The destination name of a file: its stem and extension as recorded in its row. */
export function destinationName(file: ResolvedFile): string {
  return file.stem + file.extension;
}
