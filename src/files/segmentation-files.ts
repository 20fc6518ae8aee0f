import type { FileSetPlan, ImagePlan, Plan } from '../config/types.js';
import { IngestError } from '../errors.js';
import type { CheckedCells } from '../records/record-checker.js';
import { checkImage } from './check-image.js';
import { referenceOf } from './file-handler.js';
import { MaskPairing, maskDestinationName, maskReferenceFor } from './mask-pairing.js';
import { PairedImageFiles } from './paired-image-files.js';
import type { FileHandler, RecordFiles } from './types.js';

/**
 * semantic_segmentation: each image has exactly one PNG mask of the same size (pairing rule in
 * mask-pairing.ts), copied both-or-neither: the image as `<stem><ext>`, the mask as
 * `masks/<stem>_mask.png`.
 */
export class SegmentationFiles extends PairedImageFiles {
  private readonly pairing: MaskPairing;
  private readonly maskPlan: ImagePlan;

  constructor(
    images: ImagePlan,
    masks: FileSetPlan,
    destination: string,
    /** Index of `mask_id` in the record's extras. */
    private readonly maskIdIndex: number,
  ) {
    super(images, masks, 'mask', destination);
    this.pairing = new MaskPairing(images, masks);
    // Masks are checked for format and pixel limit here, for size against their image below.
    this.maskPlan = { ...masks, targetSize: null, maxPixels: images.maxPixels, verify: images.verify };
  }

  protected companionName(stem: string): string {
    return maskDestinationName(stem);
  }

  override async open(): Promise<void> {
    await super.open();
    this.pairing.clear();
  }

  override async resolve(record: CheckedCells): Promise<RecordFiles> {
    // Synchronous part first: pairing in source order.
    const imageReference = referenceOf(record);
    const maskReference = maskReferenceFor(imageReference, this.images, record.extras[this.maskIdIndex] ?? null);
    this.pairing.pair(imageReference, maskReference, record.row);
    const { primary: image } = await super.resolve(record);
    return this.withCompanion(image, maskReference);
  }

  override async check(record: CheckedCells): Promise<RecordFiles> {
    const files = await this.resolve(record);
    const [image, mask] = this.pairOf(files, true);
    const [info, maskInfo] = await Promise.all([checkImage(image, this.images, this.localDisk), checkImage(mask, this.maskPlan, this.companionsLocalDisk)]);
    if (maskInfo.width !== info.width || maskInfo.height !== info.height) {
      throw new IngestError(
        'FILE_SIZE_MISMATCH',
        `the mask is ${maskInfo.width}x${maskInfo.height} but its image is ${info.width}x${info.height} (width x height); a mask must have its image's size`,
        { reference: mask.reference },
      );
    }
    return { ...files, width: info.width, height: info.height };
  }
}

export function segmentationFiles(plan: Plan, maskIdIndex: number): FileHandler {
  const masks = plan.fileSets.masks;
  if (!plan.images || !masks) throw new IngestError('INTERNAL', `${plan.category} needs images and masks plans`);
  return new SegmentationFiles(plan.images, masks, plan.destination, maskIdIndex);
}

