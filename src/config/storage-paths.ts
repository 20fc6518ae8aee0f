import path from 'node:path';

/** The PVC mount point the platform uses in its configs. */
export const PLATFORM_MOUNT = '/data/shared';

/**
 * Maps a path written in ingest.yaml onto the storage root: `/data/shared/x` becomes `<root>/x`,
 * a relative path resolves against the root, any other absolute path is kept.
 * With the default root (`/data/shared`) this is the identity for platform configs.
 */
export function mapConfiguredPath(configured: string, storageRoot: string): string {
  const root = path.resolve(storageRoot);
  if (configured === PLATFORM_MOUNT || configured.startsWith(`${PLATFORM_MOUNT}/`)) {
    return path.join(root, configured.slice(PLATFORM_MOUNT.length));
  }
  return path.resolve(root, configured);
}
