import path from 'node:path';
import { IngestError, IngestErrors } from '../errors.js';
import { parseYaml } from './load-yaml.js';
import { resolvePlan, type PlanOptions } from './plan.js';
import type { IngestConfig, Plan } from './types.js';
import { validateConfigFile } from './validate.js';

/**
 * Reads, validates and resolves an ingest.yaml into a plan. Throws IngestError(s); every config
 * problem carries its YAML line:column, whether JSON Schema or the conventions found it.
 */
export async function loadPlan(
  configPath: string,
  options: Omit<PlanOptions, 'configPath' | 'configText'>,
): Promise<{ config: IngestConfig; plan: Plan }> {
  const { config, text } = await validateConfigFile(configPath);
  const shown = path.relative(process.cwd(), configPath) || configPath;
  try {
    return { config, plan: resolvePlan(config, { ...options, configPath: shown, configText: text }) };
  } catch (err) {
    if (err instanceof IngestErrors) throw new IngestErrors(err.errors.map((e) => locate(e, text, configPath)));
    if (err instanceof IngestError) throw locate(err, text, configPath);
    throw err;
  }
}

function locate(e: IngestError, text: string, file: string): IngestError {
  if (e.context.path === undefined || e.context.line !== undefined) return e;
  const { line, column } = parseYaml(text, file).locate(e.context.path);
  return new IngestError(e.code, e.message, { ...e.context, file, line, column });
}
