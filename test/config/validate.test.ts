import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig, validateConfigFile } from '../../src/config/validate.js';
import { IngestError, IngestErrors } from '../../src/errors.js';
import { thrownErrors } from '../support/errors.js';

const examplesDir = new URL('../fixtures/platform-examples/', import.meta.url);
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((name) => ({ name, text: readFileSync(new URL(name, examplesDir), 'utf8') }));

const problems = (text: string): IngestErrors => thrownErrors(() => validateConfig(text, 'ingest.yaml'));

/** `line:column path message` per problem, for compact assertions. */
function summary(text: string): string[] {
  return problems(text).errors.map((e) => `${e.context.line}:${e.context.column} ${e.context.path} ${e.message}`);
}

function messages(text: string): string[] {
  return problems(text).errors.map((e) => e.message);
}

const HEADER = 'apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: t\nintent: train\n';

/** A tabular config; `body` follows the header (lines 1-4). */
function yaml(body: string): string {
  return HEADER + body;
}

const TABULAR = yaml('category: tabular_classification\ncsv: /d/x.csv\nschema:\n  age: INT\n  y: VARCHAR(8)\nlabel: y\n');

describe('validateConfig', () => {
  describe.each(examples)('platform example $name', ({ text }) => {
    it('is valid', () => {
      const { config } = validateConfig(text, 'ingest.yaml');
      expect(config.apiVersion).toBe('tracebloc.io/v1');
    });
  });

  it('returns the parsed config', () => {
    const { config } = validateConfig(TABULAR, 'ingest.yaml');
    expect(config).toEqual({
      apiVersion: 'tracebloc.io/v1',
      kind: 'IngestConfig',
      table: 't',
      intent: 'train',
      category: 'tabular_classification',
      csv: '/d/x.csv',
      schema: { age: 'INT', y: 'VARCHAR(8)' },
      label: 'y',
    });
  });

  it('accepts the ingestor extensions', () => {
    const text = yaml(
      [
        'category: tabular_regression',
        'csv: /d/x.csv',
        'schema: {price: "DECIMAL(10,2)"}',
        'label: {column: price, policy: bucket, strategy: equal_width, bins: 5, min_bucket_size: 20}',
        'spec: {on_invalid_row: quarantine, max_invalid_rows: "2.5%"}',
      ].join('\n'),
    );
    expect(validateConfig(text, 'ingest.yaml').config.label).toEqual({
      column: 'price',
      policy: 'bucket',
      strategy: 'equal_width',
      bins: 5,
      min_bucket_size: 20,
    });
  });

  it('reports every mistake at once, each at its line:column, sorted by position', () => {
    const text = [
      'apiVersion: tracebloc.io/v1', // 1
      'kind: IngestConfig', // 2
      'table: t', // 3
      'intent: train', // 4
      'category: tabular_classification', // 5
      'csv: /d/x.csv', // 6
      'schema:', // 7
      '  age: INTEGR', // 8  unknown type
      '  y: VARCHAR(8)', // 9
      'label: y', // 10
      'spec:', // 11
      '  csv_options:', // 12
      '    delimeter: ";"', // 13 unknown key
    ].join('\n');
    const e = problems(text);
    expect(e.total).toBe(2);
    expect(e.errors.map((x) => [x.code, x.context])).toEqual([
      ['CONFIG_INVALID', { file: 'ingest.yaml', line: 8, column: 8, path: '/schema/age' }],
      ['CONFIG_INVALID', { file: 'ingest.yaml', line: 13, column: 5, path: '/spec/csv_options/delimeter' }],
    ]);
    expect(e.errors[0]?.message).toMatch(/^column `age`: unknown SQL type `INTEGR`; supported types: /);
    expect(e.errors[1]?.message).toBe('unknown key `delimeter` in `spec.csv_options` (did you mean `delimiter`?)');
    expect(e.errors[0]?.describe()).toMatch(/^ingest\.yaml:8:8 at \/schema\/age: column `age`/);
  });

  it('sorts schema errors and semantic errors together', () => {
    const text = yaml('category: tabular_classification\ncsv: /d/x.csv\nschema: {id: INT, y: VARCHAR(8)}\nlabel: y\nintent2: x\n').replace(
      'table: t',
      'table: 1t',
    );
    expect(summary(text)).toEqual([
      '3:8 /table `table` must start with a letter or underscore and contain only letters, digits and underscores',
      expect.stringMatching(/^7:10 \/schema\/id column `id` is reserved by the platform table layout/),
      '9:1 /intent2 unknown key `intent2` (did you mean `intent`?)',
    ]);
  });

  describe('category rules', () => {
    it('object_detection needs annotations, pointing at the category', () => {
      const text = yaml('category: object_detection\ncsv: /d/l.csv\nimages: /d/i/\nlabel: image_label\n');
      expect(summary(text)).toEqual(['5:11 /annotations object_detection needs `annotations` (directory of Pascal VOC XML files)']);
    });

    it.each([
      ['image_classification', 'images', 'csv: /l.csv\nlabel: y\n'],
      ['semantic_segmentation', 'masks', 'csv: /l.csv\nimages: /i/\nlabel: y\n'],
      ['text_classification', 'texts', 'csv: /l.csv\nlabel: y\n'],
      ['token_classification', 'texts', 'csv: /l.csv\nlabel: y\n'],
      ['masked_language_modeling', 'sequences', 'csv: /l.csv\n'],
      ['tabular_classification', 'schema', 'csv: /l.csv\nlabel: y\n'],
      ['time_to_event_prediction', 'schema', 'csv: /l.csv\nlabel: {column: y, policy: bucket}\n'],
      ['keypoint_detection', 'target_size', 'csv: /l.csv\nimages: /i/\nlabel: y\nnumber_of_keypoints: 9\n'],
      ['keypoint_detection', 'number_of_keypoints', 'csv: /l.csv\nimages: /i/\nlabel: y\ntarget_size: [1, 1]\n'],
      ['image_classification', 'label', 'csv: /l.csv\nimages: /i/\n'],
    ])('%s needs `%s`', (category, key, rest) => {
      const e = problems(yaml(`category: ${category}\n${rest}`));
      expect(e.errors).toHaveLength(1);
      expect(e.errors[0]?.message).toMatch(new RegExp(`^${category} needs \`${key}\` \\(.+\\)$`));
      expect(e.errors[0]?.context).toMatchObject({ line: 5, column: 11, path: `/${key}` });
    });

    it('exactly one of csv or json: neither', () => {
      expect(summary(yaml('category: tabular_classification\nschema: {a: INT}\nlabel: a\n'))).toEqual([
        '1:1  exactly one of `csv` or `json` is required: the path of the labels CSV or of the JSON dataset',
      ]);
    });

    it('exactly one of csv or json: both', () => {
      expect(summary(yaml('category: tabular_classification\ncsv: /a.csv\njson: /a.json\nschema: {a: INT}\nlabel: a\n'))).toEqual([
        '7:1 /json exactly one of `csv` or `json` is required, not both',
      ]);
    });

    const regressionMessage =
      'tabular_regression needs `label: {column, policy}` — choose `policy: bucket` (recommended) or `passthrough`';

    it.each([
      ['a string label', 'label: price\n', '8:8'],
      ['a label without policy', 'label:\n  column: price\n', '9:3'],
      ['no label', '', '5:11'],
    ])('tabular_regression with %s', (_, label, at) => {
      const text = yaml(`category: tabular_regression\ncsv: /a.csv\nschema: {price: DOUBLE}\n${label}`);
      expect(summary(text)).toEqual([`${at} /label ${regressionMessage}`]);
    });

    it('names the regression-class category in the message', () => {
      const text = yaml('category: time_to_event_prediction\ncsv: /a.csv\nschema: {t: INT}\nlabel: e\n');
      expect(messages(text)).toEqual([
        'time_to_event_prediction needs `label: {column, policy}` — choose `policy: bucket` (recommended) or `passthrough`',
      ]);
    });

    it('masked_language_modeling must not set label', () => {
      const text = yaml('category: masked_language_modeling\ncsv: /a.csv\nsequences: /s/\nlabel: y\n');
      expect(summary(text)).toEqual(['8:1 /label masked_language_modeling must not set `label` (its CSV has no label column)']);
    });

    it('data_id strategy column needs a column', () => {
      const text = TABULAR + 'data_id:\n  strategy: column\n';
      expect(summary(text)).toEqual([
        '12:13 /data_id/column `data_id.strategy: column` needs `data_id.column` (the source column whose values become data_id)',
      ]);
    });

    it('accepts a data_id column that is not in schema', () => {
      expect(() => validateConfig(TABULAR + 'data_id: {strategy: column, column: record_no}\n', 'f')).not.toThrow();
    });

    it('drops the generic if/then and oneOf noise', () => {
      const all = messages(yaml('category: object_detection\nlabel: 5\n'));
      expect(all.join('\n')).not.toMatch(/must match|schema/);
      expect(all).toEqual([
        'exactly one of `csv` or `json` is required: the path of the labels CSV or of the JSON dataset',
        // both at the category (5:11), then by path
        'object_detection needs `annotations` (directory of Pascal VOC XML files)',
        'object_detection needs `images` (directory of the image files the CSV references)',
        '`label` must be a column name or a mapping `{column, policy}`',
      ]);
    });
  });

  describe('keyword messages', () => {
    it.each([
      ['an enum, listing the allowed values', TABULAR.replace('intent: train', 'intent: testing'), '4:9 /intent `intent` must be one of: train, test'],
      ['a const', TABULAR.replace('tracebloc.io/v1', 'v1'), '1:13 /apiVersion `apiVersion` must be `tracebloc.io/v1`'],
      ['an unknown category', TABULAR.replace('tabular_classification', 'tabular'), expect.stringMatching(/^5:11 \/category `category` must be one of: image_classification, .*masked_language_modeling$/)],
      ['a missing required key', TABULAR.replace('table: t\n', ''), '1:1 /table missing required key `table`'],
      ['an empty string', TABULAR.replace('csv: /d/x.csv', 'csv: ""'), '6:6 /csv `csv` must not be empty'],
      ['a wrong type', TABULAR + 'number_of_keypoints: many\n', '11:22 /number_of_keypoints `number_of_keypoints` must be a whole number'],
      ['a minimum', TABULAR + 'spec: {csv_options: {chunk_size: 0}}\n', '11:34 /spec/csv_options/chunk_size `spec.csv_options.chunk_size` must be at least 1'],
      ['a pair', TABULAR + 'target_size: [1, 2, 3]\n', '11:14 /target_size `target_size` must be [width, height]'],
      ['an unknown key in a list item', TABULAR + 'spec:\n  processors:\n    - {script: /p.py, class: P, kwargs: {}}\n', '13:33 /spec/processors/0/kwargs unknown key `kwargs` in `spec.processors[0]` (did you mean `args`?)'],
      ['a missing key in a list item', TABULAR + 'spec:\n  processors:\n    - script: /p.py\n', '13:7 /spec/processors/0/class `spec.processors[0]` needs `class`'],
      ['an empty schema', TABULAR.replace(/schema:\n  age: INT\n  y: VARCHAR\(8\)\n/, 'schema: {}\n'), '7:9 /schema `schema` must declare at least one column'],
      ['a non-string column type', TABULAR.replace('age: INT', 'age: 5'), '8:8 /schema/age column `age`: the type must be a string such as INT or VARCHAR(255)'],
      ['a bad label policy', TABULAR.replace('label: y', 'label: {column: y, policy: hash}'), '10:28 /label/policy `label.policy` must be one of: passthrough, bucket'],
      ['bins out of range', yaml('category: tabular_regression\ncsv: /a\nschema: {p: INT}\nlabel: {column: p, policy: bucket, bins: 1000}\n'), '8:42 /label/bins `label.bins` must be at most 100'],
      ['max_invalid_rows', TABULAR + 'spec:\n  on_invalid_row: quarantine\n  max_invalid_rows: 5 percent\n', '13:21 /spec/max_invalid_rows `spec.max_invalid_rows` must be an integer >= 0 or a percentage such as "5%"'],
      ['max_invalid_rows of the wrong type', TABULAR + 'spec:\n  on_invalid_row: quarantine\n  max_invalid_rows: 0.5\n', '13:21 /spec/max_invalid_rows `spec.max_invalid_rows` must be an integer >= 0 or a percentage such as "5%"'],
      ['a negative max_invalid_rows', TABULAR + 'spec:\n  on_invalid_row: quarantine\n  max_invalid_rows: -1\n', '13:21 /spec/max_invalid_rows `spec.max_invalid_rows` must be at least 0'],
      ['on_invalid_row', TABULAR + 'spec:\n  on_invalid_row: skip\n', '12:19 /spec/on_invalid_row `spec.on_invalid_row` must be one of: fail, quarantine'],
      ['an unknown key in label', TABULAR.replace('label: y', 'label:\n  column: y\n  polcy: bucket'), '12:3 /label/polcy unknown key `polcy` in `label` (did you mean `policy`?)'],
    ])('for %s', (_, text, expected) => {
      expect(summary(text)).toEqual([expected]);
    });

    it('refuses a document that is not a mapping', () => {
      expect(summary('- a\n- b\n')).toEqual(['1:1  the config must be a YAML mapping of keys to values']);
      expect(summary('')).toEqual([expect.stringMatching(/^1:1 {2}the config is empty/)]);
    });
  });

  describe('semantic checks', () => {
    it.each([
      ['starts with a digit', '1abc'],
      ['contains a dash', 'my-table'],
      ['contains a dot', 'db.t'],
      ['is longer than 63 characters', 'a'.repeat(64)],
      ['is a bookkeeping table', 'tracebloc_ingest_runs'],
    ])('refuses a table name that %s', (_, table) => {
      const e = problems(TABULAR.replace('table: t', `table: ${table}`));
      expect(e.errors).toHaveLength(1);
      expect(e.errors[0]?.context).toMatchObject({ line: 3, column: 8, path: '/table' });
    });

    it('accepts a 63-character table name with underscores', () => {
      expect(() => validateConfig(TABULAR.replace('table: t', `table: _${'a1'.repeat(31)}`), 'f')).not.toThrow();
    });

    it('hints at quoting when a flow mapping split a type at its comma', () => {
      const text = TABULAR.replace(/schema:\n  age: INT\n  y: VARCHAR\(8\)\n/, 'schema: {y: DECIMAL(10,2)}\n');
      expect(messages(text)).toEqual([
        expect.stringMatching(/^column `y`: DECIMAL\(…\) is missing its closing parenthesis \(inside `\{…\}`, quote a type that contains a comma: "DECIMAL\(10,2\)"\)$/),
        'column `2)`: the type must be a string such as INT or VARCHAR(255)',
      ]);
    });

    it('reports the SQL type error of each column', () => {
      const text = TABULAR.replace('age: INT', 'age: VARCHAR').replace('y: VARCHAR(8)', 'y: FLOAT(8,2)');
      expect(summary(text)).toEqual([
        '8:8 /schema/age column `age`: VARCHAR needs a length, e.g. VARCHAR(255)',
        expect.stringMatching(/^9:6 \/schema\/y column `y`: FLOAT\(…\) is not supported: use DECIMAL/),
      ]);
    });

    it.each([
      ['a platform column', 'id', /column `id` is reserved by the platform table layout/],
      ['a platform column in another case', 'Created_At', /column `Created_At` is reserved by the platform table layout/],
      ['the platform label column', 'LABEL', /reserved by the platform table layout/],
      ['ingestor_id', 'ingestor_id', /reserved by the platform table layout/],
      ['an empty name', '""', /a column name in `schema` is empty/],
      ['a name with a backtick', '"a`b"', /must not contain a backtick/],
      ['a name with a NUL', '"a\\0b"', /must not contain a backtick or a NUL/],
      ['a name with a trailing space', '"a "', /must not end with a space/],
      ['a name over 64 characters', 'c'.repeat(65), /longer than 64 characters/],
    ])('refuses %s as a column name, pointing at the key', (_, name, message) => {
      const e = problems(TABULAR.replace('age: INT', `${name}: INT`));
      expect(e.errors).toHaveLength(1);
      expect(e.errors[0]?.message).toMatch(message);
      expect(e.errors[0]?.context).toMatchObject({ line: 8, column: 3 });
      expect(e.errors[0]?.message).not.toContain('\u0000');
    });

    it('accepts a 64-character column name and names with spaces inside', () => {
      expect(() => validateConfig(TABULAR.replace('age: INT', `${'c'.repeat(64)}: INT\n  "unit price": DOUBLE`), 'f')).not.toThrow();
    });

    it('refuses bucket fields without policy: bucket', () => {
      const text = yaml(
        'category: tabular_regression\ncsv: /a\nschema: {p: INT}\nlabel:\n  column: p\n  policy: passthrough\n  bins: 5\n  strategy: quantile\n',
      );
      expect(summary(text)).toEqual([
        '11:3 /label/bins `label.bins` only applies to `policy: bucket`',
        '12:3 /label/strategy `label.strategy` only applies to `policy: bucket`',
      ]);
    });

    it('refuses bucket fields when the policy is left to its default', () => {
      const text = TABULAR.replace('label: y', 'label: {column: y, min_bucket_size: 3}');
      expect(messages(text)).toEqual(['`label.min_bucket_size` only applies to `policy: bucket`']);
    });

    it.each(['tabular_classification', 'image_classification', 'text_classification'])('refuses the bucket policy for %s', (category) => {
      const text = yaml(
        `category: ${category}\ncsv: /a\nimages: /i/\ntexts: /t/\nschema: {a: INT}\nlabel:\n  column: y\n  policy: bucket\n`,
      );
      expect(summary(text)).toEqual([
        expect.stringMatching(/^12:11 \/label\/policy bucket policy is for regression-class categories \(tabular_regression, time_series_forecasting, time_to_event_prediction\)/),
      ]);
    });

    it('time_series_forecasting needs a temporal column', () => {
      const text = yaml('category: time_series_forecasting\ncsv: /a\nschema:\n  at: VARCHAR(32)\n  y: DOUBLE\nlabel: {column: y, policy: bucket}\n');
      expect(summary(text)).toEqual([
        '7:1 /schema time_series_forecasting needs a time column in `schema` typed TIMESTAMP, DATETIME or DATE (e.g. `timestamp: TIMESTAMP`)',
      ]);
    });

    it.each(['TIMESTAMP', 'datetime(3)', 'DATE'])('time_series_forecasting accepts a %s column', (type) => {
      const text = yaml(`category: time_series_forecasting\ncsv: /a\nschema:\n  at: ${type}\n  y: DOUBLE\nlabel: {column: y, policy: bucket}\n`);
      expect(() => validateConfig(text, 'f')).not.toThrow();
    });

    it('checks the CSV options', () => {
      const text = TABULAR + 'spec:\n  csv_options:\n    delimiter: "||"\n    quotechar: "\'\'"\n    escapechar: "\\n"\n';
      expect(summary(text)).toEqual([
        '13:16 /spec/csv_options/delimiter `spec.csv_options.delimiter` must be exactly one character',
        '14:16 /spec/csv_options/quotechar `spec.csv_options.quotechar` must be exactly one character',
        '15:17 /spec/csv_options/escapechar `spec.csv_options.escapechar` must not be a line break',
      ]);
    });

    it('refuses a delimiter equal to the quote character', () => {
      const text = TABULAR + 'spec: {csv_options: {delimiter: "|", quotechar: "|"}}\n';
      expect(summary(text)).toEqual([
        '11:49 /spec/csv_options/quotechar `spec.csv_options.delimiter` and `quotechar` must be different characters',
      ]);
    });

    it('accepts a one-character delimiter outside the BMP and a tab', () => {
      expect(() => validateConfig(TABULAR + 'spec: {csv_options: {delimiter: "\\t", quotechar: "😀"}}\n', 'f')).not.toThrow();
    });

    it('refuses a percentage above 100', () => {
      expect(messages(TABULAR + 'spec: {on_invalid_row: quarantine, max_invalid_rows: "100.5%"}\n')).toEqual(['`spec.max_invalid_rows` must be at most 100%']);
      expect(() => validateConfig(TABULAR + 'spec: {on_invalid_row: quarantine, max_invalid_rows: "100.0%"}\n', 'f')).not.toThrow();
      expect(messages(TABULAR + 'spec: {on_invalid_row: quarantine}\n')).toEqual([
        '`on_invalid_row: quarantine` needs `max_invalid_rows` (a count such as 10, or a percentage such as "1%")',
      ]);
      expect(messages(TABULAR + 'spec: {max_invalid_rows: 3}\n')).toEqual(['`max_invalid_rows` only applies with `on_invalid_row: quarantine`']);
    });
  });

  describe('YAML problems', () => {
    it('reports a syntax error with line:column', () => {
      const e = problems(TABULAR.replace('age: INT', 'age: INT\n    nested: x'));
      expect(e.errors[0]).toBeInstanceOf(IngestError);
      expect(e.errors[0]).toMatchObject({ code: 'CONFIG_YAML_SYNTAX', context: { file: 'ingest.yaml', line: 8, column: 8 } });
    });

    it('reports an unclosed flow sequence where the parser notices it', () => {
      // The parser only notices at the next line (11), which is where YAML reports it.
      const e = problems(TABULAR.replace('label: y', 'label: [y'));
      expect(e.errors[0]).toMatchObject({ code: 'CONFIG_YAML_SYNTAX', context: { file: 'ingest.yaml', line: 11, column: 1 } });
    });

    it('reports an unterminated quote with line:column', () => {
      const e = problems(TABULAR.replace('csv: /d/x.csv', 'csv: "/d/x.csv'));
      expect(e.errors[0]).toMatchObject({ code: 'CONFIG_YAML_SYNTAX' });
      expect(e.errors[0]?.context.line).toBeGreaterThanOrEqual(6);
    });

    it('refuses a duplicate key', () => {
      const e = problems(TABULAR + 'table: u\n');
      expect(e.errors).toHaveLength(1);
      expect(e.errors[0]).toMatchObject({ code: 'CONFIG_YAML_SYNTAX', message: 'duplicate key `table`', context: { line: 11, column: 1 } });
    });
  });
});

describe('validateConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads and validates the file', async () => {
    const path = join(dir, 'ingest.yaml');
    writeFileSync(path, TABULAR);
    const { config, text } = await validateConfigFile(path);
    expect(text).toBe(TABULAR);
    expect(config.table).toBe('t');
  });

  it('names the file in the problems it reports', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, TABULAR.replace('table: t', 'table: 9'));
    const e: unknown = await validateConfigFile(path).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IngestErrors);
    expect(e instanceof IngestErrors && e.errors[0]?.context.file).toBe(path);
  });

  it('refuses an unreadable file with CONFIG_UNREADABLE naming the path', async () => {
    const path = join(dir, 'missing.yaml');
    const e: unknown = await validateConfigFile(path).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IngestError);
    expect(e).toMatchObject({ code: 'CONFIG_UNREADABLE', context: { file: path } });
    expect(e instanceof IngestError && e.message).toContain(path);
  });

  it('refuses a directory', async () => {
    const e: unknown = await validateConfigFile(dir).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'CONFIG_UNREADABLE', context: { file: dir } });
  });
});
