import path from 'node:path';
import type { FileSetPlan } from '../config/types.js';
import { IngestError } from '../errors.js';
import { normaliseReference } from './resolve-reference.js';

/**
 * THE pairing rule of semantic segmentation, shared by the checks and the copy: a row's mask is
 * `<masks>/<mask_id>` (`.png` added when mask_id has no extension; any other extension is refused)
 * when mask_id is given, else
 * `<masks>/<stem>_mask.png` where `<stem>` is the image's file name without its extension.
 */
export function maskReferenceFor(imageReference: string, images: FileSetPlan, maskId: string | null): string {
  const id = maskId?.trim() ?? '';
  if (id !== '') return path.posix.extname(id) === '' ? `${id}.png` : id;
  return `${stemOf(normaliseReference(imageReference, images).relative)}_mask.png`;
}

/**
 * Where a mask is copied, relative to the destination: `masks/` plus its image's convention name,
 * whatever mask_id named it (mask_id is not stored, so the stem is what pairs them afterwards).
 */
export function maskDestinationName(imageStem: string): string {
  return `masks/${imageStem}_mask.png`;
}

function stemOf(relative: string): string {
  const base = path.posix.basename(relative);
  return base.slice(0, base.length - path.posix.extname(base).length);
}

/**
 * Keeps images and masks one-to-one over a pass: a mask already paired with another image, or an
 * image already paired with another mask, is an error naming the row that made the first pairing.
 * Works on the references as normalised inside their directories, synchronously, so the first
 * row in source order wins whatever order the file checks finish in.
 */
export class MaskPairing {
  private readonly maskOfImage = new Map<string, { mask: string; row: number }>();
  private readonly imageOfMask = new Map<string, { image: string; row: number }>();

  constructor(
    private readonly images: FileSetPlan,
    private readonly masks: FileSetPlan,
  ) {}

  clear(): void {
    this.maskOfImage.clear();
    this.imageOfMask.clear();
  }

  pair(imageReference: string, maskReference: string, row: number): void {
    const image = path.posix.normalize(normaliseReference(imageReference, this.images).relative);
    const mask = path.posix.normalize(normaliseReference(maskReference, this.masks).relative);
    const hadMask = this.maskOfImage.get(image);
    if (hadMask !== undefined && hadMask.mask !== mask) {
      throw new IngestError(
        'FILE_PAIRING',
        `the image already has the mask ${hadMask.mask} (row ${hadMask.row}); each image has exactly one mask`,
        { reference: maskReference },
      );
    }
    const hadImage = this.imageOfMask.get(mask);
    if (hadImage !== undefined && hadImage.image !== image) {
      throw new IngestError(
        'FILE_PAIRING',
        `the mask is already the mask of the image ${hadImage.image} (row ${hadImage.row}); each mask belongs to exactly one image`,
        { reference: maskReference },
      );
    }
    if (hadMask === undefined) this.maskOfImage.set(image, { mask, row });
    if (hadImage === undefined) this.imageOfMask.set(mask, { image, row });
  }
}
