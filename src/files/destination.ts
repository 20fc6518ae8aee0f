import { constants } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
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

/** Copies one file into the destination, never overwriting. */
export async function copyInto(source: string, destination: string, name: string): Promise<void> {
  try {
    await copyFile(source, path.join(destination, name), constants.COPYFILE_EXCL);
  } catch (err) {
    throw new IngestError('FILE_COPY_FAILED', `copying the file failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      reference: name,
    });
  }
}
