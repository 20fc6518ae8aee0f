import { symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTextFile } from '../../src/files/check-text.js';
import type { ResolvedFile } from '../../src/files/resolve-reference.js';
import { rejection } from '../support/errors.js';
import { tempDir } from '../support/tmp.js';

async function fileWith(content: string | Uint8Array, name = 'a.txt'): Promise<ResolvedFile> {
  const dir = await tempDir('tb-text-');
  const p = path.join(dir, name);
  await writeFile(p, content);
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  return { reference: name.replace(/\.txt$/, ''), path: p, stem: 'a', extension: '.txt', size };
}

describe('checkTextFile', () => {
  it('counts the words of a UTF-8 text', async () => {
    const f = await fileWith('Zoë Müller works at Ünïcode GmbH\nin 東京.\n');
    expect(await checkTextFile(f)).toEqual({ words: 8, bytes: Buffer.byteLength('Zoë Müller works at Ünïcode GmbH\nin 東京.\n') });
  });

  it('refuses Latin-1 bytes, naming the offset and line but not the content', async () => {
    const f = await fileWith(Buffer.from('first line\ncaf\xe9 secret\n', 'latin1'));
    const err = await rejection(checkTextFile(f));
    expect(err.code).toBe('FILE_DECODE');
    expect(err.message).toBe('the text file is not valid UTF-8 (invalid byte sequence at byte 14, line 2); re-save it as UTF-8');
    expect(err.context.reference).toBe('a');
    expect(err.message).not.toContain('secret');
  });

  it('refuses invalid bytes deep in a large file (streamed, not loaded whole)', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x61);
    big[big.length - 2] = 0xff;
    const err = await rejection(checkTextFile(await fileWith(big)));
    expect(err.message).toContain(`at byte ${big.length - 2}`);
  });

  it('refuses a file over the size limit before reading it', async () => {
    const f = await fileWith('0123456789 0123456789');
    const err = await rejection(checkTextFile(f, 10));
    expect(err.code).toBe('FILE_TOO_LARGE');
    expect(err.message).toBe('the text file has 21 bytes, over the limit of 10 bytes');
  });

  it('notices a file that grew past the limit after it was listed', async () => {
    const f = await fileWith('0123456789 0123456789');
    const err = await rejection(checkTextFile({ ...f, size: 5 }, 10));
    expect(err.code).toBe('FILE_TOO_LARGE');
  });

  it('refuses empty and whitespace-only files', async () => {
    expect((await rejection(checkTextFile(await fileWith('')))).message).toBe('the text file is empty (0 bytes)');
    expect((await rejection(checkTextFile(await fileWith(' \n\t\u00a0')))).message).toBe('the text file holds only whitespace');
  });

  it('reports a file that cannot be read', async () => {
    const dir = await tempDir('tb-text-');
    await symlink(path.join(dir, 'nowhere'), path.join(dir, 'dangling.txt'));
    const err = await rejection(checkTextFile({ reference: 'dangling', path: path.join(dir, 'dangling.txt'), stem: 'dangling', extension: '.txt', size: 1 }));
    expect(err.code).toBe('FILE_MISSING');
    expect(err.message).toContain('ENOENT');
  });
});
