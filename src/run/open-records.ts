import type { Plan } from '../config/types.js';
import { loadProcessors, type LoadedProcessor } from '../plugins/load-processors.js';
import { applyProcessors } from '../plugins/processor-chain.js';
import { openSource } from '../sources/open-source.js';
import type { OpenedSource } from '../sources/types.js';

/**
 * The records of a pass: the source, through the configured processors. Both passes read through
 * here, so checks and writes see exactly the same records.
 */
export async function openRecords(
  plan: Plan,
  wanted: readonly string[],
  pass: 'check' | 'write',
  processors?: readonly LoadedProcessor[],
  /** Given every chunk of the source file's bytes as it is read (the source fingerprint). */
  onBytes?: (chunk: Buffer) => void,
): Promise<OpenedSource> {
  const source = await openSource(plan.source, wanted, onBytes);
  if (plan.processors.length === 0) return source;
  const loaded = processors ?? (await loadProcessors(plan));
  return {
    available: source.available,
    records: applyProcessors(source.records, loaded, { columns: wanted, pass }, plan.source.configured),
    close: () => source.close(),
  };
}
