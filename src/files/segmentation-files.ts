import type { FileSetPlan, ImagePlan, Plan } from '../config/types.js';
import { IngestError } from '../errors.js';
import type { CheckedCells } from '../records/record-checker.js';
import { checkImage } from './check-image.js';
import { destinationName } from './copy-tracker.js';
import { ImageFiles, referenceOf } from './file-handler.js';
import { MaskPairing, maskDestinationName, maskReferenceFor } from './mask-pairing.js';
import { realDirectory, resolveReference, type ResolvedFile } from './resolve-reference.js';
import type { FileHandler, RecordFiles } from './types.js';
import { ReferencedFiles } from './unreferenced.js';

/**
 * semantic_segmentation: each image has exactly one PNG mask of the same size (pairing rule in
 * mask-pairing.ts), copied both-or-neither: the image as `<stem><ext>`, the mask as
 * `masks/<stem>_mask.png`.
 */
export class SegmentationFiles extends ImageFiles {
  private masksDir = '';
  private readonly pairing: MaskPairing;
  private readonly referenced: ReferencedFiles;
  private readonly maskPlan: ImagePlan;

  constructor(
    images: ImagePlan,
    private readonly masks: FileSetPlan,
    destination: string,
    /** Index of `mask_id` in the record's extras. */
    private readonly maskIdIndex: number,
  ) {
    super(images, destination);
    this.pairing = new MaskPairing(images, masks);
    this.referenced = new ReferencedFiles(masks, 'mask');
    // Masks are checked for format and pixel limit here, for size against their image below.
    this.maskPlan = { ...masks, targetSize: null, maxPixels: images.maxPixels, verify: images.verify };
  }

  override async open(): Promise<void> {
    await super.open();
    this.masksDir = await realDirectory(this.masks);
    this.pairing.clear();
    this.referenced.clear();
  }

  override async resolve(record: CheckedCells): Promise<RecordFiles> {
    // Synchronous part first: pairing in source order.
    const imageReference = referenceOf(record);
    const maskReference = maskReferenceFor(imageReference, this.images, record.extras[this.maskIdIndex] ?? null);
    this.pairing.pair(imageReference, maskReference, record.row);
    const { primary: image } = await super.resolve(record);
    const mask = await resolveReference(maskReference, this.masks, this.masksDir);
    this.tracker.claim(mask, maskDestinationName(image.stem));
    return { primary: image, all: [image, mask] };
  }

  override async check(record: CheckedCells): Promise<RecordFiles> {
    const files = await this.resolve(record);
    const [image, mask] = files.all as [ResolvedFile, ResolvedFile];
    this.referenced.add(mask.path);
    const [info, maskInfo] = await Promise.all([checkImage(image, this.images), checkImage(mask, this.maskPlan)]);
    if (maskInfo.width !== info.width || maskInfo.height !== info.height) {
      throw new IngestError(
        'FILE_SIZE_MISMATCH',
        `the mask is ${maskInfo.width}x${maskInfo.height} but its image is ${info.width}x${info.height} (width x height); a mask must have its image's size`,
        { reference: mask.reference },
      );
    }
    return { ...files, width: info.width, height: info.height };
  }

  override async copy(files: RecordFiles): Promise<void> {
    const [image, mask] = files.all as [ResolvedFile, ResolvedFile];
    await this.tracker.copyAllOrNone([
      [image, destinationName(image)],
      [mask, maskDestinationName(image.stem)],
    ]);
  }

  async afterCheck(): Promise<string[]> {
    const warning = await this.referenced.warning(this.masksDir);
    return warning === null ? [] : [warning];
  }
}

export function segmentationFiles(plan: Plan, maskIdIndex: number): FileHandler {
  const masks = plan.fileSets.masks;
  if (!plan.images || !masks) throw new IngestError('INTERNAL', `${plan.category} needs images and masks plans`);
  return new SegmentationFiles(plan.images, masks, plan.destination, maskIdIndex);
}

