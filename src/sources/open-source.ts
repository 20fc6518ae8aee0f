import type { SourcePlan } from '../config/types.js';
import { openCsv } from './csv.js';
import { openJson } from './json.js';
import type { OpenedSource } from './types.js';

/** Opens the plan's source, CSV or JSON, yielding cells in the order of `wanted`. */
export function openSource(plan: SourcePlan, wanted: readonly string[]): Promise<OpenedSource> {
  return plan.kind === 'csv' ? openCsv(plan, wanted) : openJson(plan, wanted);
}
