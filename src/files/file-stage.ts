import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Plan } from '../config/types.js';
import { runtimeFor } from '../categories/registry.js';
import type { FileHandler, RecordFiles } from './types.js';
import { copyStraightInto } from './destination.js';

/**
 * The files of a fresh run, copied while the check pass reads them, into a directory of their own
 * that becomes the destination in one rename once every record passed: the copies then overlap the
 * checks instead of following them, and nothing appears under `<storage-root>/<table>/` before the
 * data is accepted (a refused run removes the directory).
 *
 * Only the records that passed their checks are copied, under the names the write pass would use,
 * so after the rename the destination holds exactly what the write pass would have copied. Staging
 * is an optimisation and never fails a run: a copy that fails abandons it (the write pass then copies
 * as usual), as does a rename the file system refuses (another volume, a destination not empty).
 * A directory left by a killed run is removed by the next run on the same table, which holds the
 * table lock.
 */
export class FileStage {
  private abandoned = false;
  /** Ends `dir`'s private marking (copyStraightInto): once it is moved into place or removed. */
  private readonly published: () => void;

  private constructor(
    /** Where the copies go: `<stage-root>/<table>.<run id>/`. */
    readonly dir: string,
    /** The category's file handler, copying into `dir`. */
    private readonly copies: FileHandler,
  ) {
    // Nobody sees the directory before it is complete: no temporary name per file.
    this.published = copyStraightInto(dir);
  }

  /** Removes what earlier runs on this table left behind, then creates the run's empty directory. */
  static async create(root: string, plan: Plan, runId: string): Promise<FileStage> {
    const createFileHandler = runtimeFor(plan.category).createFileHandler;
    if (!createFileHandler) throw new Error(`${plan.category} has no files`);
    await mkdir(path.dirname(root), { recursive: true });
    await mkdir(root, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    await FileStage.removeLeftovers(root, plan.table);
    const dir = path.join(root, `${plan.table}.${runId}`);
    // The default mode, as the destination gets (it becomes the destination).
    await mkdir(dir);
    return new FileStage(dir, createFileHandler({ ...plan, destination: dir }));
  }

  /**
   * Removes the stage directories runs on `table` left behind (killed runs). Every run calls it while
   * it holds the table lock, resumed runs too (which do not stage): a copy of the dataset must not
   * stay on the volume.
   */
  static async removeLeftovers(root: string, table: string): Promise<void> {
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith(`${table}.`)) await rm(path.join(root, name), { recursive: true, force: true });
    }
  }

  /** Whether every accepted record's files are here (no copy failed). */
  get complete(): boolean {
    return !this.abandoned;
  }

  /** Copies a checked record's files (each file once however many records name it). */
  async add(files: RecordFiles): Promise<void> {
    if (this.abandoned) return;
    try {
      await this.copies.copy(files);
    } catch {
      this.abandoned = true;
    }
  }

  /**
   * Makes the staged files the destination (absent or an empty directory: the check pass made sure).
   * Resolves to false, leaving the destination as it was, when the stage is incomplete or the rename
   * is refused; the caller then copies the files itself.
   */
  async moveInto(destination: string): Promise<boolean> {
    if (this.abandoned) return false;
    try {
      await mkdir(path.dirname(destination), { recursive: true });
      this.published();
      await rename(this.dir, destination);
      return true;
    } catch {
      this.abandoned = true;
      return false;
    }
  }

  /** Removes the directory and whatever is in it (nothing once it was moved into place). */
  async remove(): Promise<void> {
    this.published();
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
