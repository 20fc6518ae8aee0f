/**
 * @tracebloc/ingestor — the library API. The CLI (`tracebloc-ingest`) is a thin layer over it.
 *
 *   const { plan } = await loadPlan('ingest.yaml', { storageRoot: '/data/shared' });
 *   const result = await ingest({ plan, mode: 'plan', sink, openBackend, logger, ingestorId, correlationId: null });
 */
export { IngestError, IngestErrors, ERROR_CODES, describeContext } from './errors.js';
export type { ErrorCode, ErrorClass, ErrorContext } from './errors.js';

export { validateConfig, validateConfigFile } from './config/validate.js';
export { resolvePlan, type PlanOptions } from './config/plan.js';
export { loadPlan } from './config/load-config.js';
export { parseSqlType } from './config/sql-type.js';
export { CATEGORIES, conventionFor, type CategoryConvention } from './config/categories.js';
export type {
  Category,
  ColumnPlan,
  DataIdPlan,
  Family,
  FileSetPlan,
  ImagePlan,
  IngestConfig,
  Intent,
  JsonValue,
  LabelConfig,
  LabelPlan,
  Plan,
  SourcePlan,
  SqlType,
} from './config/types.js';

export { openSource } from './sources/open-source.js';
export type { OpenedSource, RawCell, RawRecord } from './sources/types.js';
export { casterFor, isCastFailure, type CellValue, type Caster, type CastFailure } from './records/cast.js';

export { computeBuckets, bucketIndex, type BucketSpec, type Buckets } from './labels/bucket.js';
export { bucketEncoder, passthroughEncoder, type LabelEncoder } from './labels/policy.js';
export { dataIdAssigner, type DataIdAssigner } from './keys/data-id.js';
export type { DeferredJsonIds, JsonDataIds } from './keys/json-ids.js';

export { MysqlSink, type MysqlSinkOptions } from './sinks/mysql/mysql-sink.js';
export { mysqlSettingsFromEnv, type MysqlSettings } from './sinks/mysql/settings.js';
export { LocalSink } from './sinks/local-sink.js';
export type { OutRow, PriorRun, RowSink, RunInfo, RunOutcome } from './sinks/types.js';

export { BackendClient, type HeldRows, type RowMeta } from './backend/client.js';
export { HttpTransport, type HttpTransportOptions } from './backend/http-transport.js';
export { DryRunTransport } from './backend/dry-run-transport.js';
export { EgressLog } from './backend/egress-log.js';
export { resolveBackendUrl } from './backend/endpoints.js';
export type { BackendRequest, BackendResponse, Transport } from './backend/transport.js';

export type { CategoryRuntime, CellProblem } from './categories/types.js';
export type { FileHandler, RecordFiles } from './files/types.js';
export type { ProcessorContext, ProcessorRecord, RecordProcessor, RecordProcessorClass } from './plugins/types.js';

export { ingest, type IngestOptions, type IngestResult, type RunStatus } from './run/ingest.js';
export { egressPreview, type PreviewRequest } from './run/egress-preview.js';
export { formatBanner } from './report/banner.js';
export { EXIT, exitCodeFor, type ExitCode } from './report/exit-codes.js';
export { createLogger, type LoggerOptions } from './log/logger.js';
export { runCli, type CliIO } from './cli/commands.js';
export { VERSION } from './version.js';
