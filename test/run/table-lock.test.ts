import { readFile, stat, utimes, writeFile } from 'node:fs/promises';
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
    // The Python fleet's five fields, plus the heartbeat marker it ignores.
    expect(Object.keys(body).sort()).toEqual(['heartbeat_ms', 'hostname', 'ingestor_id', 'pid', 'started_at', 'table_name']);
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

  it('takes over a lock of ours on another host whose heartbeat stopped (a killed or evicted pod)', async () => {
    const root = await tempDir();
    const file = lockPath(root, 'cars');
    await writeFile(file, JSON.stringify({ ingestor_id: 'evicted', table_name: 'cars', pid: 1, hostname: 'old-pod', started_at: new Date().toISOString(), heartbeat_ms: 1000 }));
    const old = new Date(Date.now() - 10_000);
    await utimes(file, old, old);
    const lock = await acquireTableLock(root, 'cars', 'run-g');
    await lock.release();
  });

  it('keeps its own lock fresh while it runs, so others see it alive', async () => {
    const root = await tempDir();
    const lock = await acquireTableLock(root, 'cars', 'run-h', { heartbeatMs: 50 });
    const old = new Date(Date.now() - 10_000);
    await utimes(lock.path, old, old);
    await new Promise((r) => setTimeout(r, 150));
    expect(Date.now() - (await stat(lock.path)).mtimeMs).toBeLessThan(1000);
    const err = (await acquireTableLock(root, 'cars', 'run-i').catch((e: unknown) => e)) as IngestError;
    expect(err.code).toBe('LOCKED');
    await lock.release();
  });

  it('a Python lock on another host is honoured for 12 hours, however old its mtime', async () => {
    const root = await tempDir();
    const file = lockPath(root, 'cars');
    await writeFile(file, JSON.stringify({ ingestor_id: 'python', table_name: 'cars', pid: 7, hostname: 'py-pod', started_at: new Date(Date.now() - 3_600_000).toISOString() }));
    const old = new Date(Date.now() - 3_600_000);
    await utimes(file, old, old);
    const err = (await acquireTableLock(root, 'cars', 'run-j').catch((e: unknown) => e)) as IngestError;
    expect(err.code).toBe('LOCKED');
  });

  it('two runs racing for the same stale lock: exactly one gets it', async () => {
    for (let round = 0; round < 20; round++) {
      const root = await tempDir();
      const old = new Date(Date.now() - LOCK_STALE_MS - 1000).toISOString();
      await writeFile(lockPath(root, 'cars'), JSON.stringify({ ingestor_id: 'old', table_name: 'cars', pid: 1, hostname: 'gone', started_at: old }));
      const results = await Promise.allSettled([acquireTableLock(root, 'cars', 'a'), acquireTableLock(root, 'cars', 'b')]);
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won.length).toBeLessThanOrEqual(1);
      for (const r of won) await (r as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireTableLock>>>).value.release();
    }
  });

  it('a long run of ours keeps its lock past 12 hours while its heartbeat lives', async () => {
    const root = await tempDir();
    const file = lockPath(root, 'cars');
    const long = new Date(Date.now() - LOCK_STALE_MS - 3_600_000).toISOString();
    await writeFile(file, JSON.stringify({ ingestor_id: 'marathon', table_name: 'cars', pid: 1, hostname: 'busy-pod', started_at: long, heartbeat_ms: 30_000 }));
    const err = (await acquireTableLock(root, 'cars', 'run-k').catch((e: unknown) => e)) as IngestError;
    expect(err.code).toBe('LOCKED');
  });
});
