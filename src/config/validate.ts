/**
 * Validation of an ingest.yaml: JSON Schema (schemas/ingest.v1.json) plus the rules a schema cannot
 * express. Every problem is collected and reported at once, each with `file:line:column`, sorted by
 * position, with a message written for a person rather than ajv's generic wording.
 */

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { DefinedError, SchemaObject, ValidateFunction } from 'ajv';
import compiledValidator from './generated/ingest-schema-validator.js';
import { IngestError, IngestErrors } from '../errors.js';
import { parsePointer, parseYaml } from './load-yaml.js';
import type { LoadedYaml } from './load-yaml.js';
import { parseSqlType } from './sql-type.js';
import { CATEGORIES } from './categories.js';
import { PLATFORM_COLUMNS } from './platform-layout.js';
import type { Category, IngestConfig } from './types.js';
import { PACKAGE_ROOT } from '../package-root.js';

/** The schema the compiled validator was built from (its category list is read here). */
const SCHEMA_URL = new URL('schemas/ingest.v1.json', PACKAGE_ROOT);
const SCHEMA = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as SchemaObject;

// The schema compiled ahead of time by scripts/build-validator.mjs (allErrors; verbose: errors carry
// their parentSchema, used to suggest the key that was meant): no ajv import or compile at start-up.
const validateSchema = compiledValidator as unknown as ValidateFunction<IngestConfig>;

const REGRESSION_CLASS: readonly Category[] = (Object.keys(CATEGORIES) as Category[]).filter((c) => CATEGORIES[c].regression);
const PLATFORM_COLUMN_NAMES: readonly string[] = PLATFORM_COLUMNS;

/** Bookkeeping tables that live in the same database as the datasets. */
const BOOKKEEPING_TABLES = ['tracebloc_ingest_runs', 'tracebloc_ingest_meta'];
/** Table names that would turn `POST /global_meta/<table>/` into another backend call. */
const BACKEND_ROUTE_NAMES = ['global_metadata', 'prepare'];

const BUCKET_FIELDS = ['strategy', 'bins', 'min_bucket_size'] as const;

/** What a category-required key holds, for "X needs `key` (…)" messages. */
const REQUIRED_KEY_HINTS: Readonly<Record<string, string>> = {
  images: 'directory of the image files the CSV references',
  annotations: 'directory of Pascal VOC XML files',
  masks: 'directory of PNG mask images',
  texts: 'directory of the text files the CSV references',
  sequences: 'directory of the sequence .txt files',
  schema: 'map of column name to SQL type, e.g. `age: INT`',
  label: 'the CSV column that holds the label',
  target_size: '[width, height] your pose model expects',
  number_of_keypoints: 'keypoints per sample, e.g. 17 for COCO pose',
};

/** Messages for a value that fits none of a `oneOf`'s forms, by the value's JSON pointer. */
const ONE_OF_MESSAGES: Readonly<Record<string, string>> = {
  '/label': '`label` must be a column name or a mapping `{column, policy}`',
  '/spec/max_invalid_rows': '`spec.max_invalid_rows` must be an integer >= 0 or a percentage such as "5%"',
};

/** One problem, before it is located in the YAML. */
interface Problem {
  /** JSON pointer of what is wrong (`context.path`). */
  path: string;
  message: string;
  /** What to point at when it is not the value at `path`: another pointer, and/or the key instead of the value. */
  at?: { pointer?: string; key?: boolean };
}

type Doc = Record<string, unknown>;

/**
 * Parse and validate an ingest.yaml.
 * @throws IngestErrors of CONFIG_YAML_SYNTAX (unparseable YAML) or CONFIG_INVALID (every problem found).
 */
export function validateConfig(text: string, file: string): { config: IngestConfig } {
  const yaml = parseYaml(text, file);
  const problems = [...schemaProblems(yaml.data), ...semanticProblems(yaml.data)];
  if (problems.length > 0) throw new IngestErrors(locateProblems(problems, yaml, file));
  return { config: yaml.data as IngestConfig };
}

/**
 * Read and validate an ingest.yaml file.
 * @throws IngestError CONFIG_UNREADABLE when the file cannot be read; otherwise as `validateConfig`.
 */
export async function validateConfigFile(path: string): Promise<{ config: IngestConfig; text: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new IngestError('CONFIG_UNREADABLE', `cannot read the config file ${path}${readFailureReason(cause)}`, { file: path }, { cause });
  }
  return { ...validateConfig(text, path), text };
}

