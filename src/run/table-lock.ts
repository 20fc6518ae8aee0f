import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IngestError } from '../errors.js';

/** A lock older than this is stale, whoever holds it (PLATFORM.md §3; the Python ingestor's rule). */
export const LOCK_STALE_MS = 12 * 60 * 60 * 1000;
/** Our locks are touched this often while the run lives… */
export const HEARTBEAT_MS = 30_000;
/** …so one of ours untouched for this long belongs to a run that is gone (killed, evicted pod). */
export const HEARTBEAT_STALE_MS = 4 * HEARTBEAT_MS;

/**
 * The lock file body. The first five fields are exactly the Python ingestor's (both fleets may run
 * side by side and read each other's locks); `heartbeat_ms` marks a lock whose mtime is kept fresh.
 */
export interface LockBody {
  ingestor_id: string;
  table_name: string;
  pid: number;
  hostname: string;
  started_at: string;
  heartbeat_ms?: number;
}

/**
 * Locks this process holds (or is creating), as `file` + ingestor id: a lock with our host and
 * PID is an earlier incarnation's only if it is not one of these.
 */
const heldHere = new Set<string>();
const heldKey = (file: string, ingestorId: string | undefined) => `${file}\u0000${ingestorId ?? ''}`;

export function lockPath(storageRoot: string, table: string): string {
  return path.join(storageRoot, `.tracebloc-ingest-${table}.lock`);
}

export interface TableLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface LockOptions {
  now?: () => number;
  heartbeatMs?: number;
}

/**
 * Takes `/data/shared/.tracebloc-ingest-<table>.lock`, created atomically with its body (written to
 * a private file, then hard-linked into place: never an empty lock). An existing lock is taken over
 * only when stale: older than 12 h; or one of ours whose heartbeat stopped (a killed pod, on any
 * host); or left on this host by a process that is gone, or by an earlier incarnation of this
 * container (same host, same PID: a restarted PID 1). Take-overs are serialised by a second
 * O_EXCL file, so two runs can never both take over the same stale lock.
 */
export async function acquireTableLock(
  storageRoot: string,
  table: string,
  ingestorId: string,
  options: LockOptions = {},
): Promise<TableLock> {
  const now = options.now ?? Date.now;
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const file = lockPath(storageRoot, table);
  const body: LockBody = {
    ingestor_id: ingestorId,
    table_name: table,
    pid: process.pid,
    hostname: os.hostname(),
    started_at: new Date(now()).toISOString(),
    heartbeat_ms: heartbeatMs,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createWithBody(file, body)) return held(file, ingestorId, heartbeatMs);
    const holder = await readLock(file);
    if (holder === null) continue; // released meanwhile: try to create it again
    if (!(await isStale(file, holder, now()))) {
      throw new IngestError(
        'LOCKED',
        `table ${table} is being ingested by another run (ingestor ${holder?.ingestor_id ?? 'unknown'} on ${holder?.hostname ?? 'unknown host'} since ${holder?.started_at ?? 'unknown'}); retry when it has finished`,
        { file },
      );
    }
    await takeOver(file, holder, now);
  }
  throw new IngestError('LOCKED', 'the table lock keeps changing hands; retry later', { file });
}

async function createWithBody(file: string, body: LockBody): Promise<boolean> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.new`;
  // Counted as ours from the moment it may exist, so this process never judges it stale.
  heldHere.add(heldKey(file, body.ingestor_id));
  try {
    await writeFile(temporary, JSON.stringify(body), { mode: 0o644 });
    await link(temporary, file);
    return true;
  } catch (err) {
    heldHere.delete(heldKey(file, body.ingestor_id));
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    throw new IngestError('LOCKED', `cannot create the table lock (${code ?? 'error'})`, { file });
  } finally {
    await rm(temporary, { force: true });
  }
}

function held(file: string, ingestorId: string, heartbeatMs: number): TableLock {
  const timer = setInterval(() => {
    const t = new Date();
    utimes(file, t, t).catch(() => undefined);
  }, heartbeatMs);
  timer.unref();
  let released = false;
  return {
    path: file,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      heldHere.delete(heldKey(file, ingestorId));
      // Remove it only while it is still ours: move it aside atomically, check whose it was, and
      // put back a lock that another run took over meanwhile.
      const aside = `${file}.${randomBytes(6).toString('hex')}.released`;
      try {
        await rename(file, aside);
      } catch {
        return; // already gone
      }
      const moved = await readLock(aside);
      if (moved?.ingestor_id !== ingestorId) await link(aside, file).catch(() => undefined);
      await rm(aside, { force: true });
    },
  };
}

/** Removes a stale lock, unless someone else replaced it meanwhile; one taker at a time. */
async function takeOver(file: string, stale: Partial<LockBody> | null, now: () => number): Promise<void> {
  const guard = `${file}.takeover`;
  let handle;
  try {
    handle = await open(guard, 'wx', 0o644);
  } catch {
    // Another run is taking over right now; a guard left by a dead taker expires after a minute.
    if (now() - (await mtime(guard)) > 60_000) await rm(guard, { force: true });
    return;
  }
  try {
    // Move the lock aside (atomic), then make sure it was the stale one; a fresh lock created in
    // the meantime is put back.
    const aside = `${file}.${randomBytes(6).toString('hex')}.stale`;
    try {
      await rename(file, aside);
    } catch {
      return; // gone already
    }
    const moved = await readLock(aside);
    if (JSON.stringify(moved) !== JSON.stringify(stale)) await link(aside, file).catch(() => undefined);
    await rm(aside, { force: true });
  } finally {
    await handle.close();
    await rm(guard, { force: true });
  }
}

async function readLock(file: string): Promise<Partial<LockBody> | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Partial<LockBody>) : {};
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : {};
  }
}

async function isStale(file: string, holder: Partial<LockBody>, now: number): Promise<boolean> {
  const touched = await mtime(file);
  const heartbeat = holder.heartbeat_ms;
  if (typeof heartbeat === 'number' && heartbeat > 0) {
    // One of ours: alive exactly as long as its heartbeat, however long the run takes.
    if (now - touched > 4 * heartbeat) return true;
  } else {
    const started = Date.parse(holder.started_at ?? '');
    if (now - (Number.isFinite(started) ? started : touched) > LOCK_STALE_MS) return true;
  }
  if (holder.hostname !== os.hostname() || typeof holder.pid !== 'number') return false;
  if (holder.pid === process.pid) return !heldHere.has(heldKey(file, holder.ingestor_id)); // an earlier incarnation of this container
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
