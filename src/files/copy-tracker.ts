import { readdir, unlink } from 'node:fs/promises';
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
  /** Whether the destination held files before this pass copied any (a resumed run's), looked up once. */
  private heldEarlier: Promise<boolean> | null = null;

  constructor(private readonly destination: string) {}

  reset(): void {
    this.names.clear();
    this.copied.clear();
    this.heldEarlier = null;
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
      // An empty destination (a fresh run) cannot hold an earlier copy under a name claimed here:
      // no file is looked for before each copy then.
      this.heldEarlier ??= holdsFiles(this.destination);
      const keepEarlier = await this.heldEarlier;
      for (const [file, name] of fresh) {
        if (await copyInto(file.path, this.destination, name, keepEarlier)) done.push(name);
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

async function holdsFiles(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch {
    return false;
  }
}