function readFailureReason(cause: unknown): string {
  const code = isRecord(cause) ? cause.code : undefined;
  if (code === 'ENOENT') return ': it does not exist';
  if (code === 'EACCES' || code === 'EPERM') return ': permission denied';
  if (code === 'EISDIR') return ': it is a directory';
  return typeof code === 'string' ? ` (${code})` : '';
}

function locateProblems(problems: readonly Problem[], yaml: LoadedYaml, file: string): IngestError[] {
  const seen = new Set<string>();
  const located: { problem: Problem; line: number; column: number }[] = [];
  for (const problem of problems) {
    const id = `${problem.path}\u0000${problem.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const pointer = problem.at?.pointer ?? problem.path;
    const { line, column } = problem.at?.key ? yaml.locateKey(pointer) : yaml.locate(pointer);
    located.push({ problem, line, column });
  }
  located.sort(
    (a, b) => a.line - b.line || a.column - b.column || a.problem.path.localeCompare(b.problem.path) || a.problem.message.localeCompare(b.problem.message),
  );
  return located.map(
    ({ problem, line, column }) => new IngestError('CONFIG_INVALID', problem.message, { file, line, column, path: problem.path }),
  );
}

// ---------------------------------------------------------------------------------------------
// JSON Schema errors → problems

function schemaProblems(data: unknown): Problem[] {
  if (validateSchema(data)) return [];
  // Every other rule is noise (or vacuously failing, like `not: {required}`) when the root is not a mapping.
  if (data === null || data === undefined) return [{ path: '', message: 'the config is empty: expected a YAML mapping with apiVersion, kind, category, table and intent' }];
  if (!isRecord(data)) return [{ path: '', message: 'the config must be a YAML mapping of keys to values' }];
  const errors = (validateSchema.errors ?? []) as DefinedError[];
  const { kept, problems } = resolveOneOfs(errors.filter((e) => e.keyword !== 'if'));
  return [...problems, ...kept.map((e) => describeError(e, data))];
}

/**
 * ajv reports a failed `oneOf` with the errors of every branch plus "must match exactly one schema".
 * Keep the errors of the one branch whose type fits the value, or else replace them all with one message.
 */
function resolveOneOfs(errors: readonly DefinedError[]): { kept: DefinedError[]; problems: Problem[] } {
  const dropped = new Set<DefinedError>();
  const problems: Problem[] = [];
  for (const oneOf of errors.filter((e) => e.keyword === 'oneOf')) {
    const prefix = `${oneOf.schemaPath}/`;
    const branchErrors = errors.filter((e) => e.schemaPath.startsWith(prefix));
    dropped.add(oneOf);
    if (isSourceRule(oneOf)) {
      branchErrors.forEach((e) => dropped.add(e));
      problems.push(sourceProblem(oneOf.data));
      continue;
    }
    const fitting = fittingBranch(oneOf, branchErrors);
    for (const e of branchErrors) if (fitting === undefined || !e.schemaPath.startsWith(`${prefix}${fitting}/`)) dropped.add(e);
    if (fitting === undefined) {
      const path = oneOf.instancePath;
      problems.push({ path, message: ONE_OF_MESSAGES[path] ?? `${field(path)} does not have any of the accepted forms` });
    }
  }
  return { kept: errors.filter((e) => !dropped.has(e)), problems };
}

/** The branch index whose `type` matches the value, when exactly one does. */
function fittingBranch(oneOf: DefinedError, branchErrors: readonly DefinedError[]): string | undefined {
  const branchOf = (e: DefinedError): string => e.schemaPath.slice(oneOf.schemaPath.length + 1).split('/')[0] ?? '';
  const all = new Set(branchErrors.map(branchOf));
  const typeMismatch = new Set(
    branchErrors.filter((e) => e.keyword === 'type' && e.instancePath === oneOf.instancePath).map(branchOf),
  );
  const fitting = [...all].filter((b) => !typeMismatch.has(b));
  return fitting.length === 1 ? fitting[0] : undefined;
}

/** The top-level "exactly one of csv or json" rule. */
function isSourceRule(e: DefinedError): boolean {
  return e.instancePath === '' && /^#\/allOf\/\d+\/oneOf$/.test(e.schemaPath);
}

function sourceProblem(data: unknown): Problem {
  if (isRecord(data) && 'csv' in data && 'json' in data) {
    return { path: '/json', message: 'exactly one of `csv` or `json` is required, not both', at: { key: true } };
  }
  return { path: '', message: 'exactly one of `csv` or `json` is required: the path of the labels CSV or of the JSON dataset' };
}

function describeError(e: DefinedError, data: unknown): Problem {
  if (e.schemaPath.startsWith('#/allOf/')) {
    const rule = categoryRuleProblem(e, data);
    if (rule) return rule;
  }
  if (e.schemaPath.startsWith('#/properties/data_id/then/')) {
    return {
      path: '/data_id/column',
      message: '`data_id.strategy: column` needs `data_id.column` (the source column whose values become data_id)',
      at: { pointer: '/data_id/strategy' },
    };
  }
  return keywordProblem(e);
}

/** Errors of the category-driven `allOf` rules (if category … then …). They point at `category`. */
function categoryRuleProblem(e: DefinedError, data: unknown): Problem | undefined {
  const category = isRecord(data) && typeof data.category === 'string' ? data.category : 'this category';
  if (e.keyword === 'not' && e.instancePath === '') {
    return { path: '/label', message: `${category} must not set \`label\` (its CSV has no label column)`, at: { key: true } };
  }
  if (e.keyword === 'required' && e.instancePath === '') {
    const missing = e.params.missingProperty;
    const message =
      missing === 'label' && isRegressionClass(category)
        ? regressionLabelMessage(category)
        : `${category} needs \`${missing}\`${hint(missing)}`;
    return { path: pointerTo('', missing), message, at: { pointer: '/category' } };
  }
  if (e.instancePath === '/label') return { path: '/label', message: regressionLabelMessage(category) };
  return undefined;
}

