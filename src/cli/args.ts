import { parseArgs } from 'node:util';
import { IngestError } from '../errors.js';

export type Command = 'container' | 'validate' | 'plan' | 'run' | 'help' | 'version';

export interface CliArgs {
  readonly command: Command;
  readonly file: string | null;
  readonly storageRoot: string | null;
  readonly out: string | null;
  readonly json: boolean;
}

export const USAGE = `Usage:
  tracebloc-ingest                      container mode: reads INGEST_CONFIG and the platform env
  tracebloc-ingest validate FILE        check the ingest.yaml only (exit 0 valid, 2 invalid)
  tracebloc-ingest plan FILE            check the config and every record and file; write nothing;
                                        print what a run would write and send
  tracebloc-ingest run FILE             the whole ingest (local mode unless MYSQL_HOST / BACKEND_TOKEN are set)

Options:
  --storage-root DIR   where /data/shared paths of the YAML live (env STORAGE_ROOT, default /data/shared)
  --out DIR            local mode: where rows.ndjson and egress.ndjson go (default ./ingest-out/<table>)
  --json               print one JSON summary object as the last line of stdout
  -h, --help           this text
  --version            the ingestor version`;

export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'storage-root': { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    throw new IngestError('USAGE', `${err instanceof Error ? err.message : 'invalid arguments'}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const base = {
    storageRoot: values['storage-root'] ?? null,
    out: values.out ?? null,
    json: values.json ?? false,
  };
  if (values.help) return { command: 'help', file: null, ...base };
  if (values.version) return { command: 'version', file: null, ...base };
  const [command, file, ...rest] = positionals;
  if (command === undefined) return { command: 'container', file: null, ...base };
  if (command !== 'validate' && command !== 'plan' && command !== 'run') {
    throw new IngestError('USAGE', `unknown command "${command}"\n\n${USAGE}`);
  }
  if (file === undefined) throw new IngestError('USAGE', `${command} needs the path of an ingest.yaml\n\n${USAGE}`);
  if (rest.length > 0) throw new IngestError('USAGE', `unexpected arguments after ${file}\n\n${USAGE}`);
  return { command, file, ...base };
}
