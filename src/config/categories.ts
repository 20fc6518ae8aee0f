import type { Category, Family, JsonValue } from './types.js';

/**
 * The conventions of each task category, as data. CATEGORIES.md is the source of truth;
 * a category is a row here plus the file checks its `files` entry names, never a subclass.
 */
export interface CategoryConvention {
  readonly family: Family;
  /** Default [width, height] for image categories (null: must be configured). */
  readonly defaultTargetSize: readonly [number, number] | null;
  /** Default extension of the referenced files. */
  readonly defaultExtension: string | null;
  /** Regression-class: the label policy must be stated and may be `bucket`. */
  readonly regression: boolean;
  /** The category has a label. */
  readonly labelled: boolean;
  /** Records reference files through the `filename` column. */
  readonly referencesFiles: boolean;
  /** `allow_feature_modification` in the dataset registration. */
  readonly allowFeatureModification: boolean;
  /** Extra `meta_data` keys fixed by the category. */
  readonly fixedMeta?: Readonly<Record<string, JsonValue>>;
}

const image = (defaultTargetSize: readonly [number, number] | null, defaultExtension: string): CategoryConvention => ({
  family: 'image',
  defaultTargetSize,
  defaultExtension,
  regression: false,
  labelled: true,
  referencesFiles: true,
  allowFeatureModification: false,
});

const text = (labelled: boolean): CategoryConvention => ({
  family: 'text',
  defaultTargetSize: null,
  defaultExtension: '.txt',
  regression: false,
  labelled,
  referencesFiles: true,
  allowFeatureModification: false,
});

const tabular = (regression: boolean, allowFeatureModification = false): CategoryConvention => ({
  family: 'tabular',
  defaultTargetSize: null,
  defaultExtension: null,
  regression,
  labelled: true,
  referencesFiles: false,
  allowFeatureModification,
});

export const CATEGORIES: Readonly<Record<Category, CategoryConvention>> = {
  image_classification: image([256, 256], '.jpeg'),
  object_detection: image([1920, 1080], '.jpg'),
  keypoint_detection: image(null, '.jpg'),
  semantic_segmentation: image([512, 512], '.jpg'),
  instance_segmentation: image([512, 512], '.jpg'),
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
