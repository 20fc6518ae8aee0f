import path from 'node:path';
import { resolvePlan, type PlanOptions } from './plan.js';
import type { IngestConfig, Plan } from './types.js';
import { validateConfigFile } from './validate.js';

/** Reads, validates and resolves an ingest.yaml into a plan. Throws IngestError(s) with positions. */
export async function loadPlan(
  configPath: string,
  options: Omit<PlanOptions, 'configPath' | 'configText'>,
): Promise<{ config: IngestConfig; plan: Plan }> {
  const { config, text } = await validateConfigFile(configPath);
  const plan = resolvePlan(config, { ...options, configPath: path.relative(process.cwd(), configPath) || configPath, configText: text });
  return { config, plan };
}
