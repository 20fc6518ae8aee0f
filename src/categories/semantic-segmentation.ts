import type { Plan } from '../config/types.js';
import { segmentationFiles } from '../files/segmentation-files.js';
import type { CategoryRuntime } from './types.js';

/** The column naming a row's mask; an empty cell means `<stem>_mask.png` (see files/mask-pairing.ts). */
export const MASK_ID_COLUMN = 'mask_id';

/** semantic_segmentation: image + one PNG mask of the same size per image. */
export const SEMANTIC_SEGMENTATION: CategoryRuntime = {
  extraColumns: [MASK_ID_COLUMN],
  createFileHandler: (plan: Plan) => segmentationFiles(plan, 0),
};
