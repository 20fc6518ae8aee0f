import { detectionFiles } from '../files/detection-files.js';
import type { CategoryRuntime } from './types.js';

/** object_detection: image + Pascal VOC annotation per row (one row per object allowed). */
export const OBJECT_DETECTION: CategoryRuntime = { extraColumns: [], createFileHandler: detectionFiles };