function hint(key: string): string {
  const text = REQUIRED_KEY_HINTS[key];
  return text === undefined ? '' : ` (${text})`;
}

function regressionLabelMessage(category: string): string {
  return `${category} needs \`label: {column, policy}\` — choose \`policy: bucket\` (recommended) or \`passthrough\``;
}

function keywordProblem(e: DefinedError): Problem {
  const path = e.instancePath;
  switch (e.keyword) {
    case 'required': {
      const missing = e.params.missingProperty;
      const message = path === '' ? `missing required key \`${missing}\`` : `${field(path)} needs \`${missing}\``;
      return { path: pointerTo(path, missing), message, at: { pointer: path } };
    }
    case 'additionalProperties': {
      const key = e.params.additionalProperty;
      const where = path === '' ? '' : ` in ${field(path)}`;
      return { path: pointerTo(path, key), message: `unknown key \`${short(key)}\`${where}${didYouMean(key, e.parentSchema, e.data)}`, at: { key: true } };
    }
    case 'type':
      return { path, message: typeMessage(path, e.params.type) };
    case 'enum':
      return { path, message: `${field(path)} must be one of: ${e.params.allowedValues.map(String).join(', ')}` };
    case 'const':
      return { path, message: `${field(path)} must be \`${String(e.params.allowedValue)}\`` };
    case 'minLength':
      return { path, message: `${field(path)} must not be empty` };
    case 'minimum':
      return { path, message: `${field(path)} must be at least ${e.params.limit}` };
    case 'maximum':
      return { path, message: `${field(path)} must be at most ${e.params.limit}` };
    case 'minItems':
    case 'maxItems':
      return { path, message: itemsMessage(path, e) };
    case 'minProperties':
      return { path, message: path === '/schema' ? '`schema` must declare at least one column' : `${field(path)} must not be empty` };
    case 'pattern':
      return { path, message: ONE_OF_MESSAGES[path] ?? `${field(path)} has an invalid format` };
    default:
      return { path, message: `${field(path)} ${e.message ?? 'is invalid'}` };
  }
}

function typeMessage(path: string, type: string | readonly string[]): string {
  if (path === '') return 'the config must be a YAML mapping of keys to values';
  const segments = parsePointer(path);
  if (segments.length === 2 && segments[0] === 'schema') {
    return `column \`${short(segments[1] ?? '')}\`: the type must be a string such as INT or VARCHAR(255)`;
  }
  const names: Readonly<Record<string, string>> = {
    object: 'a mapping (key: value pairs)',
    array: 'a list',
    integer: 'a whole number',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
  };
  const types = typeof type === 'string' ? type.split(',') : [...type];
  return `${field(path)} must be ${types.map((t) => names[t] ?? t).join(' or ')}`;
}

function itemsMessage(path: string, e: DefinedError & { params: { limit: number } }): string {
  const schema: unknown = e.parentSchema;
  if (isRecord(schema) && schema.minItems === 2 && schema.maxItems === 2) return `${field(path)} must be [width, height]`;
  return `${field(path)} must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${e.params.limit} items`;
}

