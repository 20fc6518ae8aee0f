import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A fresh temporary directory. */
export function tempDir(prefix = 'tb-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** Writes `files` (relative path → content) under a fresh temporary directory. */
export async function tempFiles(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await tempDir();
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return dir;
}
