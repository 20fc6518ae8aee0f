import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { acquireTableLock, lockPath, LOCK_STALE_MS } from '../../src/run/table-lock.js';
import { IngestError } from '../../src/errors.js';
import { exists } from '../support/files.js';
import { tempDir } from '../support/tmp.js';

describe('table lock', () => {
  it('is created exclusively with the Python fleet body, and released', async () => {
    const root = await tempDir();
    const lock = await acquireTableLock(root, 'cars', 'run-a');
    const body = JSON.parse(await readFile(lockPath(root, 'cars'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['hostname', 'ingestor_id', 'pid', 'started_at', 'table_name']);
    expect(body).toMatchObject({ ingestor_id: 'run-a', table_name: 'cars', pid: process.pid, hostname: os.hostname() });
    expect(lock.path).toBe(`${root}/.tracebloc-ingest-cars.lock`);
    await lock.release();
    expect(await exists(lock.path)).toBe(false);
  });

  it('refuses while another live run holds it, naming that run', async () => {
    const root = await tempDir();
    await writeFile(
      lockPath(root, 'cars'),
      JSON.stringify({ ingestor_id: 'other', table_name: 'cars', pid: 1, hostname: 'another-pod', started_at: new Date().toISOString() }),
    );
    const err = (await acquireTableLock(root, 'cars', 'run-b').catch((e: unknown) => e)) as IngestError;
    expect(err.code).toBe('LOCKED');
    expect(err.errorClass).toBe('transient');
    expect(err.message).toContain('other');
    expect(JSON.parse(await readFile(lockPath(root, 'cars'), 'utf8'))).toMatchObject({ ingestor_id: 'other' });
  });

  it('takes over a lock older than 12 hours', async () => {
    const root = await tempDir();
    const old = new Date(Date.now() - LOCK_STALE_MS - 1000).toISOString();
    await writeFile(lockPath(root, 'cars'), JSON.stringify({ ingestor_id: 'old', table_name: 'cars', pid: 1, hostname: 'gone', started_at: old }));
    const lock = await acquireTableLock(root, 'cars', 'run-c');
    expect(JSON.parse(await readFile(lock.path, 'utf8'))).toMatchObject({ ingestor_id: 'run-c' });
    await lock.release();
  });

  it('takes over a lock left on this host by a process that is gone (a killed run)', async () => {
    const root = await tempDir();
    await writeFile(
      lockPath(root, 'cars'),
      JSON.stringify({ ingestor_id: 'killed', table_name: 'cars', pid: 2 ** 22 + 12345, hostname: os.hostname(), started_at: new Date().toISOString() }),
    );
    const lock = await acquireTableLock(root, 'cars', 'run-d');
    await lock.release();
  });

  it('takes over a lock of an earlier incarnation of this container (same host, same PID)', async () => {
    const root = await tempDir();
    await writeFile(
      lockPath(root, 'cars'),
      JSON.stringify({ ingestor_id: 'before-restart', table_name: 'cars', pid: process.pid, hostname: os.hostname(), started_at: new Date().toISOString() }),
    );
    const lock = await acquireTableLock(root, 'cars', 'run-e');
    await lock.release();
  });

  it('does not remove a lock that another run took over meanwhile', async () => {
    const root = await tempDir();
    const lock = await acquireTableLock(root, 'cars', 'run-f');
    await writeFile(lock.path, JSON.stringify({ ingestor_id: 'someone-else' }));
    await lock.release();
    expect(await exists(lock.path)).toBe(true);
  });
});
