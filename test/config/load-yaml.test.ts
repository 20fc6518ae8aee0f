import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/config/load-yaml.js';
import type { IngestErrors } from '../../src/errors.js';
import { thrownErrors } from '../support/errors.js';

const syntaxErrors = (text: string): IngestErrors => thrownErrors(() => parseYaml(text, 'ingest.yaml'));

const text = [
  '# leading comment',
  'table: t',
  'label:',
  '  column: price',
  '  policy: bucket',
  'schema:',
  '  age: INT',
  '  "a/b": TEXT',
  'target_size: [448, 448]',
  'spec:',
  '  processors:',
  '    - script: /p.py',
  '      class: P',
  'empty:',
  'flow: {x: 1}',
].join('\n');

describe('parseYaml', () => {
  const loaded = parseYaml(text, 'ingest.yaml');

  it('returns the text and the data', () => {
    expect(loaded.text).toBe(text);
    expect(loaded.data).toMatchObject({ table: 't', label: { column: 'price', policy: 'bucket' }, empty: null });
  });

  it.each([
    ['', 1, 1],
    ['/table', 2, 8],
    ['/label', 4, 3],
    ['/label/policy', 5, 11],
    ['/schema/age', 7, 8],
    ['/schema/a~1b', 8, 10],
    ['/target_size', 9, 14],
    ['/target_size/1', 9, 20],
    ['/spec/processors/0', 12, 7],
    ['/spec/processors/0/class', 13, 14],
    ['/flow/x', 15, 11],
    // missing properties resolve to their parent mapping
    ['/label/bins', 4, 3],
    ['/spec/processors/0/args', 12, 7],
    ['/spec/processors/5', 12, 5],
    // no value: just after the colon
    ['/empty', 14, 7],
  ])('locates %j at %i:%i', (pointer, line, column) => {
    expect(loaded.locate(pointer)).toEqual({ line, column });
  });

  it.each([
    ['/label/policy', 5, 3],
    ['/schema/age', 7, 3],
    ['/spec', 10, 1],
    ['/target_size/0', 9, 15],
  ])('locates the key of %j at %i:%i', (pointer, line, column) => {
    expect(loaded.locateKey(pointer)).toEqual({ line, column });
  });

  it('reports a syntax error with line and column', () => {
    const e = syntaxErrors('table: t\nlabel: [a, b\nintent: train\n');
    expect(e.errors[0]).toMatchObject({ code: 'CONFIG_YAML_SYNTAX', context: { file: 'ingest.yaml', line: 3, column: 1 } });
  });

  it('reports tabs used as indentation', () => {
    const e = syntaxErrors('label:\n\tcolumn: x\n');
    expect(e.errors[0]).toMatchObject({ code: 'CONFIG_YAML_SYNTAX', context: { line: 2, column: 1 } });
    expect(e.errors[0]?.message).toMatch(/tab/i);
  });

  it('rejects duplicate keys, naming the key', () => {
    const e = syntaxErrors('table: a\nintent: train\ntable: b\n');
    expect(e.errors).toHaveLength(1);
    expect(e.errors[0]).toMatchObject({ code: 'CONFIG_YAML_SYNTAX', message: 'duplicate key `table`', context: { line: 3, column: 1 } });
  });

  it('rejects duplicate keys in nested mappings', () => {
    const e = syntaxErrors('schema:\n  a: INT\n  b: INT\n  a: TEXT\n');
    expect(e.errors[0]).toMatchObject({ message: 'duplicate key `a`', context: { line: 4, column: 3 } });
  });

  it('reports every syntax problem, sorted by position', () => {
    const e = syntaxErrors('a: 1\nb: 2\na: 3\nb: 4\n');
    expect(e.errors.map((x) => x.context.line)).toEqual([3, 4]);
  });

  it('rejects several documents in one file', () => {
    const e = syntaxErrors('table: a\n---\ntable: b\n');
    expect(e.errors[0]).toMatchObject({ code: 'CONFIG_YAML_SYNTAX', context: { line: 2 } });
  });

  it('treats warnings (unknown tags) as errors', () => {
    const e = syntaxErrors('table: !secret t\n');
    expect(e.errors[0]).toMatchObject({ code: 'CONFIG_YAML_SYNTAX', context: { line: 1, column: 8 } });
  });

  it('refuses alias expansion bombs', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
      'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
    ].join('\n');
    const e = syntaxErrors(bomb);
    expect(e.errors[0]).toMatchObject({ code: 'CONFIG_YAML_SYNTAX' });
    expect(e.errors[0]?.message).toMatch(/alias/);
  });

  it('allows a few aliases', () => {
    expect(parseYaml('a: &x [1, 2]\nb: *x\n', 'f').data).toEqual({ a: [1, 2], b: [1, 2] });
  });

  it('uses YAML 1.2 scalars (yes/no/on stay strings)', () => {
    expect(parseYaml('a: yes\nb: on\nc: 0777\n', 'f').data).toEqual({ a: 'yes', b: 'on', c: 777 });
  });
});
