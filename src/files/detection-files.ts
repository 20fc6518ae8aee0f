import type { FileSetPlan, ImagePlan, Plan } from '../config/types.js';
import { IngestError } from '../errors.js';
import type { CheckedCells } from '../records/record-checker.js';
import { checkImage } from './check-image.js';
import { PairedImageFiles } from './paired-image-files.js';
import { RecentCache } from './recent-cache.js';
import type { FileHandler, RecordFiles } from './types.js';
import { checkVocFitsImage, readVocAnnotation } from './voc-annotation.js';

/**
 * object_detection: each image has a Pascal VOC annotation `<annotations>/<stem>.xml`. Both are
 * checked (the annotation against the image's real size) and copied both-or-neither: the image as
 * `<stem><ext>`, the annotation as `annotations/<stem>.xml`. Many rows (one per object) may share
 * an image: it is checked and copied once.
 */
export class DetectionFiles extends PairedImageFiles {
  private readonly checked = new RecentCache<{ width: number; height: number }>();

  constructor(images: ImagePlan, annotations: FileSetPlan, destination: string) {
    super(images, annotations, 'annotation', destination);
  }

  protected companionName(stem: string): string {
    return `annotations/${stem}.xml`;
  }

  override async open(): Promise<void> {
    await super.open();
    this.checked.clear();
  }

  override async resolve(record: CheckedCells): Promise<RecordFiles> {
    const { primary: image } = await super.resolve(record);
    return this.withCompanion(image, `${image.stem}.xml`);
  }

  override async check(record: CheckedCells): Promise<RecordFiles> {
    const files = await this.resolve(record);
    const [image, annotation] = this.pairOf(files, true);
    // Keyed by the pair: the same image always comes with the same annotation (its stem's).
    const size = await this.checked.get(`${image.path}\u0000${annotation.path}`, async () => {
      const [info, voc] = await Promise.all([checkImage(image, this.images, this.localDisk), readVocAnnotation(annotation)]);
      checkVocFitsImage(voc, info.width, info.height, annotation.reference);
      return { width: info.width, height: info.height };
    });
    return { ...files, ...size };
  }
}

export function detectionFiles(plan: Plan): FileHandler {
  const annotations = plan.fileSets.annotations;
  if (!plan.images || !annotations) throw new IngestError('INTERNAL', `${plan.category} needs images and annotations plans`);
  return new DetectionFiles(plan.images, annotations, plan.destination);
}
