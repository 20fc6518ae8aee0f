import type { ImagePlan, Plan } from '../config/types.js';
import { IngestError } from '../errors.js';
import { ANNOTATION_COLUMN, parseAnnotation, type Keypoint } from '../categories/keypoint-cells.js';
import type { CheckedCells } from '../records/record-checker.js';
import { ImageFiles } from './file-handler.js';
import type { FileHandler, RecordFiles } from './types.js';

/**
 * keypoint_detection: one image per row (copied like image_classification) plus the checks of the
 * `Annotation` that need the plan, the other rows or the image: exactly `number_of_keypoints`
 * points, the same names as the first row, every point inside the image (pixel coordinates, or
 * normalised ones in 0..1, which are inside by construction).
 */
export class KeypointFiles extends ImageFiles {
  /** The keypoint names of the first row of this pass (sorted, joined), for the cross-row check. */
  private first: { row: number; names: string } | null = null;

  constructor(
    images: ImagePlan,
    destination: string,
    private readonly expected: number,
  ) {
    super(images, destination);
  }

  override async open(): Promise<void> {
    await super.open();
    this.first = null;
  }

  override async resolve(record: CheckedCells): Promise<RecordFiles> {
    // Synchronous, before any await: the cross-row check sees the rows in source order.
    this.checkCountAndNames(record);
    return super.resolve(record);
  }

  override async check(record: CheckedCells): Promise<RecordFiles> {
    const files = await super.check(record);
    const width = files.width ?? 0;
    const height = files.height ?? 0;
    const outside = pointsOf(record).findIndex((p) => p.x > width || p.y > height);
    if (outside >= 0) {
      throw new IngestError('ANNOTATION_INVALID', `keypoint ${outside + 1} of ${ANNOTATION_COLUMN} lies outside its ${width}x${height} image`, {
        field: ANNOTATION_COLUMN,
      });
    }
    return files;
  }

  private checkCountAndNames(record: CheckedCells): void {
    const points = pointsOf(record);
    if (points.length !== this.expected) {
      throw new IngestError(
        'ANNOTATION_INVALID',
        `${ANNOTATION_COLUMN} has ${points.length} keypoint${points.length === 1 ? '' : 's'}; number_of_keypoints is ${this.expected}`,
        { field: ANNOTATION_COLUMN },
      );
    }
    const names = points
      .map((p) => p.name)
      .sort()
      .join('\u0000');
    if (this.first === null) this.first = { row: record.row, names };
    else if (this.first.names !== names) {
      throw new IngestError(
        'ANNOTATION_INVALID',
        `the keypoint names of ${ANNOTATION_COLUMN} differ from those of row ${this.first.row}; every row must use the same names`,
        { field: ANNOTATION_COLUMN },
      );
    }
  }
}

function pointsOf(record: CheckedCells): Keypoint[] {
  const parsed = parseAnnotation(record.annotation);
  if (typeof parsed === 'string') throw new IngestError('ANNOTATION_INVALID', parsed, { field: ANNOTATION_COLUMN });
  return parsed.points;
}

export function keypointFiles(plan: Plan): FileHandler {
  if (!plan.images || plan.numberOfKeypoints === null) {
    throw new IngestError('INTERNAL', `${plan.category} needs an images plan and number_of_keypoints`);
  }
  return new KeypointFiles(plan.images, plan.destination, plan.numberOfKeypoints);
}
