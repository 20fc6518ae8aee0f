import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { v4 as uuidv4 } from 'uuid';
import { IngestError, IngestErrors } from '../errors.js';
import { loadPlan } from '../config/load-config.js';
import type { Plan } from '../config/types.js';
import { BackendClient } from '../backend/client.js';
import { DryRunTransport } from '../backend/dry-run-transport.js';
import { EgressLog } from '../backend/egress-log.js';
import type { Transport } from '../backend/transport.js';
import { createLogger, type Logger } from '../log/logger.js';
import { formatBanner } from '../report/banner.js';
import { EXIT, exitCodeFor } from '../report/exit-codes.js';
import { ingest, toIngestError, type IngestResult } from '../run/ingest.js';
import { acquireTableLock, type TableLock } from '../run/table-lock.js';
import { newCounters } from '../report/counters.js';
import { egressPreview } from '../run/egress-preview.js';
import { LocalSink } from '../sinks/local-sink.js';
import { MysqlSink } from '../sinks/mysql/mysql-sink.js';
import type { RowSink } from '../sinks/types.js';
import { parseCliArgs, USAGE, type CliArgs } from './args.js';
import { readRuntimeEnv, requireContainerEnv, type RuntimeEnv } from './environment.js';
import { formatProblems, writeLine } from './output.js';
import { VERSION } from '../version.js';

/** How long a backend request in flight may still finish after SIGTERM. */
const BACKEND_GRACE_MS = 3000;

export interface CliIO {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on SIGTERM/SIGINT. */
  readonly signal?: AbortSignal;
}

