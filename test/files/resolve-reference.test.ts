import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { realDirectory, resolveReference } from '../../src/files/resolve-reference.js';
import type { FileSetPlan } from '../../src/config/types.js';
import { IngestError } from '../../src/errors.js';
import { tempDir } from '../support/tmp.js';

let root: string;
let set: FileSetPlan;
let real: string;

beforeAll(async () => {
  root = await tempDir();
  const dir = path.join(root, 'images');
  await mkdir(path.join(dir, 'sub'), { recursive: true });
  await writeFile(path.join(dir, 'a.jpg'), 'x');
  await writeFile(path.join(dir, 'sub', 'b.jpeg'), 'x');
  await writeFile(path.join(root, 'secret.jpg'), 'x');
  await symlink(path.join(root, 'secret.jpg'), path.join(dir, 'escape.jpg'));
  await symlink(path.join(dir, 'a.jpg'), path.join(dir, 'inside.jpg'));
  await mkdir(path.join(dir, 'folder.jpg'));
  set = { dir, configured: 'images/', extension: '.jpg' };
  real = await realDirectory(set);
});

async function codeOf(reference: string): Promise<string> {
  const err = await resolveReference(reference, set, real).then(
    () => 'resolved',
    (e: unknown) => (e instanceof IngestError ? e.code : String(e)),
  );
  return err;
}

describe('resolveReference', () => {
  it('resolves a file by name, and adds the configured extension to a bare stem', async () => {
    expect(await resolveReference('a.jpg', set, real)).toMatchObject({ stem: 'a', extension: '.jpg', size: 1 });
    expect(await resolveReference('a', set, real)).toMatchObject({ stem: 'a', extension: '.jpg' });
  });

  it('treats .jpg and .jpeg as the same format and allows subdirectories', async () => {
    expect(await resolveReference('sub/b.jpeg', set, real)).toMatchObject({ stem: 'b', extension: '.jpeg' });
  });

  it('follows a symlink that stays inside the directory', async () => {
    expect((await resolveReference('inside.jpg', set, real)).path).toBe(path.join(real, 'a.jpg'));
  });

  it.each([
    ['../secret.jpg', 'FILE_OUTSIDE_ROOT'],
    ['sub/../../secret.jpg', 'FILE_OUTSIDE_ROOT'],
    ['/etc/passwd.jpg', 'FILE_OUTSIDE_ROOT'],
    ['escape.jpg', 'FILE_OUTSIDE_ROOT'],
    ['missing.jpg', 'FILE_MISSING'],
    ['folder.jpg', 'FILE_MISSING'],
    ['a.png', 'FILE_EXTENSION'],
    ['a\\b.jpg', 'FILE_REFERENCE_INVALID'],
    ['a\u0000.jpg', 'FILE_REFERENCE_INVALID'],
    ['', 'FILE_REFERENCE_INVALID'],
  ])('refuses %j with %s', async (reference, code) => {
    expect(await codeOf(reference)).toBe(code);
  });

  it('names a missing directory', async () => {
    const err = await realDirectory({ ...set, dir: path.join(root, 'nope'), configured: 'nope/' }).catch((e: unknown) => e);
    expect((err as IngestError).code).toBe('FILE_MISSING');
    expect((err as IngestError).message).toContain('nope/');
  });
});
