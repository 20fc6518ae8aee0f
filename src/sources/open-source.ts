import type { SourcePlan } from '../config/types.js';
import { openCsv } from './csv.js';
import { openJson } from './json.js';
import type { OpenedSource } from './types.js';

/**
 * Opens the plan's source, CSV or JSON, yielding cells in the order of `wanted`; `onBytes` is
 * given every chunk of the file's bytes, in order, as it is read.
 */
export function openSource(plan: SourcePlan, wanted: readonly string[], onBytes?: (chunk: Buffer) => void): Promise<OpenedSource> {
  return plan.kind === 'csv' ? openCsv(plan, wanted, onBytes) : openJson(plan, wanted, onBytes);
}
