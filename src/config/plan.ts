import { createHash } from 'node:crypto';
import path from 'node:path';
import { IngestError, IngestErrors } from '../errors.js';
import { conventionFor } from './categories.js';
import { RUNTIMES } from '../categories/registry.js';
import { REFUSED_CATEGORIES } from '../categories/refused.js';
import { parseSqlType } from './sql-type.js';
import { mapConfiguredPath } from './storage-paths.js';
import type {
  ColumnPlan,
  DataIdPlan,
  FileSetName,
  FileSetPlan,
  InvalidRowPolicy,
  ImagePlan,
  IngestConfig,
  JsonValue,
  LabelPlan,
  Plan,
  SourcePlan,
} from './types.js';

export interface PlanOptions {
  /** Path of the ingest.yaml (messages only). */
  configPath: string;
  /** The YAML text (hashed into the run record). */
  configText: string;
  /** Absolute or relative storage root; `/data/shared` in the container. */
  storageRoot: string;
  /** Rows per batch; overrides `spec.csv_options.chunk_size`. */
  batchSize?: number;
}

/** Default cap on pixels per image: 100 megapixels (sharp's own default limit is ~268 MP). */
export const DEFAULT_MAX_PIXELS = 100_000_000;
export const DEFAULT_BATCH_SIZE = 1000;

/**
 * Resolves a schema-valid config into the frozen plan every later stage reads.
 * Throws `IngestErrors` for what only the conventions can reject (unsupported categories,
 * processors that cannot run here).
 */
export function resolvePlan(config: IngestConfig, options: PlanOptions): Plan {
  const convention = conventionFor(config.category);
  const problems: IngestError[] = [];
  const at = (p: string) => ({ file: options.configPath, path: p });

  if (RUNTIMES[config.category] === undefined) {
    problems.push(
      new IngestError(
        'CONFIG_UNSUPPORTED_CATEGORY',
        REFUSED_CATEGORIES[config.category] ??
          `category ${config.category} is not supported yet by this ingestor version; nothing was ingested`,
        at('/category'),
      ),
    );
  }
  for (const [i, p] of (config.spec?.processors ?? []).entries()) {
    if (!/\.(mjs|js)$/.test(p.script)) {
      problems.push(
        new IngestError(
          'CONFIG_UNSUPPORTED_CATEGORY',
          p.script.endsWith('.py')
            ? `processor ${p.class} is a Python script; the TypeScript ingestor cannot run it and will not ingest without it — port it to an ES module plugin (see README "Plugins")`
            : `processor ${p.class}: the script must be an ES module (.mjs or .js)`,
          at(`/spec/processors/${i}`),
        ),
      );
    }
  }
  if (problems.length > 0) throw new IngestErrors(problems);

  const storageRoot = path.resolve(options.storageRoot);
  const source = resolveSource(config, storageRoot);
  const columns = resolveColumns(config);
  const label = resolveLabel(config);
  const dataId: DataIdPlan =
    config.data_id?.strategy === 'column' && config.data_id.column !== undefined
      ? { strategy: 'column', column: config.data_id.column }
      : { strategy: 'uuid' };
  const images = convention.family === 'image' ? resolveImages(config, storageRoot, options.configPath) : null;
  const fileSets = resolveFileSets(config, storageRoot);
  const timeColumn =
    config.category === 'time_to_event_prediction' ? (config.time_column ?? 'time') : null;

  const plan: Plan = {
    configPath: options.configPath,
    configHash: createHash('sha256').update(options.configText).digest('hex'),
    category: config.category,
    family: convention.family,
    dataFormat: convention.family,
    table: config.table,
    intent: config.intent,
    source,
    columns,
    label,
    dataId,
    images,
    fileSets,
    filenameColumn: convention.referencesFiles ? 'filename' : null,
    timeColumn,
    numberOfKeypoints: config.number_of_keypoints ?? null,
    longLabel: config.category === 'token_classification',
    metaData: {},
    sendsEdgeLabels: convention.labelled,
    allowFeatureModification: convention.allowFeatureModification,
    storageRoot,
    destination: path.join(storageRoot, config.table),
    batchSize: options.batchSize ?? config.spec?.csv_options?.chunk_size ?? DEFAULT_BATCH_SIZE,
    invalidRows: resolveInvalidRows(config),
    processors: (config.spec?.processors ?? []).map((p, index) => ({
      index,
      // A relative script path is relative to the ingest.yaml; platform configs use absolute pod paths.
      script: path.resolve(path.dirname(path.resolve(options.configPath)), p.script),
      className: p.class,
      args: p.args ?? {},
    })),
  };
  return deepFreeze({ ...plan, metaData: resolveMetaData(plan, config) });
}

function resolveInvalidRows(config: IngestConfig): InvalidRowPolicy {
  if (config.spec?.on_invalid_row !== 'quarantine') return { mode: 'fail' };
  const max = config.spec.max_invalid_rows;
  if (typeof max === 'string') return { mode: 'quarantine', maxCount: null, maxPercent: Number(max.slice(0, -1)) };
  return { mode: 'quarantine', maxCount: max ?? 0, maxPercent: null };
}

