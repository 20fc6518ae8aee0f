import type { FileSetPlan, ImagePlan } from '../config/types.js';
import { IngestError } from '../errors.js';
import { destinationName } from './copy-tracker.js';
import { ImageFiles } from './file-handler.js';
import { realDirectory, resolveReference, type ResolvedFile } from './resolve-reference.js';
import { isLocalDisk } from './local-disk.js';
import type { RecordFiles } from './types.js';
import { ReferencedFiles } from './unreferenced.js';

/**
 * An image plus one companion file per record (a VOC annotation, a mask): the companion is resolved
 * inside its own directory, named in the destination after the image's stem, copied
 * both-or-neither with its image, and companions no record references are reported after the
 * check pass. Subclasses say where a record's companion is and how it is checked.
 */
export abstract class PairedImageFiles extends ImageFiles {
  private companionsDir = '';
  private readonly referenced: ReferencedFiles;

  constructor(
    images: ImagePlan,
    protected readonly companions: FileSetPlan,
    companionKind: string,
    destination: string,
  ) {
    super(images, destination);
    this.referenced = new ReferencedFiles(companions, companionKind);
  }

  /** Whether the companions' directory is on a local file system (see isLocalDisk). */
  protected companionsLocalDisk = false;

  /** The companion's name in the destination, from its image's stem. */
  protected abstract companionName(imageStem: string): string;

  override async open(): Promise<void> {
    await super.open();
    this.companionsDir = await realDirectory(this.companions);
    // Decided per directory: the companions may be on another file system than the images.
    this.companionsLocalDisk = await isLocalDisk(this.companionsDir);
    this.referenced.clear();
  }

  /** Resolves the companion of `image` and claims its destination name. */
  protected async withCompanion(image: ResolvedFile, companionReference: string): Promise<RecordFiles> {
    const companion = await resolveReference(companionReference, this.companions, this.companionsDir, this.companionsLocalDisk);
    this.tracker.claim(companion, this.companionName(image.stem));
    return { primary: image, all: [image, companion] };
  }

  /** The image and its companion of a record, noting the companion as referenced. */
  protected pairOf(files: RecordFiles, noteReferenced = false): [ResolvedFile, ResolvedFile] {
    const [image, companion] = files.all;
    if (image === undefined || companion === undefined) throw new IngestError('INTERNAL', 'a paired record lacks its companion file');
    if (noteReferenced) this.referenced.add(companion.path);
    return [image, companion];
  }

  override async copy(files: RecordFiles): Promise<void> {
    const [image, companion] = this.pairOf(files);
    await this.tracker.copyAllOrNone([
      [image, destinationName(image)],
      [companion, this.companionName(image.stem)],
    ]);
  }

  async afterCheck(): Promise<string[]> {
    const warning = await this.referenced.warning(this.companionsDir);
    return warning === null ? [] : [warning];
  }
}
