import path from 'node:path';
import { IngestError } from '../errors.js';
import type { ImagePlan, Plan } from '../config/types.js';
import { checkImage } from './check-image.js';
import { copyInto } from './destination.js';
import { realDirectory, resolveReference, type ResolvedFile } from './resolve-reference.js';

/**
 * The file side of a record, for categories that reference files: resolve the reference inside its
 * directory, check the content (pass 1), copy it once into the destination (pass 2).
 * The same resolution serves both passes, so they cannot disagree.
 */
export interface FileHandler {
  /** Resolves the configured directories; call once per pass. */
  open(): Promise<void>;
  /** Resolves the reference and checks the file's content. */
  check(reference: string): Promise<ResolvedFile>;
  /** Resolves the reference only (the write pass; content was checked by the check pass). */
  resolve(reference: string): Promise<ResolvedFile>;
  /** Copies the file unless an earlier record already copied it. */
  copy(file: ResolvedFile): Promise<void>;
  /** The name a file gets in the destination. */
  destinationName(file: ResolvedFile): string;
}

export function fileHandlerFor(plan: Plan): FileHandler | null {
  if (plan.images) return new ImageFiles(plan.images, plan.destination);
  return null;
}

class ImageFiles implements FileHandler {
  private realDir = '';
  /** destination name → source path: one source per name; a repeated source is copied once. */
  private readonly names = new Map<string, string>();
  private readonly copied = new Set<string>();

  constructor(
    private readonly plan: ImagePlan,
    private readonly destination: string,
  ) {}

  async open(): Promise<void> {
    this.realDir = await realDirectory(this.plan);
    this.names.clear();
    this.copied.clear();
  }

  async check(reference: string): Promise<ResolvedFile> {
    const file = await this.resolve(reference);
    await checkImage(file, this.plan);
    return file;
  }

  async resolve(reference: string): Promise<ResolvedFile> {
    const file = await resolveReference(reference, this.plan, this.realDir);
    const name = this.destinationName(file);
    const claimed = this.names.get(name);
    if (claimed === undefined) this.names.set(name, file.path);
    else if (claimed !== file.path) {
      throw new IngestError(
        'FILE_NAME_COLLISION',
        `two different files would be copied as ${name}; file names must be unique across subdirectories`,
        { reference },
      );
    }
    return file;
  }

  async copy(file: ResolvedFile): Promise<void> {
    const name = this.destinationName(file);
    if (this.copied.has(name)) return;
    this.copied.add(name);
    await copyInto(file.path, this.destination, name);
  }

  destinationName(file: ResolvedFile): string {
    return file.stem + path.extname(file.path).toLowerCase();
  }
}
