import { keypointFiles } from '../files/keypoint-files.js';
import { ANNOTATION_COLUMN, checkKeypointCells, VISIBILITY_COLUMN } from './keypoint-cells.js';
import type { CategoryRuntime } from './types.js';

/** keypoint_detection: image + `Annotation`/`Visibility` JSON; the annotation goes to the `annotation` column. */
export const KEYPOINT_DETECTION: CategoryRuntime = {
  extraColumns: [ANNOTATION_COLUMN, VISIBILITY_COLUMN],
  checkCells: (extras) => checkKeypointCells(extras),
  createFileHandler: keypointFiles,
};