/** Runs the CLI; resolves to the process exit status. Never throws. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let args: CliArgs;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    writeLine(io.stderr, toIngestError(err).message);
    return EXIT.CONFIG;
  }
  switch (args.command) {
    case 'help':
      writeLine(io.stdout, USAGE);
      return EXIT.OK;
    case 'version':
      writeLine(io.stdout, VERSION);
      return EXIT.OK;
    case 'validate':
      return validateCommand(args, io);
    default:
      return ingestCommand(args, io);
  }
}

async function validateCommand(args: CliArgs, io: CliIO): Promise<number> {
  const file = args.file ?? '';
  try {
    const { config } = await loadPlan(file, { storageRoot: args.storageRoot ?? '/data/shared' });
    if (args.json) writeLine(io.stdout, JSON.stringify({ valid: true, file, category: config.category, table: config.table }));
    else writeLine(io.stdout, `✓ ${file} is valid: ${config.category} → table ${config.table}`);
    return EXIT.OK;
  } catch (err) {
    const problems = err instanceof IngestErrors ? err.errors : [toIngestError(err)];
    writeLine(io.stderr, `✗ ${file} is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}):`);
    writeLine(io.stderr, formatProblems(problems, problems.length));
    if (args.json) writeLine(io.stdout, JSON.stringify({ valid: false, file, errors: problems.map((p) => p.toJSON()) }));
    return exitCodeFor(problems[0]?.errorClass ?? 'config');
  }
}

/** `plan`, `run` and container mode. */
async function ingestCommand(args: CliArgs, io: CliIO): Promise<number> {
  const container = args.command === 'container';
  let logger: Logger = createLogger({ pretty: false, stream: io.stderr });
  let env: RuntimeEnv;
  let plan: Plan;
  try {
    if (container) requireContainerEnv(io.env);
    env = readRuntimeEnv(io.env, args.storageRoot);
    logger = createLogger({ level: env.logLevel, pretty: !container && io.stderr.isTTY === true, stream: io.stderr });
    const configPath = container ? (env.configPath ?? '') : (args.file ?? '');
    ({ plan } = await loadPlan(configPath, { storageRoot: env.storageRoot, batchSize: env.batchSize }));
  } catch (err) {
    const problems = err instanceof IngestErrors ? err.errors : [toIngestError(err)];
    writeLine(io.stderr, `✗ cannot start (${problems.length} problem${problems.length === 1 ? '' : 's'}):`);
    writeLine(io.stderr, formatProblems(problems, problems.length));
    if (args.json) writeLine(io.stdout, JSON.stringify({ status: 'rejected', errors: problems.map((p) => p.toJSON()) }));
    return exitCodeFor(problems[0]?.errorClass ?? 'config');
  }

  const proposedId = uuidv4();
  const reportDirFor = (id: string) =>
    container
      ? path.join(env.storageRoot, '.tracebloc-ingest', 'reports', plan.table, id)
      : path.resolve(args.out ?? path.join('ingest-out', plan.table));
  const sink: RowSink = env.mysql
    ? new MysqlSink(plan, env.mysql, {
        writeMethod: env.mysqlWriteMethod,
        onFallback: (errno) => logger.info({ errno }, 'the server refuses LOAD DATA LOCAL INFILE; writing with INSERT'),
        signal: io.signal,
        onRetry: (i) => logger.warn({ attempt: i.attempt, code: i.code }, 'MySQL retry'),
      })
    : new LocalSink(plan, reportDirFor(proposedId));
  let transport: Transport | null = null;
  let egress: EgressLog | null = null;

  const modeLine =
    args.command === 'plan'
      ? `mode: plan — checks ${plan.source.configured}; writes nothing, sends nothing`
      : `mode: ${container ? 'container' : env.mysql ? 'cluster MySQL' : 'local'} — rows → ${sink.where}; backend → ${
          env.token ? env.backendUrl : `dry run, requests recorded in ${path.join(reportDirFor(proposedId), 'egress.ndjson')}`
        }`;
  writeLine(io.stdout, modeLine);
  logger.info(
    { ingestorId: proposedId, correlationId: env.correlationId, table: plan.table, category: plan.category, mode: args.command },
    'ingest starting',
  );

  // On SIGTERM the run stops reading at once, but a backend request in flight may finish for a
  // grace period: aborting it could leave metadata accepted by the backend yet unrecorded here.
  const backendAbort = new AbortController();
  io.signal?.addEventListener('abort', () => setTimeout(() => backendAbort.abort(io.signal?.reason), BACKEND_GRACE_MS).unref(), {
    once: true,
  });
  let lock: TableLock | null = null;
  let result: IngestResult;
  try {
    if (args.command !== 'plan') lock = await acquireTableLock(env.storageRoot, plan.table, proposedId);
    result = await ingest({
      plan,
      mode: args.command === 'plan' ? 'plan' : 'run',
      sink,
      logger,
      ingestorId: proposedId,
      correlationId: env.correlationId,
      title: env.title ?? undefined,
      signal: io.signal,
      tty: !container && io.stderr.isTTY ? (io.stderr as NodeJS.WriteStream) : null,
      // Checked rows kept for the write pass: on the storage volume, next to the table lock.
      spoolDir: path.join(env.storageRoot, '.tracebloc-ingest', 'spool'),
      // Files copied during the check pass, renamed into <storage-root>/<table>/ once accepted: same volume.
      stageDir: path.join(env.storageRoot, '.tracebloc-ingest', 'stage'),
      // The HTTP client's code, loaded while the check pass reads (see openBackend below).
      prepareBackend: env.token
        ? async () => {
            await import('../backend/http-transport.js');
          }
        : undefined,
      openBackend: async (ingestorId) => {
        const dir = reportDirFor(ingestorId);
        await mkdir(dir, { recursive: true });
        const egressPath = path.join(dir, 'egress.ndjson');
        // A local preview starts its record afresh; a cluster run appends (a resumed run continues it).
        if (!container && !env.mysql) await rm(egressPath, { force: true });
        egress = await EgressLog.open(egressPath);
        // The HTTP transport (undici) only when a request will be made: a plan or a dry run never
        // evaluates it (in the bundle its code is only parsed at start; from dist/cli/ it is not
        // even loaded, ≈ 100 ms).
        transport = env.token
          ? new (await import('../backend/http-transport.js')).HttpTransport({
              baseUrl: env.backendUrl,
              token: env.token,
              retries: env.backendRetries,
              baseDelayMs: env.backendRetryBaseMs,
              timeoutMs: env.backendTimeoutMs,
              onRetry: (i) => logger.warn({ path: i.path, retry: i.retry, status: i.status, error: i.error }, 'backend retry'),
            })
          : new DryRunTransport();
        return new BackendClient(transport, { table: plan.table, ingestorId, intent: plan.intent, egress, signal: backendAbort.signal });
      },
    });
  } catch (err) {
    const error = toIngestError(err);
    result = {
      status: 'failed',
      exitCode: exitCodeFor(error.errorClass),
      ingestorId: proposedId,
      resumed: null,
      counters: newCounters(),
      error,
      problems: [],
      problemCount: 0,
      check: null,
      labels: null,
      timings: { checkMs: 0, writeMs: 0, registerMs: 0, totalMs: 0 },
    };
  } finally {
    await sink.close().catch(() => undefined);
    await lock?.release().catch(() => undefined);
  }
  await (transport as Transport | null)?.close().catch(() => undefined);
  await (egress as EgressLog | null)?.close().catch(() => undefined);
  const egressPath = (egress as EgressLog | null)?.file ?? null;
  const reportDir = reportDirFor(result.ingestorId);

  if (result.problems.length > 0) {
    const verb = result.status === 'quarantined' ? 'left out (quarantined)' : 'refused; nothing was written';
    writeLine(io.stderr, `✗ the data was ${verb} (${result.problemCount} problem${result.problemCount === 1 ? '' : 's'}):`);
    writeLine(io.stderr, formatProblems(result.problems, result.problemCount));
  }
  if (result.error) {
    logger.error({ code: result.error.code, context: result.error.context, ...internalTrace(result.error) }, result.error.describe());
    writeLine(io.stderr, `✗ ${result.error.describe()}`);
  }
  let quarantinePath: string | null = null;
  if (result.status === 'quarantined' && result.check) {
    quarantinePath = path.join(reportDir, 'quarantine.ndjson');
    await mkdir(reportDir, { recursive: true });
    await writeFile(quarantinePath, result.check.quarantine.map((q) => JSON.stringify(q)).join('\n') + '\n');
    logger.warn({ quarantine: quarantinePath, rows: result.counters.skipped }, 'invalid rows left out; see the quarantine file');
  }

  if (args.command === 'plan') {
    if (result.status === 'planned') printPlan(io, plan, result, result.ingestorId, env.title ?? `${plan.category}_${result.ingestorId}`, env);
  } else {
    if (egressPath) logger.info({ egress: egressPath }, 'egress record written');
    writeLine(io.stdout, formatBanner(result.ingestorId, result.counters));
  }
  const summary = {
    status: result.status,
    exit_code: result.exitCode,
    ingestor_id: result.ingestorId,
    correlation_id: env.correlationId,
    resumed: result.resumed !== null,
    table: plan.table,
    category: plan.category,
    config_hash: plan.configHash,
    counters: result.counters,
    timings_ms: result.timings,
    rows: sink.where,
    egress: egressPath ? { path: egressPath, requests: (egress as EgressLog | null)?.count ?? 0 } : null,
    quarantine: quarantinePath,
    error: result.error?.toJSON() ?? null,
    problems: result.problems.map((p) => p.toJSON()),
    problem_count: result.problemCount,
  };
  if (egressPath) {
    await writeFile(path.join(reportDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n').catch(() => undefined);
  }
  logger.info({ status: result.status, exitCode: result.exitCode, counters: result.counters, timings: result.timings }, 'ingest finished');
  if (args.json) writeLine(io.stdout, JSON.stringify(summary));
  return result.exitCode;
}

function printPlan(io: CliIO, plan: Plan, result: IngestResult, ingestorId: string, title: string, env: RuntimeEnv): void {
  const rows = result.counters.processed;
  const lines = [
    `✓ ${result.counters.total} records checked, all valid${result.check?.files ? `; ${result.check.files} files checked` : ''}`,
    '',
    'A run would write:',
    `  ${rows} rows → ${env.mysql ? `MySQL ${env.mysql.database}.${plan.table}` : `table ${plan.table}`}`,
    `  columns: label, data_intent, data_id, filename, extension, annotation, ingestor_id${
      plan.columns.length ? ', ' + plan.columns.map((c) => `${c.name} ${c.type.sql}`).join(', ') : ''
    }`,
  ];
  if (result.check?.files) lines.push(`  ${result.check.files} files → ${plan.destination}/`);
  lines.push('', 'A run would send to the backend (nothing else leaves the cluster):');
  for (const r of egressPreview(plan, rows, result.labels, ingestorId, title)) {
    lines.push(`  ${r.method} ${r.path}${r.query ? '?' + new URLSearchParams(r.query).toString() : ''}${r.repeat !== undefined ? `  ×${r.repeat} (${r.rows} rows)` : ''}`);
    if (r.body !== undefined) lines.push(`      ${JSON.stringify(r.body)}`);
    if (r.note) lines.push(`      (${r.note})`);
  }
  writeLine(io.stdout, lines.join('\n'));
}

/**
 * For bugs only: where it happened (the stack frames), without the cause's message line, which
 * may quote data (a driver message such as "Duplicate entry '…'").
 */
function internalTrace(error: IngestError): { cause?: { name: string; code?: string; frames: string[] } } {
  if (error.code !== 'INTERNAL' || !(error.cause instanceof Error)) return {};
  const c = error.cause as Error & { code?: unknown };
  return {
    cause: {
      name: c.name,
      code: typeof c.code === 'string' ? c.code : undefined,
      // Only the `at …` frames: the message lines may quote data.
      frames: (c.stack ?? '')
        .split('\n')
        .filter((l) => /^\s*at /.test(l))
        .slice(0, 8)
        .map((l) => l.trim()),
    },
  };
}
