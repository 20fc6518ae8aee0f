/** File checks shared by the tests: existence, the files below a directory, exact copies. */
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';

export async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** Every file below `dir` (relative paths, sorted); none when `dir` does not exist. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** The files below `dir` are exactly the keys of `expected` (relative paths), each with the bytes of its source file. */
export async function expectCopies(dir: string, expected: Record<string, string>): Promise<void> {
  expect(await listFiles(dir)).toEqual(Object.keys(expected).sort());
  for (const [rel, source] of Object.entries(expected)) {
    expect((await readFile(path.join(dir, rel))).equals(await readFile(source)), rel).toBe(true);
  }
}