function resolveSource(config: IngestConfig, storageRoot: string): SourcePlan {
  const csv = config.spec?.csv_options;
  const configured = config.csv ?? config.json ?? '';
  const quote = csv?.quotechar ?? '"';
  return {
    kind: config.csv !== undefined ? 'csv' : 'json',
    path: mapConfiguredPath(configured, storageRoot),
    configured,
    delimiter: csv?.delimiter ?? ',',
    quote,
    // RFC 4180: a quote inside a quoted field is escaped by doubling it. A backslash is data
    // unless the config names it explicitly (today's default silently ate backslashes).
    escape: csv?.escapechar ?? quote,
  };
}

function resolveColumns(config: IngestConfig): ColumnPlan[] {
  return Object.entries(config.schema ?? {}).map(([name, text]) => {
    const type = parseSqlType(text);
    if ('error' in type) throw new IngestError('CONFIG_INVALID', type.error, { path: `/schema/${name}` });
    return { name, type };
  });
}

function resolveLabel(config: IngestConfig): LabelPlan | null {
  const l = config.label;
  if (l === undefined) return null;
  if (typeof l === 'string') return { column: l, policy: 'passthrough' };
  if (l.policy === 'bucket') {
    return {
      column: l.column,
      policy: 'bucket',
      strategy: l.strategy ?? 'quantile',
      bins: l.bins ?? 10,
      minBucketSize: l.min_bucket_size ?? 5,
    };
  }
  return { column: l.column, policy: 'passthrough' };
}

function resolveImages(config: IngestConfig, storageRoot: string, configPath: string): ImagePlan {
  const convention = conventionFor(config.category);
  const fileOptions = config.spec?.file_options ?? {};
  const targetSize = fileOptions.target_size ?? config.target_size ?? convention.defaultTargetSize;
  const exactSize = fileOptions['exact_size'];
  const maxPixels = fileOptions['max_pixels'];
  const verify = fileOptions['verify'];
  if (verify !== undefined && verify !== 'header' && verify !== 'decode') {
    throw new IngestErrors([
      new IngestError('CONFIG_INVALID', 'spec.file_options.verify must be header or decode', {
        file: configPath,
        path: '/spec/file_options/verify',
      }),
    ]);
  }
  if (exactSize !== undefined && typeof exactSize !== 'boolean') {
    throw new IngestErrors([
      new IngestError('CONFIG_INVALID', 'spec.file_options.exact_size must be true or false', {
        file: configPath,
        path: '/spec/file_options/exact_size',
      }),
    ]);
  }
  if (maxPixels !== undefined && !(typeof maxPixels === 'number' && Number.isInteger(maxPixels) && maxPixels > 0)) {
    throw new IngestErrors([
      new IngestError('CONFIG_INVALID', 'spec.file_options.max_pixels must be a positive integer', {
        file: configPath,
        path: '/spec/file_options/max_pixels',
      }),
    ]);
  }
  const configured = config.images ?? '';
  return {
    dir: mapConfiguredPath(configured, storageRoot),
    configured,
    extension: (fileOptions.extension ?? convention.defaultExtension ?? '.jpg').toLowerCase(),
    targetSize: exactSize === false || targetSize === null ? null : [targetSize[0], targetSize[1]],
    maxPixels: typeof maxPixels === 'number' ? maxPixels : DEFAULT_MAX_PIXELS,
    verify: verify ?? 'header',
  };
}

const FILE_SET_EXTENSIONS: Readonly<Record<FileSetName, string>> = {
  annotations: '.xml',
  masks: '.png',
  texts: '.txt',
  sequences: '.txt',
};

function resolveFileSets(config: IngestConfig, storageRoot: string): Partial<Record<FileSetName, FileSetPlan>> {
  const sets: Partial<Record<FileSetName, FileSetPlan>> = {};
  const textExtension = conventionFor(config.category).family === 'text' ? config.spec?.file_options?.extension : undefined;
  for (const name of Object.keys(FILE_SET_EXTENSIONS) as FileSetName[]) {
    const configured = config[name];
    if (configured === undefined) continue;
    sets[name] = {
      dir: mapConfiguredPath(configured, storageRoot),
      configured,
      extension: ((name === 'texts' || name === 'sequences') && textExtension ? textExtension : FILE_SET_EXTENSIONS[name]).toLowerCase(),
    };
  }
  return sets;
}

/** `meta_data` of the global_metadata call: the category's file options and the feature schema. */
function resolveMetaData(plan: Plan, config: IngestConfig): Record<string, JsonValue> {
  const meta: Record<string, JsonValue> = {};
  if (plan.images) {
    const size = config.spec?.file_options?.target_size ?? config.target_size ?? conventionFor(plan.category).defaultTargetSize;
    if (size) meta['target_size'] = [size[0], size[1]];
    meta['extension'] = plan.images.extension;
  }
  const textSet = plan.family === 'text' ? (plan.fileSets.texts ?? plan.fileSets.sequences) : undefined;
  if (textSet) meta['extension'] = textSet.extension;
  if (config.number_of_keypoints !== undefined) meta['number_of_keypoints'] = config.number_of_keypoints;
  if (plan.timeColumn !== null) meta['time_column'] = plan.timeColumn;
  if (plan.family === 'tabular') {
    meta['schema'] = Object.fromEntries(plan.columns.map((c) => [c.name, c.type.sql]));
    meta['number_of_columns'] = plan.columns.length;
  }
  return meta;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
