import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { IngestError } from '../errors.js';
import type { Plan, ProcessorPlan } from '../config/types.js';
import type { RecordProcessor, RecordProcessorClass } from './types.js';

export interface LoadedProcessor {
  readonly name: string;
  readonly instance: RecordProcessor;
}

/** Imports each configured processor module and constructs its class with its args. */
export async function loadProcessors(plan: Plan): Promise<LoadedProcessor[]> {
  const loaded: LoadedProcessor[] = [];
  for (const p of plan.processors) {
    loaded.push({ name: p.className, instance: await construct(p, plan.configPath) });
  }
  return loaded;
}

async function construct(p: ProcessorPlan, configPath: string): Promise<RecordProcessor> {
  const at = { file: configPath, path: `/spec/processors/${p.index}` };
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(p.script).href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new IngestError(
      'CONFIG_INVALID',
      code === 'ERR_MODULE_NOT_FOUND'
        ? `processor script ${path.basename(p.script)} does not exist`
        : `processor script ${path.basename(p.script)} cannot be loaded (${err instanceof Error ? err.name : 'error'})`,
      at,
    );
  }
  const ctor = mod[p.className];
  if (typeof ctor !== 'function' || typeof (ctor as { prototype?: { process?: unknown } }).prototype?.process !== 'function') {
    throw new IngestError('CONFIG_INVALID', `processor script ${path.basename(p.script)} exports no class ${p.className} with a process() method`, at);
  }
  try {
    return new (ctor as RecordProcessorClass)(p.args);
  } catch (err) {
    throw new IngestError('CONFIG_INVALID', `processor ${p.className} failed to start (${err instanceof Error ? err.name : 'error'})`, at);
  }
}
