/**
 * Helpers of the category unit tests (image and text families): the plan and the opened file
 * handler the registry builds for a config, records as the cell checks produce them, refusals and
 * a write pass over a handler.
 */
import { mkdir } from 'node:fs/promises';
import { runtimeFor } from '../../src/categories/registry.js';
import { resolvePlan } from '../../src/config/plan.js';
import type { IngestConfig, Plan } from '../../src/config/types.js';
import type { IngestError } from '../../src/errors.js';
import type { FileHandler } from '../../src/files/types.js';
import type { CheckedCells } from '../../src/records/record-checker.js';
import { rejection } from './errors.js';
import { listFiles } from './files.js';

/** The plan of `config` (a train config over `/data/shared/ds/labels.csv` unless it says otherwise) under `root`, and its opened file handler. */
export async function planAndHandler(root: string, config: Partial<IngestConfig>): Promise<{ plan: Plan; handler: FileHandler }> {
  const full = {
    apiVersion: 'tracebloc.io/v1',
    kind: 'IngestConfig',
    intent: 'train',
    csv: '/data/shared/ds/labels.csv',
    ...config,
  } as IngestConfig;
  const plan = resolvePlan(full, { configPath: 'ingest.yaml', configText: '', storageRoot: root });
  const handler = runtimeFor(plan.category).createFileHandler!(plan);
  await handler.open();
  return { plan, handler };
}

/** A record as the cell checks produce it: row 1, label `x`, no values, extras or annotation unless given. */
export function checkedCells(fileReference: string, fields: Partial<CheckedCells> = {}): CheckedCells {
  return {
    row: 1,
    values: [],
    label: 'x',
    labelNumber: Number.NaN,
    dataIdSource: null,
    fileReference,
    extras: [],
    annotation: null,
    ...fields,
  };
}

/** The IngestError `check` rejects with. */
export function refusal(handler: FileHandler, record: CheckedCells): Promise<IngestError> {
  return rejection(handler.check(record));
}

/** A write pass over `records` (resolve + copy, then afterWrite); returns the destination's files, recursively. */
export async function writeAll(plan: Plan, handler: FileHandler, records: CheckedCells[]): Promise<string[]> {
  await mkdir(plan.destination, { recursive: true });
  await handler.open();
  for (const r of records) await handler.copy(await handler.resolve(r));
  await handler.afterWrite?.();
  return listFiles(plan.destination);
}
