import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { Plan } from '../config/types.js';
import { randomBytes } from 'node:crypto';
import { IngestError } from '../errors.js';
import type { OutRow, PriorRun, RowSink, RunInfo, RunOutcome } from './types.js';

/**
 * Local mode: the rows a run would insert, one JSON object per line, in `<out>/rows.ndjson`,
 * with the same columns as the MySQL table. For previews on a laptop; nothing leaves the machine.
 */
export class LocalSink implements RowSink {
  readonly kind = 'local' as const;
  readonly where: string;
  private stream: WriteStream | null = null;
  private run: RunInfo | null = null;
  private failure: Error | null = null;

  constructor(
    private readonly plan: Plan,
    private readonly outDir: string,
  ) {
    this.where = path.join(outDir, 'rows.ndjson');
  }

  /** A local preview never resumes: each run writes its folder afresh. */
  async preflight(): Promise<PriorRun | null> {
    return null;
  }

  async open(run: RunInfo): Promise<{ salt: string }> {
    this.run = run;
    await mkdir(this.outDir, { recursive: true });
    this.stream = createWriteStream(this.where, { flags: 'w' });
    this.stream.on('error', (err) => {
      this.failure ??= err;
    });
    return { salt: randomBytes(32).toString('hex') };
  }

  async markProgress(): Promise<void> {}

  async write(rows: readonly OutRow[]): Promise<void> {
    const stream = this.stream;
    const run = this.run;
    if (!stream || !run) throw new Error('write before open');
    if (this.failure) throw localWriteFailed(this.failure);
    const lines: string[] = [];
    for (const r of rows) {
      const row: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, {
        data_id: r.dataId,
        label: r.label,
        data_intent: this.plan.intent,
        filename: r.filename,
        extension: r.extension,
        annotation: r.annotation,
        ingestor_id: run.ingestorId,
      });
      this.plan.columns.forEach((c, i) => {
        const v = r.values[i] ?? null;
        // FLOAT/DOUBLE travel as their checked text (see CasterOptions); a preview shows numbers.
        row[c.name] = c.type.kind === 'float' && typeof v === 'string' ? Number(v) : v;
      });
      lines.push(JSON.stringify(row));
    }
    if (!stream.write(lines.join('\n') + '\n')) await once(stream, 'drain');
  }

  async finish(outcome: RunOutcome): Promise<void> {
    await this.close();
    await writeFile(path.join(this.outDir, 'run.json'), JSON.stringify(outcome.summary, null, 2) + '\n');
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = null;
    if (stream) {
      stream.end();
      await once(stream, 'close');
    }
  }
}

function localWriteFailed(err: Error): IngestError {
  return new IngestError('FILE_COPY_FAILED', `writing the local rows file failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
}
