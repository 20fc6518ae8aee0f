import { open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IngestError } from '../errors.js';

/** A lock older than this is stale, whoever holds it (PLATFORM.md §3; the Python ingestor's rule). */
export const LOCK_STALE_MS = 12 * 60 * 60 * 1000;

/** The lock file body, exactly as the Python ingestor writes it (both may run side by side). */
export interface LockBody {
  ingestor_id: string;
  table_name: string;
  pid: number;
  hostname: string;
  started_at: string;
}

export function lockPath(storageRoot: string, table: string): string {
  return path.join(storageRoot, `.tracebloc-ingest-${table}.lock`);
}

export interface TableLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Takes `/data/shared/.tracebloc-ingest-<table>.lock` with O_EXCL. An existing lock is taken over
 * only when it is stale: older than 12 h, or left on this host by a process that is gone — or by
 * an earlier incarnation of this container (same host, same PID, not us: a restarted PID 1).
 */
export async function acquireTableLock(
  storageRoot: string,
  table: string,
  ingestorId: string,
  now: () => number = Date.now,
): Promise<TableLock> {
  const file = lockPath(storageRoot, table);
  const body: LockBody = {
    ingestor_id: ingestorId,
    table_name: table,
    pid: process.pid,
    hostname: os.hostname(),
    started_at: new Date(now()).toISOString(),
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      try {
        await handle.writeFile(JSON.stringify(body));
      } finally {
        await handle.close();
      }
      let released = false;
      return {
        path: file,
        release: async () => {
          if (released) return;
          released = true;
          // Remove it only while it is still ours.
          const current = await readLock(file);
          if (current?.ingestor_id === ingestorId) await rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new IngestError('LOCKED', `cannot create the table lock (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
          file,
        });
      }
    }
    const holder = await readLock(file);
    const stale = await isStale(file, holder, now());
    if (!stale) {
      throw new IngestError(
        'LOCKED',
        `table ${table} is being ingested by another run (ingestor ${holder?.ingestor_id ?? 'unknown'} on ${holder?.hostname ?? 'unknown host'} since ${holder?.started_at ?? 'unknown'}); retry when it has finished`,
        { file },
      );
    }
    await rm(file, { force: true });
  }
  throw new IngestError('LOCKED', 'the table lock keeps changing hands; retry later', { file });
}

async function readLock(file: string): Promise<Partial<LockBody> | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Partial<LockBody>) : {};
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : {};
  }
}

async function isStale(file: string, holder: Partial<LockBody> | null, now: number): Promise<boolean> {
  if (holder === null) return true; // vanished meanwhile
  const started = Date.parse(holder.started_at ?? '');
  const age = now - (Number.isFinite(started) ? started : await mtime(file));
  if (age > LOCK_STALE_MS) return true;
  if (holder.hostname !== os.hostname() || typeof holder.pid !== 'number') return false;
  if (holder.pid === process.pid) return true; // an earlier incarnation of this container
  return !isAlive(holder.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function mtime(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}
