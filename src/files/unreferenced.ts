import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FileSetPlan } from '../config/types.js';
import { extensionMatches } from './resolve-reference.js';

/** How many unreferenced file names a warning lists. */
const NAMES_SHOWN = 5;

/**
 * Records which files of one directory the rows referenced, and afterwards names (a few of) the
 * files with the directory's extension that no row referenced. Top level only: names, counts.
 */
export class ReferencedFiles {
  private readonly seen = new Set<string>();

  constructor(
    private readonly set: FileSetPlan,
    private readonly what: string,
  ) {}

  clear(): void {
    this.seen.clear();
  }

  /** `realPath`: the resolved path of a referenced file. */
  add(realPath: string): void {
    this.seen.add(realPath);
  }

  /** A warning about unreferenced files, or null when every file was referenced. */
  async warning(realDir: string): Promise<string | null> {
    let entries;
    try {
      entries = await readdir(realDir, { withFileTypes: true });
    } catch {
      return null;
    }
    const unreferenced = entries
      .filter((e) => e.isFile() && extensionMatches(path.extname(e.name).toLowerCase(), this.set.extension))
      .map((e) => e.name)
      .filter((name) => !this.seen.has(path.join(realDir, name)))
      .sort();
    if (unreferenced.length === 0) return null;
    const shown = unreferenced.slice(0, NAMES_SHOWN).join(', ');
    const more = unreferenced.length > NAMES_SHOWN ? ', …' : '';
    const n = unreferenced.length;
    return `${n} ${this.what} file${n === 1 ? '' : 's'} in ${this.set.configured} ${n === 1 ? 'is' : 'are'} not referenced by any row and ${
      n === 1 ? 'was' : 'were'
    } not ingested (${shown}${more})`;
  }
}
