import type { IngestError } from '../errors.js';

/** Prints problems one per line, located, never with cell values; says how many were left out. */
export function formatProblems(problems: readonly IngestError[], total: number): string {
  const lines = problems.map((p) => `  ✗ ${p.describe()}`);
  if (total > problems.length) lines.push(`  … and ${total - problems.length} more problem(s) of the same kinds`);
  return lines.join('\n');
}

export function writeLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}
