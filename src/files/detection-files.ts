import type { FileSetPlan, ImagePlan, Plan } from '../config/types.js';
import { IngestError } from '../errors.js';
import type { CheckedCells } from '../records/record-checker.js';
import { checkImage } from './check-image.js';
import { destinationName } from './copy-tracker.js';
import { ImageFiles } from './file-handler.js';
import { RecentCache } from './recent-cache.js';
import { realDirectory, resolveReference, type ResolvedFile } from './resolve-reference.js';
import type { FileHandler, RecordFiles } from './types.js';
import { ReferencedFiles } from './unreferenced.js';
import { checkVocFitsImage, readVocAnnotation } from './voc-annotation.js';

/**
 * object_detection: each image has a Pascal VOC annotation `<annotations>/<stem>.xml`. Both are
 * checked (the annotation against the image's real size) and copied both-or-neither: the image as
 * `<stem><ext>`, the annotation as `annotations/<stem>.xml`. Many rows (one per object) may share
 * an image: it is checked and copied once.
 */
export class DetectionFiles extends ImageFiles {
  private annotationsDir = '';
  private readonly checked = new RecentCache<{ width: number; height: number }>();
  private readonly referenced: ReferencedFiles;

  constructor(
    images: ImagePlan,
    private readonly annotations: FileSetPlan,
    destination: string,
  ) {
    super(images, destination);
    this.referenced = new ReferencedFiles(annotations, 'annotation');
  }

  override async open(): Promise<void> {
    await super.open();
    this.annotationsDir = await realDirectory(this.annotations);
    this.checked.clear();
    this.referenced.clear();
  }

  override async resolve(record: CheckedCells): Promise<RecordFiles> {
    const { primary: image } = await super.resolve(record);
    const annotation = await resolveReference(`${image.stem}.xml`, this.annotations, this.annotationsDir);
    this.tracker.claim(annotation, annotationDestination(image.stem));
    return { primary: image, all: [image, annotation] };
  }

  override async check(record: CheckedCells): Promise<RecordFiles> {
    const files = await this.resolve(record);
    const [image, annotation] = files.all as [ResolvedFile, ResolvedFile];
    this.referenced.add(annotation.path);
    // Keyed by the pair: the same image always comes with the same annotation (its stem's).
    const size = await this.checked.get(`${image.path}\u0000${annotation.path}`, async () => {
      const [info, voc] = await Promise.all([checkImage(image, this.images), readVocAnnotation(annotation)]);
      checkVocFitsImage(voc, info.width, info.height, annotation.reference);
      return { width: info.width, height: info.height };
    });
    return { ...files, ...size };
  }

  override async copy(files: RecordFiles): Promise<void> {
    const [image, annotation] = files.all as [ResolvedFile, ResolvedFile];
    await this.tracker.copyAllOrNone([
      [image, destinationName(image)],
      [annotation, annotationDestination(image.stem)],
    ]);
  }

  async afterCheck(): Promise<string[]> {
    const warning = await this.referenced.warning(this.annotationsDir);
    return warning === null ? [] : [warning];
  }
}

export function detectionFiles(plan: Plan): FileHandler {
  const annotations = plan.fileSets.annotations;
  if (!plan.images || !annotations) throw new IngestError('INTERNAL', `${plan.category} needs images and annotations plans`);
  return new DetectionFiles(plan.images, annotations, plan.destination);
}

/** Where an image's annotation is copied, relative to the destination (copyInto creates the folder). */
function annotationDestination(stem: string): string {
  return `annotations/${stem}.xml`;
}
