import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { isLocalDisk, isNetworkFileSystem } from '../../src/files/local-disk.js';

describe('isLocalDisk', () => {
  it('knows network file systems by their statfs magic number', () => {
    for (const nfsLike of [0x6969, 0xff534d42, 0xfe534d42, 0x65735546, 0x00c36400]) expect(isNetworkFileSystem(nfsLike)).toBe(true);
    // ext4, xfs, btrfs, overlayfs, tmpfs
    for (const local of [0xef53, 0x58465342, 0x9123683e, 0x794c7630, 0x01021994]) expect(isNetworkFileSystem(local)).toBe(false);
  });

  it('says local for this machine\'s temporary directory, and network (the safe side) for what it cannot stat', async () => {
    expect(await isLocalDisk(tmpdir())).toBe(true);
    expect(await isLocalDisk('/no/such/directory')).toBe(false);
  });
});
