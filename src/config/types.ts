/**
 * The two shapes of a configuration: `IngestConfig` is the ingest.yaml as the customer wrote it
 * (after schema validation), `Plan` is the frozen, fully resolved description of one run.
 * Every later stage reads only the Plan.
 */

export type Category =
  | 'image_classification'
  | 'object_detection'
  | 'keypoint_detection'
  | 'semantic_segmentation'
  | 'instance_segmentation'
  | 'text_classification'
  | 'token_classification'
  | 'masked_language_modeling'
  | 'tabular_classification'
  | 'tabular_regression'
  | 'time_series_forecasting'
  | 'time_to_event_prediction';

export type Family = 'image' | 'text' | 'tabular';
export type Intent = 'train' | 'test';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** ingest.yaml `label` in object form. */
export interface LabelConfig {
  column: string;
  policy?: 'passthrough' | 'bucket';
  strategy?: 'quantile' | 'equal_width';
  bins?: number;
  min_bucket_size?: number;
}

export interface ProcessorConfig {
  script: string;
  class: string;
  args?: Record<string, JsonValue>;
}

/** The ingest.yaml document, as accepted by schemas/ingest.v1.json. */
export interface IngestConfig {
  apiVersion: 'tracebloc.io/v1';
  kind: 'IngestConfig';
  category: Category;
  table: string;
  intent: Intent;
  csv?: string;
  json?: string;
  images?: string;
  annotations?: string;
  masks?: string;
  texts?: string;
  sequences?: string;
  label?: string | LabelConfig;
  schema?: Record<string, string>;
  time_column?: string;
  target_size?: [number, number];
  number_of_keypoints?: number;
  data_id?: { strategy: 'uuid' | 'column'; column?: string };
  spec?: {
    csv_options?: { chunk_size?: number; delimiter?: string; quotechar?: string; escapechar?: string };
    file_options?: { target_size?: [number, number]; extension?: string; [key: string]: JsonValue | undefined };
    validators?: string[];
    sidecars?: JsonValue[];
    processors?: ProcessorConfig[];
    on_invalid_row?: 'fail' | 'quarantine';
    max_invalid_rows?: number | string;
  };
}

/** A parsed SQL column type. `sql` is the canonical spelling used in DDL and sent to the backend. */
export type SqlType =
  | { kind: 'int'; name: 'TINYINT' | 'SMALLINT' | 'MEDIUMINT' | 'INT' | 'BIGINT'; unsigned: boolean; sql: string }
  | { kind: 'float'; name: 'FLOAT' | 'DOUBLE'; unsigned: boolean; sql: string }
  | { kind: 'decimal'; precision: number; scale: number; unsigned: boolean; sql: string }
  | { kind: 'boolean'; sql: string }
  | { kind: 'date'; sql: string }
  | { kind: 'datetime'; fsp: number; sql: string }
  | { kind: 'timestamp'; fsp: number; sql: string }
  | { kind: 'time'; fsp: number; sql: string }
  | { kind: 'char'; length: number; sql: string }
  | { kind: 'varchar'; length: number; sql: string }
  | { kind: 'text'; name: 'TINYTEXT' | 'TEXT' | 'MEDIUMTEXT' | 'LONGTEXT'; maxBytes: number; sql: string };

export interface ColumnPlan {
  /** Name as declared in `schema:` (and as it appears in the source header). */
  readonly name: string;
  readonly type: SqlType;
}

export type LabelPlan =
  | { readonly column: string; readonly policy: 'passthrough' }
  | {
      readonly column: string;
      readonly policy: 'bucket';
      readonly strategy: 'quantile' | 'equal_width';
      readonly bins: number;
      readonly minBucketSize: number;
    };

export type DataIdPlan = { readonly strategy: 'uuid' } | { readonly strategy: 'column'; readonly column: string };

export type FileSetName = 'annotations' | 'masks' | 'texts' | 'sequences';

/** A directory of files referenced by a source column. */
export interface FileSetPlan {
  /** Absolute directory on disk (after storage-root mapping). */
  readonly dir: string;
  /** The directory as written in the YAML (for messages). */
  readonly configured: string;
  /** Allowed extension with its dot, lower case. */
  readonly extension: string;
}

export interface ImagePlan extends FileSetPlan {
  /** [width, height] every image must have, or null when any size is accepted. */
  readonly targetSize: readonly [number, number] | null;
  /** Refuse images with more pixels than this (decompression bombs). */
  readonly maxPixels: number;
  /** `header` (default): header, format, size and end marker. `decode`: also decode every pixel. */
  readonly verify: 'header' | 'decode';
}

export interface SourcePlan {
  readonly kind: 'csv' | 'json';
  /** Absolute path on disk. */
  readonly path: string;
  /** The path as written in the YAML. */
  readonly configured: string;
  readonly delimiter: string;
  readonly quote: string;
  /** Escape character inside quoted fields; equals `quote` for RFC 4180 (the default). */
  readonly escape: string;
}

export interface Plan {
  /** Path of the ingest.yaml, for messages. */
  readonly configPath: string;
  /** sha256 of the YAML text, hex. */
  readonly configHash: string;
  readonly category: Category;
  readonly family: Family;
  /** `data_format` sent to `prepare`. */
  readonly dataFormat: Family;
  readonly table: string;
  readonly intent: Intent;
  readonly source: SourcePlan;
  /** Declared feature columns in declaration order (tabular family; empty otherwise). */
  readonly columns: readonly ColumnPlan[];
  readonly label: LabelPlan | null;
  readonly dataId: DataIdPlan;
  /** Image files (image family). */
  readonly images: ImagePlan | null;
  /** Other directories of referenced files, as configured (annotations, masks, texts, sequences). */
  readonly fileSets: Readonly<Partial<Record<FileSetName, FileSetPlan>>>;
  /** Column holding the file reference for file categories. */
  readonly filenameColumn: string | null;
  /** time_to_event_prediction: the time column. */
  readonly timeColumn: string | null;
  /** keypoint_detection: keypoints per record (`number_of_keypoints`); null otherwise. */
  readonly numberOfKeypoints: number | null;
  /** Whether the label column needs TEXT instead of VARCHAR(255). */
  readonly longLabel: boolean;
  /** `meta_data` of the global_metadata call, before the label policy is added. */
  readonly metaData: Readonly<Record<string, JsonValue>>;
  /** Whether the edge-labels call is made (not for masked_language_modeling). */
  readonly sendsEdgeLabels: boolean;
  /** `allow_feature_modification` in the dataset registration. */
  readonly allowFeatureModification: boolean;
  /** Absolute storage root (the PVC mount). */
  readonly storageRoot: string;
  /** Where copied files go: `<storageRoot>/<table>`. */
  readonly destination: string;
  /** Rows per batch (insert + backend send). */
  readonly batchSize: number;
  /** Record processors (plugins), in order. */
  readonly processors: readonly ProcessorPlan[];
  /** What an invalid row does: fail the run (default) or, opted in, leave it out up to a limit. */
  readonly invalidRows: InvalidRowPolicy;
}

export interface ProcessorPlan {
  /** Position in `spec.processors`. */
  readonly index: number;
  /** Absolute path of the ES module. */
  readonly script: string;
  readonly className: string;
  readonly args: Readonly<Record<string, JsonValue>>;
}

export type InvalidRowPolicy =
  | { readonly mode: 'fail' }
  | {
      readonly mode: 'quarantine';
      /** At most this many invalid rows (null: see maxPercent). */
      readonly maxCount: number | null;
      /** At most this percentage of all rows (null: see maxCount). */
      readonly maxPercent: number | null;
    };
