import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { watch } from 'node:fs';
import { copyInto } from '../../src/files/destination.js';
import { FileStage } from '../../src/files/file-stage.js';
import { checkedCells, planAndHandler } from '../support/file-handlers.js';
import { exists, listFiles } from '../support/files.js';
import { tempDir } from '../support/tmp.js';

/** A storage root with `ds/texts/` holding `files`, a text_classification plan over it and its handler. */
async function setup(files: Record<string, string>) {
  const root = await tempDir('tb-stage-');
  await mkdir(path.join(root, 'ds', 'texts'), { recursive: true });
  await writeFile(path.join(root, 'ds', 'labels.csv'), 'filename,label\n');
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(root, 'ds', 'texts', name), content);
  const { plan, handler } = await planAndHandler(root, { table: 'notes_train', category: 'text_classification', label: 'label', texts: '/data/shared/ds/texts/' });
  return { root, plan, handler, stageRoot: path.join(root, '.tracebloc-ingest', 'stage') };
}

describe('FileStage', () => {
  it('copies the checked records\' files under their destination names, then becomes the destination in one rename', async () => {
    const { plan, handler, stageRoot } = await setup({ 'a.txt': 'alpha', 'b.txt': 'beta' });
    const stage = await FileStage.create(stageRoot, plan, 'run-1');
    expect(stage.dir).toBe(path.join(stageRoot, 'notes_train.run-1'));
    for (const ref of ['a', 'b.txt', 'a.txt']) await stage.add(await handler.check(checkedCells(ref)));
    expect(await listFiles(stage.dir)).toEqual(['a.txt', 'b.txt']);
    expect(await exists(plan.destination)).toBe(false);

    expect(stage.complete).toBe(true);
    expect(await stage.moveInto(plan.destination)).toBe(true);
    expect(await listFiles(plan.destination)).toEqual(['a.txt', 'b.txt']);
    expect(await readFile(path.join(plan.destination, 'b.txt'), 'utf8')).toBe('beta');
    expect(await exists(stage.dir)).toBe(false);
    // The stage root itself is private; the destination has the default mode of a new directory.
    expect((await stat(stageRoot)).mode & 0o777).toBe(0o700);
    await stage.remove();
    expect(await listFiles(plan.destination)).toEqual(['a.txt', 'b.txt']);
  });

  it('copies into the stage straight under the final names; into a destination, through a temporary name and a rename', async () => {
    const { root, plan, handler, stageRoot } = await setup({ 'a.txt': 'alpha', 'b.txt': 'beta' });
    /** The names that appeared in `dir` (inotify) while `work` ran. */
    async function namesSeen(dir: string, work: () => Promise<unknown>): Promise<string[]> {
      const seen = new Set<string>();
      const watcher = watch(dir, (_event, name) => name && seen.add(String(name)));
      try {
        await work();
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        watcher.close();
      }
      return [...seen].sort();
    }
    const stage = await FileStage.create(stageRoot, plan, 'run-1');
    expect(await namesSeen(stage.dir, async () => stage.add(await handler.check(checkedCells('a'))))).toEqual(['a.txt']);
    await stage.remove();
    // Once removed or moved into place, the directory is no longer private.
    await mkdir(stage.dir);
    const moved = await FileStage.create(stageRoot, plan, 'run-2');
    await moved.add(await handler.check(checkedCells('b')));
    expect(await moved.moveInto(path.join(root, 'elsewhere'))).toBe(true);
    await mkdir(moved.dir);
    const source = path.join(root, 'ds', 'texts', 'b.txt');
    for (const dir of [stage.dir, moved.dir, plan.destination]) {
      await mkdir(dir, { recursive: true });
      const seen = await namesSeen(dir, () => copyInto(source, dir, 'b.txt', false));
      expect(seen).toContain('b.txt');
      expect(seen.filter((n) => n.endsWith('.partial'))).toHaveLength(1);
      expect(await listFiles(dir)).toEqual(['b.txt']);
    }
  });

  it('replaces an empty destination directory', async () => {
    const { plan, handler, stageRoot } = await setup({ 'a.txt': 'alpha' });
    await mkdir(plan.destination, { recursive: true });
    const stage = await FileStage.create(stageRoot, plan, 'run-1');
    await stage.add(await handler.check(checkedCells('a')));
    expect(await stage.moveInto(plan.destination)).toBe(true);
    expect(await listFiles(plan.destination)).toEqual(['a.txt']);
  });

  it('refuses to move onto a destination that holds files, leaving it as it was', async () => {
    const { plan, handler, stageRoot } = await setup({ 'a.txt': 'alpha' });
    await mkdir(plan.destination, { recursive: true });
    await writeFile(path.join(plan.destination, 'other.txt'), 'keep me');
    const stage = await FileStage.create(stageRoot, plan, 'run-1');
    await stage.add(await handler.check(checkedCells('a')));
    expect(await stage.moveInto(plan.destination)).toBe(false);
    expect(stage.complete).toBe(false);
    expect(await listFiles(plan.destination)).toEqual(['other.txt']);
    await stage.remove();
    expect(await exists(stage.dir)).toBe(false);
  });

  it('is abandoned, not failed, when a copy fails: the write pass then copies as usual', async () => {
    const { root, plan, handler, stageRoot } = await setup({ 'a.txt': 'alpha', 'b.txt': 'beta' });
    const stage = await FileStage.create(stageRoot, plan, 'run-1');
    await stage.add(await handler.check(checkedCells('a')));
    const b = await handler.check(checkedCells('b'));
    await rm(path.join(root, 'ds', 'texts', 'b.txt'));
    await expect(stage.add(b)).resolves.toBeUndefined();
    expect(stage.complete).toBe(false);
    // Later records are not copied any more, and nothing is moved.
    await stage.add(await handler.check(checkedCells('a')));
    expect(await stage.moveInto(plan.destination)).toBe(false);
    expect(await exists(plan.destination)).toBe(false);
  });

  it('removes what killed runs on the same table left, and only those', async () => {
    const { plan, stageRoot } = await setup({});
    await mkdir(path.join(stageRoot, 'notes_train.old-run'), { recursive: true });
    await writeFile(path.join(stageRoot, 'notes_train.old-run', 'x.txt'), 'left behind');
    await mkdir(path.join(stageRoot, 'other_table.run-9'), { recursive: true });
    const stage = await FileStage.create(stageRoot, plan, 'run-2');
    expect((await readdir(stageRoot)).sort()).toEqual(['notes_train.run-2', 'other_table.run-9']);
    expect(await readdir(stage.dir)).toEqual([]);
  });

  it('cannot be created where the volume refuses a directory (the run then copies in its write pass)', async () => {
    const { root, plan } = await setup({});
    await writeFile(path.join(root, 'not-a-directory'), '');
    await expect(FileStage.create(path.join(root, 'not-a-directory', 'stage'), plan, 'run-1')).rejects.toThrow();
  });
});