/** ` (did you mean `x`?)` for a mistyped key, preferring keys the mapping does not have yet. */
function didYouMean(key: string, parentSchema: unknown, mapping: unknown): string {
  const properties = isRecord(parentSchema) && isRecord(parentSchema.properties) ? Object.keys(parentSchema.properties) : [];
  const present = isRecord(mapping) ? mapping : {};
  const limit = Math.min(2, Math.floor(key.length / 2));
  const ranked = properties
    .map((name) => ({ name, rank: editDistance(key.toLowerCase(), name.toLowerCase()) * 2 + (name in present ? 1 : 0) }))
    .filter(({ rank }) => rank <= limit * 2 + 1)
    .sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
  const best = ranked[0];
  return best === undefined ? '' : ` (did you mean \`${best.name}\`?)`;
}

/** Optimal string alignment distance: edits, counting a swap of neighbours as one. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

// ---------------------------------------------------------------------------------------------
// Rules JSON Schema cannot express. They read the data defensively: it may also have failed the schema.

function semanticProblems(data: unknown): Problem[] {
  if (!isRecord(data)) return [];
  const spec = isRecord(data.spec) ? data.spec : {};
  return [
    ...tableProblems(data.table),
    ...schemaColumnProblems(data.schema),
    ...labelProblems(data),
    ...timeSeriesProblems(data),
    ...csvOptionProblems(spec.csv_options),
    ...maxInvalidRowsProblems(spec.max_invalid_rows),
    ...quarantineProblems(spec),
  ];
}

/** Leaving rows out is an explicit decision, and so is how many. */
function quarantineProblems(spec: Record<string, unknown>): Problem[] {
  const quarantine = spec['on_invalid_row'] === 'quarantine';
  const max = spec['max_invalid_rows'] !== undefined;
  if (quarantine && !max) {
    return [{ path: '/spec/on_invalid_row', message: '`on_invalid_row: quarantine` needs `max_invalid_rows` (a count such as 10, or a percentage such as "1%")' }];
  }
  if (!quarantine && max) {
    return [{ path: '/spec/max_invalid_rows', message: '`max_invalid_rows` only applies with `on_invalid_row: quarantine`' }];
  }
  return [];
}

function tableProblems(table: unknown): Problem[] {
  if (typeof table !== 'string' || table === '') return [];
  const path = '/table';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) {
    return [{ path, message: '`table` must start with a letter or underscore and contain only letters, digits and underscores' }];
  }
  if (table.length > 63) return [{ path, message: '`table` must be at most 63 characters long' }];
  if (BACKEND_ROUTE_NAMES.includes(table.toLowerCase())) {
    return [{ path, message: `\`table\` must not be ${table.toLowerCase()}: /global_meta/${table.toLowerCase()}/ is a fixed backend route` }];
  }
  if (BOOKKEEPING_TABLES.includes(table.toLowerCase())) {
    return [{ path, message: `\`table\` must not be ${table.toLowerCase()}: that name is used by the ingestor's bookkeeping` }];
  }
  return [];
}

function schemaColumnProblems(schema: unknown): Problem[] {
  if (!isRecord(schema)) return [];
  const problems: Problem[] = [];
  for (const [name, type] of Object.entries(schema)) {
    const path = pointerTo('/schema', name);
    const nameProblem = columnNameProblem(name);
    if (nameProblem !== undefined) problems.push({ path, message: nameProblem, at: { key: true } });
    if (typeof type === 'string') {
      const parsed = parseSqlType(type);
      if ('error' in parsed) problems.push({ path, message: `column \`${short(name)}\`: ${parsed.error}${flowCommaHint(type)}` });
    }
  }
  return problems;
}

/** `schema: {price: DECIMAL(10,2)}` splits at the comma in YAML flow style, leaving `DECIMAL(10`. */
function flowCommaHint(type: string): string {
  return type.includes('(') && !type.includes(')') ? ' (inside `{…}`, quote a type that contains a comma: "DECIMAL(10,2)")' : '';
}

function columnNameProblem(name: string): string | undefined {
  if (name === '') return 'a column name in `schema` is empty';
  const shown = `column \`${short(name)}\``;
  if ([...name].length > 64) return `${shown} has a name longer than 64 characters`;
  if (name.includes('`') || name.includes('\u0000')) return `${shown} must not contain a backtick or a NUL character`;
  if (/\s$/.test(name)) return `${shown} must not end with a space`;
  if (PLATFORM_COLUMN_NAMES.includes(name.toLowerCase())) {
    return `${shown} is reserved by the platform table layout (${PLATFORM_COLUMN_NAMES.join(', ')}); rename it`;
  }
  return undefined;
}

