import type { Category } from '../config/types.js';
import { imageFiles } from '../files/file-handler.js';
import type { CategoryRuntime } from './types.js';

const TABULAR: CategoryRuntime = { extraColumns: [] };
const IMAGE_CLASSIFICATION: CategoryRuntime = { extraColumns: [], createFileHandler: imageFiles };

/**
 * The runtime of each category this version ingests. A category missing here is refused at
 * `validate` (config/categories.ts marks it unsupported).
 */
export const RUNTIMES: Partial<Record<Category, CategoryRuntime>> = {
  tabular_classification: TABULAR,
  tabular_regression: TABULAR,
  time_series_forecasting: TABULAR,
  time_to_event_prediction: TABULAR,
  image_classification: IMAGE_CLASSIFICATION,
};

export function runtimeFor(category: Category): CategoryRuntime {
  return RUNTIMES[category] ?? TABULAR;
}
