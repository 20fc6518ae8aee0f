import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

/** The escape hatch: an ES module processor, the successor of the Python custom processors. */
let root: string;

const DECRYPTOR = `
// A stand-in for an AES decryptor: base64 → text, for the column named in args.
export class Base64Decoder {
  constructor(args) { this.column = args.column; this.started = []; }
  start(context) { this.started.push(context.pass); if (!context.columns.includes(this.column)) throw new Error('no such column'); }
  process(record) {
    const v = record[this.column];
    if (typeof v === 'string') record[this.column] = Buffer.from(v, 'base64').toString('utf8');
    return record;
  }
}
export class Exploding { process() { throw new Error('boom with SECRET-VALUE'); } }
export const NotAClass = 42;
`;

beforeAll(async () => {
  root = await tempDir('tb-plugins-');
  await mkdir(path.join(root, 'phi'));
  const enc = (s: string) => Buffer.from(s).toString('base64');
  await writeFile(
    path.join(root, 'phi', 'records.csv'),
    `patient_id,age,encrypted_diagnosis,outcome\np1,40,${enc('flu')},yes\np2,51,${enc('cold')},no\n`,
  );
  await writeFile(path.join(root, 'phi', 'decrypt.mjs'), DECRYPTOR);
});

async function config(name: string, processor: string, klass: string): Promise<string> {
  const file = path.join(root, 'phi', `${name}.yaml`);
  await writeFile(
    file,
    `apiVersion: tracebloc.io/v1
kind: IngestConfig
table: ${name}
intent: train
category: tabular_classification
csv: /data/shared/phi/records.csv
schema:
  patient_id: VARCHAR(255)
  age: INT
  encrypted_diagnosis: VARCHAR(1024)
  outcome: VARCHAR(64)
label: outcome
spec:
  processors:
    - script: ${processor}
      class: ${klass}
      args:
        column: encrypted_diagnosis
`,
  );
  return file;
}

describe('record processors (plugins)', () => {
  it('run before the checks, in both passes, and what they return is what is written', async () => {
    const file = await config('phi_ok', './decrypt.mjs', 'Base64Decoder');
    const out = await tempDir();
    const r = await runCli(['run', file, '--storage-root', root, '--out', out], { env: cleanEnv() });
    expect(r.code, r.stderr).toBe(0);
    const rows = (await readFile(path.join(out, 'rows.ndjson'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((x) => x['encrypted_diagnosis'])).toEqual(['flu', 'cold']);
  });

  it('a processor that throws fails the run with its name and the row, not its message', async () => {
    const file = await config('phi_boom', './decrypt.mjs', 'Exploding');
    const r = await runCli(['plan', file, '--storage-root', root], { env: cleanEnv() });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('PROCESSOR_FAILED');
    expect(r.stderr).toContain('row 1');
    expect(r.stderr).toContain('Exploding');
    expect(r.stderr).not.toContain('SECRET-VALUE');
  });

  it.each([
    ['./decrypt.mjs', 'Missing', 'exports no class Missing'],
    ['./decrypt.mjs', 'NotAClass', 'exports no class NotAClass'],
    ['./nope.mjs', 'Base64Decoder', 'does not exist'],
  ])('%s %s is a clear config error', async (script, klass, message) => {
    const file = await config(`phi_${klass.toLowerCase()}`, script, klass);
    const r = await runCli(['plan', file, '--storage-root', root], { env: cleanEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('/spec/processors/0');
  });

  it('a Python processor is refused at validate, never skipped', async () => {
    const file = await config('phi_py', '/custom/decrypt.py', 'AESDecryptor');
    const r = await runCli(['validate', file], { env: cleanEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Python');
  });
});
