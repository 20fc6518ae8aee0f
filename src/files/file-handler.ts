import type { ImagePlan, Plan } from '../config/types.js';
import { IngestError } from '../errors.js';
import type { CheckedCells } from '../records/record-checker.js';
import { checkImage } from './check-image.js';
import { CopyTracker, destinationName } from './copy-tracker.js';
import { realDirectory, resolveReference } from './resolve-reference.js';
import { isLocalDisk } from './local-disk.js';
import type { FileHandler, RecordFiles } from './types.js';

/** One image per record (image_classification; the base of the other image categories). */
export class ImageFiles implements FileHandler {
  protected realDir = '';
  /** Whether the images are on a local file system: small reads are then synchronous (isLocalDisk). */
  protected localDisk = false;
  protected readonly tracker: CopyTracker;

  constructor(
    protected readonly images: ImagePlan,
    destination: string,
  ) {
    this.tracker = new CopyTracker(destination);
  }

  async open(): Promise<void> {
    this.realDir = await realDirectory(this.images);
    this.localDisk = await isLocalDisk(this.realDir);
    this.tracker.reset();
  }

  async check(record: CheckedCells): Promise<RecordFiles> {
    const files = await this.resolve(record);
    const info = await checkImage(files.primary, this.images, this.localDisk);
    return { ...files, width: info.width, height: info.height };
  }

  async resolve(record: CheckedCells): Promise<RecordFiles> {
    const file = await resolveReference(referenceOf(record), this.images, this.realDir, this.localDisk);
    this.tracker.claim(file, destinationName(file));
    return { primary: file, all: [file] };
  }

  async copy(files: RecordFiles): Promise<void> {
    await this.tracker.copyAllOrNone(files.all.map((f) => [f, destinationName(f)] as const));
  }
}

export function referenceOf(record: CheckedCells): string {
  if (record.fileReference === null) throw new IngestError('FILE_REFERENCE_INVALID', 'the file reference is empty');
  return record.fileReference;
}

export function imageFiles(plan: Plan): FileHandler {
  if (!plan.images) throw new IngestError('INTERNAL', `${plan.category} needs an images plan`);
  return new ImageFiles(plan.images, plan.destination);
}
