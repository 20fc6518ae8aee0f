import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { IngestError } from '../errors.js';

/** The destination `<root>/<table>/` must be absent or empty before a run copies into it. */
export async function checkDestinationEmpty(destination: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(destination);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new IngestError('DESTINATION_NOT_EMPTY', 'the destination cannot be read', { file: destination });
  }
  if (entries.length > 0) {
    throw new IngestError(
      'DESTINATION_NOT_EMPTY',
      `the destination already holds ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}; remove it (tracebloc data delete) or choose another table name`,
      { file: destination },
    );
  }
}

export async function createDestination(destination: string): Promise<void> {
  await mkdir(destination, { recursive: true });
}

let copies = 0;

/**
 * Directories nobody sees before they are complete (a FileStage's, renamed into place whole): files
 * are copied into them under their final names, without a temporary name and a rename per file
 * (measured: 2,000 images copied 5-20 % faster).
 */
const privateDirectories = new Set<string>();

/** Marks `dir` private (see privateDirectories) until the returned function is called. */
export function copyStraightInto(dir: string): () => void {
  privateDirectories.add(dir);
  return () => privateDirectories.delete(dir);
}

/**
 * Copies one file into the destination (which exists) through a temporary name and a rename, so a
 * file under its final name is always complete (straight to its name in a private directory). With `keepEarlier` (the destination held files when
 * the pass began), a file already there with the same size is an earlier attempt's copy of it (a
 * resumed run) and is kept; names are claimed per run (CopyTracker), so nothing else can be there.
 * Resolves to whether it wrote the file.
 */
export async function copyInto(source: string, destination: string, name: string, keepEarlier = true): Promise<boolean> {
  const target = path.join(destination, name);
  const directory = path.dirname(target);
  const temporary = path.join(directory, `.${path.basename(target)}.${process.pid}.${++copies}.partial`);
  try {
    if (keepEarlier && (await sameSize(source, target))) return false;
    if (name.includes('/')) await mkdir(directory, { recursive: true });
    // A reflink where the filesystem offers one (free, copy-on-write), a plain copy elsewhere.
    if (privateDirectories.has(destination)) {
      await copyFile(source, target, constants.COPYFILE_FICLONE);
      return true;
    }
    await copyFile(source, temporary, constants.COPYFILE_FICLONE);
    await rename(temporary, target);
    return true;
  } catch (err) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw new IngestError('FILE_COPY_FAILED', `copying the file failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      reference: name,
    });
  }
}

/** Whether `target` exists with the size of `source` (the target first: usually it is absent). */
async function sameSize(source: string, target: string): Promise<boolean> {
  try {
    const t = await stat(target);
    return (await stat(source)).size === t.size;
  } catch {
    return false;
  }
}
