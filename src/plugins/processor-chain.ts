import { IngestError } from '../errors.js';
import type { RawCell, RawRecord } from '../sources/types.js';
import type { LoadedProcessor } from './load-processors.js';
import type { ProcessorContext, ProcessorRecord } from './types.js';

/**
 * Applies the configured processors, in order, to every record of a pass: cells become a record
 * by column name, each processor transforms it, and the cells are read back in column order.
 */
export async function* applyProcessors(
  records: AsyncIterable<RawRecord>,
  processors: readonly LoadedProcessor[],
  context: ProcessorContext,
  sourceFile: string,
): AsyncGenerator<RawRecord> {
  for (const p of processors) {
    try {
      await p.instance.start?.(context);
    } catch (err) {
      throw new IngestError('PROCESSOR_FAILED', `processor ${p.name} failed to start the ${context.pass} pass (${err instanceof Error ? err.name : 'error'})`, {
        file: sourceFile,
      });
    }
  }
  const { columns } = context;
  for await (const record of records) {
    // No prototype: a column may be called `__proto__` or `constructor`.
    let view: ProcessorRecord = Object.create(null) as ProcessorRecord;
    for (let i = 0; i < columns.length; i++) view[columns[i]!] = record.cells[i];
    for (const p of processors) {
      try {
        view = await p.instance.process(view, context);
      } catch (err) {
        throw new IngestError(
          'PROCESSOR_FAILED',
          `processor ${p.name} failed on this record (${err instanceof Error ? err.name : 'error'})`,
          { file: sourceFile, row: record.row },
        );
      }
      if (view === null || typeof view !== 'object') {
        throw new IngestError('PROCESSOR_FAILED', `processor ${p.name} returned no record`, { file: sourceFile, row: record.row });
      }
    }
    const cells: RawCell[] = columns.map((c) => {
      const v = view[c];
      if (v === undefined || v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
      throw new IngestError('PROCESSOR_FAILED', `a processor set column "${c}" to a ${typeof v}; values must be strings, numbers, booleans or null`, {
        file: sourceFile,
        row: record.row,
      });
    });
    yield { row: record.row, line: record.line, cells };
  }
}
