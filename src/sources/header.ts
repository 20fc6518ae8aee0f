import { IngestError, IngestErrors } from '../errors.js';

/** A CSV header must name every column once; an empty or duplicated name is ambiguous. */
export function checkHeader(header: readonly string[], file: string): void {
  const problems: IngestError[] = [];
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name.trim() === '') {
      problems.push(new IngestError('CSV_HEADER_INVALID', `header column ${i + 1} has no name`, { file, line: 1 }));
    } else if (seen.has(name)) {
      // Positions, not names: in a file without a header row, the "names" are data.
      problems.push(new IngestError('CSV_HEADER_INVALID', `header column ${i + 1} repeats the name of column ${header.indexOf(name) + 1}`, { file, line: 1 }));
    }
    if (name.includes('\u0000')) {
      problems.push(new IngestError('CSV_HEADER_INVALID', `header column ${i + 1} contains a NUL byte`, { file, line: 1 }));
    }
    seen.add(name);
  });
  if (problems.length > 0) throw new IngestErrors(problems);
}

/**
 * Index of each wanted column in the header. Names match exactly; a case-insensitive near miss is
 * named in the error so the customer sees what to fix.
 */
export function columnIndexes(header: readonly string[], wanted: readonly string[], file: string): number[] {
  const problems: IngestError[] = [];
  const indexes = wanted.map((name) => {
    const i = header.indexOf(name);
    if (i >= 0) return i;
    const near = header.find((h) => h.trim().toLowerCase() === name.toLowerCase());
    problems.push(
      new IngestError(
        'COLUMN_MISSING',
        near !== undefined
          ? `column "${name}" is not in the source; "${near}" differs only in case or spacing — names must match exactly`
          : `column "${name}" is not in the source`,
        { file, field: name },
      ),
    );
    return -1;
  });
  if (problems.length > 0) throw new IngestErrors(problems);
  return indexes;
}