function labelProblems(data: Doc): Problem[] {
  const label = data.label;
  if (!isRecord(label)) return [];
  const policy = label.policy ?? 'passthrough';
  if (policy !== 'passthrough' && policy !== 'bucket') return [];
  if (policy === 'passthrough') {
    return BUCKET_FIELDS.filter((f) => f in label).map((f) => ({
      path: `/label/${f}`,
      message: `\`label.${f}\` only applies to \`policy: bucket\``,
      at: { key: true },
    }));
  }
  const category = data.category;
  if (typeof category !== 'string' || isRegressionClass(category) || category === 'masked_language_modeling' || !isCategory(category)) return [];
  return [
    {
      path: '/label/policy',
      message: `bucket policy is for regression-class categories (${REGRESSION_CLASS.join(', ')}); ${category} sends the label as is: use \`label: <column>\``,
    },
  ];
}

function timeSeriesProblems(data: Doc): Problem[] {
  if (data.category !== 'time_series_forecasting' || !isRecord(data.schema)) return [];
  const types = Object.values(data.schema).map((t) => (typeof t === 'string' ? parseSqlType(t) : { error: 'not a string' }));
  // An unparseable type is reported on its own; it might be the time column.
  if (types.length === 0 || types.some((t) => 'error' in t)) return [];
  const temporal = types.some((t) => 'kind' in t && (t.kind === 'timestamp' || t.kind === 'datetime' || t.kind === 'date'));
  if (temporal) return [];
  return [
    {
      path: '/schema',
      message: 'time_series_forecasting needs a time column in `schema` typed TIMESTAMP, DATETIME or DATE (e.g. `timestamp: TIMESTAMP`)',
      at: { key: true },
    },
  ];
}

function csvOptionProblems(options: unknown): Problem[] {
  if (!isRecord(options)) return [];
  const problems: Problem[] = [];
  for (const key of ['delimiter', 'quotechar', 'escapechar'] as const) {
    const value = options[key];
    if (typeof value !== 'string' || value === '') continue;
    const path = `/spec/csv_options/${key}`;
    if ([...value].length !== 1) problems.push({ path, message: `\`spec.csv_options.${key}\` must be exactly one character` });
    else if (value === '\n' || value === '\r') problems.push({ path, message: `\`spec.csv_options.${key}\` must not be a line break` });
  }
  if (typeof options.delimiter === 'string' && options.delimiter !== '' && options.delimiter === options.quotechar) {
    problems.push({ path: '/spec/csv_options/quotechar', message: '`spec.csv_options.delimiter` and `quotechar` must be different characters' });
  }
  return problems;
}

function maxInvalidRowsProblems(value: unknown): Problem[] {
  // The schema's pattern lets `100.x%` through.
  if (typeof value !== 'string' || !/^100\.[0-9]+%$/.test(value) || !(Number(value.slice(0, -1)) > 100)) return [];
  return [{ path: '/spec/max_invalid_rows', message: '`spec.max_invalid_rows` must be at most 100%' }];
}

// ---------------------------------------------------------------------------------------------
// Helpers

function isRecord(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRegressionClass(category: string): boolean {
  return (REGRESSION_CLASS as readonly string[]).includes(category);
}

function isCategory(category: string): category is Category {
  const properties: unknown = SCHEMA.properties;
  const spec = isRecord(properties) && isRecord(properties.category) ? properties.category.enum : undefined;
  return Array.isArray(spec) && spec.includes(category);
}

/** JSON pointer of a property of the value at `parent`. */
function pointerTo(parent: string, key: string): string {
  return `${parent}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** A config location for messages: `/spec/processors/0/class` → `` `spec.processors[0].class` ``. */
function field(pointer: string): string {
  if (pointer === '') return 'the config';
  const name = parsePointer(pointer).reduce(
    (acc, s) => (/^(0|[1-9][0-9]*)$/.test(s) ? `${acc}[${s}]` : acc === '' ? s : `${acc}.${s}`),
    '',
  );
  return `\`${short(name)}\``;
}

/** Keys echoed in messages: control characters replaced, long ones cut. */
function short(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 64 ? `${clean.slice(0, 64)}…` : clean;
}
