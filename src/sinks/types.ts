import type { CellValue } from '../records/cast.js';

/** One row as every sink writes it: the platform columns plus the declared feature columns. */
export interface OutRow {
  readonly dataId: string;
  /** Exact label (MySQL keeps it; only the backend sees the policy's encoding). */
  readonly label: string | null;
  readonly filename: string | null;
  readonly extension: string | null;
  readonly annotation: string | null;
  /** Declared feature columns in plan order. */
  readonly values: readonly CellValue[];
}

/** Facts about the run that sinks record. */
export interface RunInfo {
  readonly ingestorId: string;
  readonly correlationId: string | null;
  readonly startedAt: Date;
}

export interface RunOutcome {
  readonly status: 'succeeded' | 'failed' | 'interrupted';
  readonly counters: Readonly<Record<string, number>>;
  readonly summary: unknown;
}

/** Where rows go. Each method resolves only when its effect is durable. */
export interface RowSink {
  readonly kind: 'mysql' | 'local';
  /** Human description of where rows go (no credentials). */
  readonly where: string;
  /** Read-only checks before the check pass: refuse early if the destination holds a dataset. */
  preflight(): Promise<void>;
  /** Creates the destination. Called only after the check pass accepted every record. */
  open(run: RunInfo): Promise<void>;
  /** Writes one batch; resolves when it is committed. */
  write(rows: readonly OutRow[]): Promise<void>;
  /** Records the run's outcome. */
  finish(outcome: RunOutcome): Promise<void>;
  close(): Promise<void>;
}
