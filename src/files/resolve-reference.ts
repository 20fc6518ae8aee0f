import { lstatSync, realpathSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { IngestError } from '../errors.js';
import type { FileSetPlan } from '../config/types.js';

/** A referenced file, resolved and proven to lie inside its directory. */
export interface ResolvedFile {
  /** As written in the source (for messages; it is a file name, not a cell of feature data). */
  readonly reference: string;
  /** Absolute path of the file (symlinks inside the directory resolved). */
  readonly path: string;
  /** File name without extension, as stored in the `filename` column. */
  readonly stem: string;
  /** Extension with its dot, lower case, as stored in the `extension` column. */
  readonly extension: string;
  /** Size in bytes. */
  readonly size: number;
}

const EQUIVALENT_EXTENSIONS: Readonly<Record<string, readonly string[]>> = {
  '.jpg': ['.jpg', '.jpeg'],
  '.jpeg': ['.jpg', '.jpeg'],
  '.txt': ['.txt', '.text'],
  '.text': ['.txt', '.text'],
};

export function extensionMatches(actual: string, configured: string): boolean {
  return (EQUIVALENT_EXTENSIONS[configured] ?? [configured]).includes(actual);
}

/**
 * Checks the syntax of a reference without touching the disk: no absolute paths, no `..`, no NUL,
 * no backslashes, an allowed extension. A reference without an extension gets the configured one.
 * Returns the relative path inside the directory.
 */
export function normaliseReference(reference: string, set: FileSetPlan): { relative: string; extension: string } {
  if (reference.length === 0) throw new IngestError('FILE_REFERENCE_INVALID', 'the file reference is empty');
  if (reference.includes('\u0000') || reference.includes('\\')) {
    throw new IngestError('FILE_REFERENCE_INVALID', 'the file reference contains a NUL byte or a backslash');
  }
  if (path.isAbsolute(reference) || reference.split('/').some((seg) => seg === '..')) {
    throw new IngestError(
      'FILE_OUTSIDE_ROOT',
      `the file reference must be relative to ${set.configured} and must not contain ".."`,
    );
  }
  const ext = path.extname(reference).toLowerCase();
  if (ext === '') return { relative: reference + set.extension, extension: set.extension };
  if (!extensionMatches(ext, set.extension)) {
    throw new IngestError('FILE_EXTENSION', `the file has extension ${ext}; this dataset is configured for ${set.extension}`);
  }
  return { relative: reference, extension: ext };
}

/**
 * Resolves a reference to a regular file inside `set.dir`; symlinks are followed only while they
 * stay inside the directory. Errors carry the reference; the caller adds row and column.
 * With `localDisk` (see isLocalDisk) the two system calls are synchronous: each takes microseconds,
 * a round trip through libuv's thread pool several times that (measured with 2,000 images,
 * BENCHMARKS.md); on a network file system they stay asynchronous.
 */
export async function resolveReference(reference: string, set: FileSetPlan, realDir: string, localDisk = false): Promise<ResolvedFile> {
  const { relative, extension } = normaliseReference(reference, set);
  const joined = path.join(set.dir, relative);
  let real: string;
  try {
    real = localDisk ? realpathSync.native(joined) : await realpath(joined);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new IngestError(
      'FILE_MISSING',
      code === 'ENOENT' ? `the file does not exist in ${set.configured}` : `the file cannot be opened (${code ?? 'error'})`,
      { reference },
    );
  }
  if (real !== realDir && !real.startsWith(realDir + path.sep)) {
    throw new IngestError('FILE_OUTSIDE_ROOT', `the file resolves outside ${set.configured} (symlink)`, { reference });
  }
  const st = localDisk ? lstatSync(real) : await lstat(real);
  if (!st.isFile()) throw new IngestError('FILE_MISSING', 'the reference is not a regular file', { reference });
  const base = path.basename(relative);
  return {
    reference,
    path: real,
    stem: base.slice(0, base.length - path.extname(base).length),
    extension,
    size: st.size,
  };
}

/** The real path of a configured directory; a missing directory is a data error naming it. */
export async function realDirectory(set: FileSetPlan): Promise<string> {
  try {
    const real = await realpath(set.dir);
    if (!(await lstat(real)).isDirectory()) throw new Error('not a directory');
    return real;
  } catch {
    throw new IngestError('FILE_MISSING', `the directory ${set.configured} does not exist`, { file: set.configured });
  }
}
