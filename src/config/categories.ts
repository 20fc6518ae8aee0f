import type { Category, Family, JsonValue } from './types.js';

/**
 * The conventions of each task category, as data. CATEGORIES.md is the source of truth;
 * a category is a row here plus the file checks its `files` entry names, never a subclass.
 */
export interface CategoryConvention {
  readonly family: Family;
  /** Whether this runtime can ingest it yet; unsupported categories fail at `validate`. */
  readonly supported: boolean;
  /** Default [width, height] for image categories (null: must be configured). */
  readonly defaultTargetSize: readonly [number, number] | null;
  /** Default extension of the referenced files. */
  readonly defaultExtension: string | null;
  /** Regression-class: the label policy must be stated and may be `bucket`. */
  readonly regression: boolean;
  /** The category has a label. */
  readonly labelled: boolean;
  /** What the ingestor does with referenced files. */
  readonly files: 'none' | 'images';
  /** `allow_feature_modification` in the dataset registration. */
  readonly allowFeatureModification: boolean;
  /** Extra `meta_data` keys fixed by the category. */
  readonly fixedMeta?: Readonly<Record<string, JsonValue>>;
}

const image = (
  defaultTargetSize: readonly [number, number] | null,
  defaultExtension: string,
  supported: boolean,
): CategoryConvention => ({
  family: 'image',
  supported,
  defaultTargetSize,
  defaultExtension,
  regression: false,
  labelled: true,
  files: 'images',
  allowFeatureModification: false,
});

const text = (labelled: boolean): CategoryConvention => ({
  family: 'text',
  supported: false,
  defaultTargetSize: null,
  defaultExtension: '.txt',
  regression: false,
  labelled,
  files: 'none',
  allowFeatureModification: false,
});

const tabular = (regression: boolean, allowFeatureModification = false): CategoryConvention => ({
  family: 'tabular',
  supported: true,
  defaultTargetSize: null,
  defaultExtension: null,
  regression,
  labelled: true,
  files: 'none',
  allowFeatureModification,
});

export const CATEGORIES: Readonly<Record<Category, CategoryConvention>> = {
  image_classification: image([256, 256], '.jpeg', true),
  object_detection: image([1920, 1080], '.jpg', false),
  keypoint_detection: image(null, '.jpg', false),
  semantic_segmentation: image([512, 512], '.jpg', false),
  instance_segmentation: image([512, 512], '.jpg', false),
  text_classification: text(true),
  token_classification: text(true),
  masked_language_modeling: text(false),
  tabular_classification: tabular(false, true),
  tabular_regression: tabular(true),
  time_series_forecasting: tabular(true),
  time_to_event_prediction: tabular(true),
};

export function conventionFor(category: Category): CategoryConvention {
  return CATEGORIES[category];
}
