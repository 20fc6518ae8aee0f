import { pino, type Logger } from 'pino';
import { REDACT_PATHS } from './redaction.js';
import { ttyDestination } from './tty-format.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** pino level; `LOG_LEVEL` env. */
  level?: string;
  /** Human-readable lines (a TTY) instead of JSON (the container). */
  pretty?: boolean;
  /** Where log lines go; stderr by default so stdout stays for the banner and --json. */
  stream?: NodeJS.WritableStream;
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function createLogger(options: LoggerOptions = {}): Logger {
  const out = options.stream ?? process.stderr;
  const level = options.level && LEVELS.has(options.level.toLowerCase()) ? options.level.toLowerCase() : 'info';
  return pino(
    {
      name: 'tracebloc-ingest',
      level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    options.pretty ? ttyDestination(out) : (out as unknown as pino.DestinationStream),
  );
}
