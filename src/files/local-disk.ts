import { statfs } from 'node:fs/promises';

/**
 * statfs f_type of network and FUSE file systems (Linux magic numbers): NFS, CIFS, SMB, SMB2,
 * FUSE (CephFS/GlusterFS/gcsfuse/s3fs clients), CephFS, Lustre, AFS, GPFS, 9p, BeeGFS.
 */
const NETWORK_FILE_SYSTEMS: ReadonlySet<number> = new Set([
  0x6969, 0xff534d42, 0x517b, 0xfe534d42, 0x65735546, 0x00c36400, 0x0bd00bd0, 0x5346414f, 0x47504653, 0x01021997, 0x19830326,
]);

/**
 * Whether `dir` is on a local file system (ext4, xfs, btrfs, overlay, tmpfs, a block-device PVC …),
 * where a small synchronous read costs microseconds and beats a round trip through libuv's thread
 * pool (measured: 40 vs 170–270 µs per image header). On a network file system (an RWX PVC on NFS,
 * CephFS …) each read may wait for the network, so it stays asynchronous and concurrent, and a
 * stalled server never blocks the event loop (signals, timers, MySQL and backend traffic). Unknown
 * counts as network.
 */
export async function isLocalDisk(dir: string): Promise<boolean> {
  try {
    const { type } = await statfs(dir);
    return !isNetworkFileSystem(type);
  } catch {
    return false;
  }
}

/** Whether a statfs f_type is one of NETWORK_FILE_SYSTEMS. */
export function isNetworkFileSystem(type: number): boolean {
  return NETWORK_FILE_SYSTEMS.has(Number(type) >>> 0);
}
