import type { Category } from '../config/types.js';
import { imageFiles } from '../files/file-handler.js';
import type { CategoryRuntime } from './types.js';
import { TEXT_CLASSIFICATION } from './text-classification.js';
import { TOKEN_CLASSIFICATION } from './token-classification.js';
import { MASKED_LANGUAGE_MODELING } from './masked-language-modeling.js';
import { OBJECT_DETECTION } from './object-detection.js';
import { KEYPOINT_DETECTION } from './keypoint-detection.js';
import { SEMANTIC_SEGMENTATION } from './semantic-segmentation.js';

const TABULAR: CategoryRuntime = { extraColumns: [] };
const IMAGE_CLASSIFICATION: CategoryRuntime = { extraColumns: [], createFileHandler: imageFiles };

/**
 * The runtime of each category this version ingests. A category missing here is refused at
 * `validate`: as "not supported yet", or with its reason when it is in REFUSED_CATEGORIES.
 */
export const RUNTIMES: Partial<Record<Category, CategoryRuntime>> = {
  tabular_classification: TABULAR,
  tabular_regression: TABULAR,
  time_series_forecasting: TABULAR,
  time_to_event_prediction: TABULAR,
  image_classification: IMAGE_CLASSIFICATION,
  object_detection: OBJECT_DETECTION,
  keypoint_detection: KEYPOINT_DETECTION,
  semantic_segmentation: SEMANTIC_SEGMENTATION,
  // instance_segmentation is refused on purpose: see ./refused.ts.
  text_classification: TEXT_CLASSIFICATION,
  token_classification: TOKEN_CLASSIFICATION,
  masked_language_modeling: MASKED_LANGUAGE_MODELING,
};

export function runtimeFor(category: Category): CategoryRuntime {
  return RUNTIMES[category] ?? TABULAR;
}
