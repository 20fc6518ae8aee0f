#!/usr/bin/env node
// `npm run bench`: the ingestor's benchmark suite (issue 5, part 1).
//
// For each workload: deterministic dataset (cached in bench/.data/), the machine's limit measured on
// the same rows/files, then the real built CLI as the image runs it (`<image node> <ENTRYPOINT flags> dist/cli.mjs run …`) against the
// machine's MariaDB (fresh database) and a loopback backend (fresh port). One JSON line per
// workload on stdout; progress on stderr.
//
//   node bench/run.mjs [--only tabular-200k,images-fixed] [--quick] [--repeat N] [--profile] [--keep]
//
// Never contacts anything but 127.0.0.1 (unless BENCH_MYSQL_HOST says otherwise).
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import sharp from 'sharp';
import { startBackend } from './lib/backend.mjs';
import { ensureImages, ensureTabular, TABULAR_COLUMNS } from './lib/datasets.mjs';
import { imageLimit, loadDataLimit } from './lib/limits.mjs';
import { imageEntrypoint } from './lib/image-entrypoint.mjs';
import { imageNode } from '../scripts/image-node.mjs';
import { cpuSecondsOf, findMysqld, GNU_TIME, machineBusySeconds, runMeasured, running, waitQuiet } from './lib/measure.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The script the image's ENTRYPOINT runs (the bundle, dist/cli.mjs), with its node flags. */
const ENTRYPOINT = imageEntrypoint(REPO);
const CLI = ENTRYPOINT.script;
const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);
/** The CLI runs with the node flags the image's ENTRYPOINT gives it, then any from BENCH_NODE_ARGS. */
const CLI_NODE_FLAGS = [...ENTRYPOINT.flags, ...(process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter(Boolean)];
const DATA = path.join(REPO, 'bench', '.data');
const TOKEN = 'bench';

const MYSQL = {
  host: process.env['BENCH_MYSQL_HOST'] || '127.0.0.1',
  port: Number(process.env['BENCH_MYSQL_PORT'] || 3306),
  user: process.env['BENCH_DB_USER'] || 'root',
  password: process.env['BENCH_DB_PASSWORD'] ?? '',
};

const USAGE = `Usage: node bench/run.mjs [options]   (npm run bench builds first)

  --only LIST   comma-separated workloads: tabular-200k, tabular-1m, images-fixed, images-varied, images-fixed-decode
  --quick       smaller sizes (20k / 100k rows, 200 images) for iterating
  --repeat N    repetitions per workload (limit, then CLI, each time); medians are reported
                (default 3; 1 with --quick or --profile)
  --profile     run the CLI under --cpu-prof; profiles in bench/.data/profiles/<workload>-<stamp>/
                (summarise with: node bench/profile-top.mjs FILE.cpuprofile)
  --keep        keep the databases and run directories (bench/.data/runs/) for inspection
  -h, --help    this text

Env: BENCH_MYSQL_HOST/BENCH_MYSQL_PORT/BENCH_DB_USER/BENCH_DB_PASSWORD (default 127.0.0.1:3306 root, empty);
     BENCH_NODE_ARGS: extra node flags for the CLI child (after those of the Dockerfile's ENTRYPOINT,
     which the CLI always runs with), e.g. "--max-semi-space-size=4";
     BENCH_NODE: the node binary the CLI child runs on; default: the image's Node (the version the
     Dockerfile names, fetched once from the npm registry by scripts/image-node.mjs into .cache/node/), or
     \`harness\` for the node running this script.`;

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    repeat: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

/**
 * The node the CLI runs on: the image's (the Dockerfile's Node version, scripts/image-node.mjs) unless
 * BENCH_NODE names another binary, or `harness` for the one running this script. The limits are
 * measured by this script, on the harness's node.
 */
const CLI_NODE = cliNode();
const CLI_NODE_VERSION = execFileSync(CLI_NODE, ['--version']).toString().trim();

const quick = opts.quick;
const repeat = opts.profile ? 1 : Number(opts.repeat ?? (quick ? 1 : 3));
if (!Number.isInteger(repeat) || repeat < 1) {
  console.error('--repeat must be a whole number >= 1');
  process.exit(2);
}
const WORKLOADS = [
  { name: 'tabular-200k', kind: 'tabular', rows: quick ? 20_000 : 200_000 },
  { name: 'tabular-1m', kind: 'tabular', rows: quick ? 100_000 : 1_000_000 },
  { name: 'images-fixed', kind: 'images', variant: 'fixed', rows: quick ? 200 : 2000 },
  { name: 'images-varied', kind: 'images', variant: 'varied', rows: quick ? 200 : 2000 },
  // The same 768×768 JPEGs with spec.file_options.verify: decode (every pixel decoded in the check pass).
  { name: 'images-fixed-decode', kind: 'images', variant: 'fixed', verify: 'decode', rows: quick ? 200 : 2000 },
];
const selected = opts.only
  ? opts.only.split(',').map((s) => s.trim()).filter(Boolean)
  : WORKLOADS.map((w) => w.name);
for (const name of selected) {
  if (!WORKLOADS.some((w) => w.name === name)) {
    console.error(`unknown workload ${name}; known: ${WORKLOADS.map((w) => w.name).join(', ')}`);
    process.exit(2);
  }
}

if (!existsSync(CLI)) {
  console.error(`${path.relative(REPO, CLI)} is missing: run \`npm run build\` (or \`npm run bench\`, which builds)`);
  process.exit(2);
}
// The built modules: the table the limit loads into is created by the ingestor's own DDL.
const { loadPlan } = await import(path.join(REPO, 'dist', 'config', 'load-config.js'));
const { createTableSql } = await import(path.join(REPO, 'dist', 'sinks', 'mysql', 'ddl.js'));

const cores = os.availableParallelism?.() ?? os.cpus().length;
const mysqldPid = findMysqld();
const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');

/** Every database name and run directory handed out, so an interrupted run can remove them. */
const databases = new Set();
const workDirs = new Set();

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, async () => {
    log(`${sig}: stopping the CLI, dropping the benchmark databases of this run`);
    for (const child of running) child.kill('SIGTERM');
    await new Promise((res) => setTimeout(res, 1500));
    if (!opts.keep) {
      try {
        const conn = await mysql.createConnection(MYSQL);
        for (const db of databases) await conn.query(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
        await conn.end();
      } catch {
        /* best effort */
      }
    }
    if (!opts.keep) for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

await describeMachine();

let failures = 0;
for (const w of WORKLOADS.filter((x) => selected.includes(x.name))) {
  try {
    const line = await runWorkload(w);
    process.stdout.write(JSON.stringify(line) + '\n');
    if (line.status !== 'succeeded') failures++;
  } catch (err) {
    failures++;
    log(`${w.name} FAILED: ${err instanceof Error ? err.stack : String(err)}`);
    process.stdout.write(JSON.stringify({ workload: w.name, rows: w.rows, status: 'error', error: String(err?.message ?? err) }) + '\n');
  }
}
process.exitCode = failures > 0 ? 1 : 0;

// ---------------------------------------------------------------------------------------------

/**
 * One workload: dataset and config once, then `repeat` times (limit, then CLI), each time with a
 * fresh storage root, a fresh database and a fresh backend. Reports medians.
 */
async function runWorkload(w) {
  const setup = w.kind === 'tabular' ? await setupTabular(w) : await setupImages(w);
  const workDir = path.join(DATA, 'runs', `${w.name}-${stamp}-${randomBytes(2).toString('hex')}`);
  mkdirSync(workDir, { recursive: true });
  workDirs.add(workDir);
  const yaml = path.join(workDir, 'ingest.yaml');
  writeFileSync(yaml, setup.yaml);
  const { plan } = await loadPlan(yaml, { storageRoot: workDir });

  const reps = [];
  for (let r = 1; r <= repeat; r++) {
    const dir = path.join(workDir, `rep-${r}`);
    const run = { dir, root: path.join(dir, 'root'), out: path.join(dir, 'out') };
    mkdirSync(run.out, { recursive: true });
    setup.populate(run.root);

    await settle();
    await warm(setup.warmFiles);
    const { result: limit, otherCpuS: limitOther, mysqldCpuS: limitMysqld } = await withContention(() => setup.limit(plan, run));
    limit.otherCpuS = limitOther;
    limit.mysqldCpuS = limitMysqld;
    if (limit.infile?.changed) log('note: the server had local_infile=OFF; ran SET GLOBAL local_infile = 1');

    await settle();
    const database = dbName(w, 'cli');
    const cli = await runCli(w, yaml, run, database);
    const problems = await verifyTable(database, plan.table, w.rows);
    if (w.kind === 'images') {
      const destination = path.join(run.root, plan.table);
      const copied = existsSync(destination) ? readdirSync(destination).length : 0;
      if (copied !== w.rows) problems.push(`${copied} files in ${destination}, expected ${w.rows}`);
    }
    const rep = assess(w, cli, limit, problems);
    reps.push(rep);
    log(
      `${w.name} [${r}/${repeat}]: ${fmt(rep.rowsPerS)} ${w.kind === 'images' ? 'images' : 'rows'}/s in ${rep.seconds.toFixed(2)} s ` +
        `(limit ${fmt(limit.rowsPerS)}/s in ${limit.seconds.toFixed(2)} s, ratio ${(rep.rowsPerS / limit.rowsPerS).toFixed(3)}), ` +
        `peak RSS ${rep.peakRssMb} MB, ${rep.status}${rep.contended ? ', CONTENDED' : ''}`,
    );
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
    if (rep.status !== 'succeeded') break;
  }
  if (!opts.keep) rmSync(workDir, { recursive: true, force: true });
  return summarize(w, reps);
}

async function setupTabular(w) {
  const data = ensureTabular(DATA, w.rows, log);
  return {
    yaml: [
      '# generated by bench/run.mjs',
      'apiVersion: tracebloc.io/v1',
      'kind: IngestConfig',
      'table: bench_tabular',
      'intent: train',
      'category: tabular_regression',
      'csv: /data/shared/tabular/features.csv',
      'schema:',
      ...TABULAR_COLUMNS.map((c) => `  ${c}: DOUBLE`),
      'label:',
      '  column: target',
      '  policy: bucket',
      '',
    ].join('\n'),
    warmFiles: [data.csv, data.tsv],
    populate: (root) => link(data.csv, path.join(root, 'tabular', 'features.csv')),
    limit: (plan) =>
      loadDataLimit({
        mysqlSettings: MYSQL,
        database: dbName(w, 'limit'),
        createTableSql: createTableSql(plan),
        table: plan.table,
        tsv: data.tsv,
        rows: w.rows,
      }),
  };
}

async function setupImages(w) {
  const data = await ensureImages(DATA, w.variant, w.rows, log);
  const ds = `images-${w.variant}`;
  return {
    yaml: [
      '# generated by bench/run.mjs',
      'apiVersion: tracebloc.io/v1',
      'kind: IngestConfig',
      `table: bench_images_${w.variant}${w.verify ? `_${w.verify}` : ''}`,
      'intent: train',
      'category: image_classification',
      `csv: /data/shared/${ds}/labels.csv`,
      `images: /data/shared/${ds}/images/`,
      'label: label',
      'spec:',
      '  file_options:',
      ...(w.variant === 'fixed' ? ['    target_size: [768, 768]'] : ['    exact_size: false']),
      ...(w.verify ? [`    verify: ${w.verify}`] : []),
      '',
    ].join('\n'),
    warmFiles: [data.csv, ...data.files],
    populate: (root) => {
      link(data.csv, path.join(root, ds, 'labels.csv'));
      for (const name of data.names) link(path.join(data.images, name), path.join(root, ds, 'images', name));
    },
    limit: async (_plan, run) => {
      const destination = path.join(run.dir, 'limit-copy');
      try {
        return await imageLimit({ files: data.files, names: data.names, destination, concurrency: cores });
      } finally {
        rmSync(destination, { recursive: true, force: true });
      }
    },
  };
}

/** Runs the built CLI against MariaDB and a fresh loopback backend; returns the measurements. */
async function runCli(w, yaml, run, database) {
  const backend = await startBackend({ token: TOKEN });
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: process.env['HOME'] ?? os.tmpdir(),
    LANG: process.env['LANG'] ?? 'C.UTF-8',
    NO_PROXY: '127.0.0.1',
    MYSQL_HOST: MYSQL.host,
    MYSQL_PORT: String(MYSQL.port),
    DB_USER: MYSQL.user,
    DB_PASSWORD: MYSQL.password,
    DB_NAME: database,
    MYSQL_WAIT_SECONDS: '10',
    BACKEND_TOKEN: TOKEN,
    BACKEND_URL: backend.url,
    // Tunables under test pass through: BENCH_BATCH_SIZE → BATCH_SIZE, BENCH_MYSQL_WRITE_METHOD → MYSQL_WRITE_METHOD.
    ...(process.env['BENCH_BATCH_SIZE'] ? { BATCH_SIZE: process.env['BENCH_BATCH_SIZE'] } : {}),
    ...(process.env['BENCH_MYSQL_WRITE_METHOD'] ? { MYSQL_WRITE_METHOD: process.env['BENCH_MYSQL_WRITE_METHOD'] } : {}),
  };
  // The node flags of the image's ENTRYPOINT, then any extra ones.
  const nodeArgs = [...CLI_NODE_FLAGS];
  let profileDir = null;
  if (opts.profile) {
    profileDir = path.join(DATA, 'profiles', `${w.name}-${stamp}`);
    mkdirSync(profileDir, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  }
  let measured;
  let contention;
  try {
    contention = await withContention(
      () =>
        runMeasured(
          CLI_NODE,
          [...nodeArgs, CLI, 'run', yaml, '--storage-root', run.root, '--out', run.out, '--json'],
          { env, cwd: run.dir, scratchDir: run.dir },
        ),
      (r) => r.cpuS ?? 0,
    );
    measured = contention.result;
  } finally {
    await backend.close();
  }
  let summary = null;
  try {
    const lines = measured.stdout.trim().split('\n');
    summary = JSON.parse(lines[lines.length - 1]);
  } catch {
    /* reported below */
  }
  if (measured.code !== 0 || summary?.status !== 'succeeded') {
    log(`${w.name}: CLI exited ${measured.code ?? measured.signal}; stderr tail:\n${measured.stderrTail.slice(-4000)}`);
  }
  if (profileDir) log(`${w.name}: profile in ${profileDir} (node bench/profile-top.mjs ${path.relative(REPO, profileDir)}/*.cpuprofile)`);
  return {
    measured,
    summary,
    backend: backend.stats,
    mysqldCpuS: contention.mysqldCpuS,
    otherCpuS: contention.otherCpuS,
  };
}

/** One repetition: checks the outcome, collects the figures. */
function assess(w, cli, limit, verifyProblems) {
  const { measured, summary, backend } = cli;
  const problems = [...verifyProblems];
  if (summary?.counters?.inserted !== w.rows) problems.push(`inserted ${summary?.counters?.inserted}, expected ${w.rows}`);
  if (backend.rowsSent !== w.rows) problems.push(`backend received ${backend.rowsSent} rows, expected ${w.rows}`);
  if (backend.unexpected || backend.unauthorized) {
    problems.push(`backend: ${backend.unexpected} unexpected, ${backend.unauthorized} unauthorized requests`);
  }
  for (const p of problems) log(`${w.name}: CHECK FAILED: ${p}`);
  const ok = measured.code === 0 && summary?.status === 'succeeded' && problems.length === 0;
  const t = summary?.timings_ms ?? {};
  return {
    status: ok ? 'succeeded' : (summary?.status ?? 'failed'),
    seconds: measured.seconds,
    rowsPerS: w.rows / measured.seconds,
    peakRssMb: measured.peakRssKb ? round(measured.peakRssKb / 1024, 1) : null,
    backendRequests: backend.requests,
    backendBusyS: backend.busyMs / 1000,
    limitSeconds: limit.seconds,
    limitRowsPerS: limit.rowsPerS,
    checkS: t.checkMs !== undefined ? t.checkMs / 1000 : null,
    writeS: t.writeMs !== undefined ? t.writeMs / 1000 : null,
    registerS: t.registerMs !== undefined ? t.registerMs / 1000 : null,
    cliCpuS: measured.cpuS,
    cliSysS: measured.sysS,
    mysqldCpuS: cli.mysqldCpuS,
    otherCpuS: cli.otherCpuS,
    limitOtherCpuS: limit.otherCpuS,
    limitMysqldCpuS: limit.mysqldCpuS,
    contended: isContended(cli.otherCpuS, measured.seconds) || isContended(limit.otherCpuS, limit.seconds),
  };
}

/** The workload's line: medians over the repetitions (peak RSS: the maximum). */
function summarize(w, reps) {
  const med = (key) => median(reps.map((r) => r[key]).filter((v) => v !== null && v !== undefined));
  const seconds = med('seconds');
  const limitRate = med('limitRowsPerS');
  const rowsPerS = w.rows / seconds;
  const rates = reps.map((r) => r.rowsPerS);
  const limits = reps.map((r) => r.limitRowsPerS);
  const rss = reps.map((r) => r.peakRssMb).filter((v) => v !== null);
  const opt = (v, d) => (v === null || v === undefined || Number.isNaN(v) ? null : round(v, d));
  return {
    workload: w.name,
    rows: w.rows,
    seconds: round(seconds, 2),
    rows_per_s: Math.round(rowsPerS),
    peak_rss_mb: rss.length ? Math.max(...rss) : null,
    backend_requests: reps[reps.length - 1]?.backendRequests ?? null,
    cli_node: CLI_NODE_VERSION,
    limit_rows_per_s: Math.round(limitRate),
    ratio_of_limit: round(rowsPerS / limitRate, 3),
    // extras: spread over the repetitions, where the time went (the CLI's own timings_ms, medians),
    // CPU seconds of the CLI, of mysqld and of other processes (shared machine)
    runs: reps.length,
    rows_per_s_range: [Math.round(Math.min(...rates)), Math.round(Math.max(...rates))],
    limit_range: [Math.round(Math.min(...limits)), Math.round(Math.max(...limits))],
    limit_seconds: opt(med('limitSeconds'), 2),
    check_s: opt(med('checkS'), 2),
    write_s: opt(med('writeS'), 2),
    register_s: opt(med('registerS'), 3),
    backend_busy_s: opt(med('backendBusyS'), 3),
    cli_cpu_s: opt(med('cliCpuS'), 2),
    cli_sys_s: opt(med('cliSysS'), 2),
    mysqld_cpu_s: opt(med('mysqldCpuS'), 2),
    limit_mysqld_cpu_s: w.kind === 'tabular' ? opt(med('limitMysqldCpuS'), 2) : undefined,
    other_cpu_s: opt(Math.max(0, ...reps.map((r) => Math.max(r.otherCpuS ?? 0, r.limitOtherCpuS ?? 0))), 2),
    contended: reps.some((r) => r.contended),
    status: reps.every((r) => r.status === 'succeeded') && reps.length === repeat ? 'succeeded' : (reps.find((r) => r.status !== 'succeeded')?.status ?? 'failed'),
    ...(opts.profile ? { profiled: true } : {}),
  };
}

function median(values) {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Counts the rows the run left in its table, then drops its database (unless --keep). */
async function verifyTable(database, table, rows) {
  const problems = [];
  const conn = await mysql.createConnection(MYSQL);
  try {
    const [r] = await conn.query(`SELECT COUNT(*) AS n FROM \`${database}\`.\`${table}\``);
    const n = Number(r[0].n);
    if (n !== rows) problems.push(`${n} rows in ${database}.${table}, expected ${rows}`);
  } catch (err) {
    problems.push(`cannot count rows in ${database}.${table}: ${err.code ?? err.message}`);
  } finally {
    if (!opts.keep) await conn.query(`DROP DATABASE IF EXISTS \`${database}\``).catch(() => undefined);
    await conn.end();
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

/** A fresh name in the storage root for a cached file: a hard link (same bytes, no copy). */
function link(from, to) {
  mkdirSync(path.dirname(to), { recursive: true });
  linkSync(from, to);
}

function dbName(w, what) {
  const name = `bench_${w.name.replace(/[^a-z0-9]/g, '_')}_${what}_${randomBytes(3).toString('hex')}`;
  databases.add(name);
  return name;
}

/** Reads the files once so the limit and the CLI both start with them in the page cache. */
async function warm(files) {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const f of files) {
    const fh = await open(f, 'r');
    try {
      while ((await fh.read(buf, 0, buf.length, null)).bytesRead > 0);
    } finally {
      await fh.close();
    }
  }
}

/**
 * Between measurements: flush written files to disk and pause briefly, so one measurement does not
 * pay for the previous one's page-cache writeback. (InnoDB's dirty pages cannot be waited out:
 * MariaDB 10.5+ with innodb_max_dirty_pages_pct_lwm=0 flushes lazily, only under redo-log or
 * buffer-pool pressure; the previous workload's database is dropped before the next starts.)
 */
async function settle() {
  try {
    execFileSync('sync');
  } catch {
    /* best effort */
  }
  await new Promise((res) => setTimeout(res, 500));
  await waitQuiet({ log });
}

/**
 * CPU seconds used during `fn` by processes other than the measured child, mysqld and this
 * harness (e.g. someone else's test run on a shared machine): a contended figure is flagged.
 */
async function withContention(fn, childCpu) {
  const m0 = machineBusySeconds();
  const d0 = cpuSecondsOf(mysqldPid);
  const h0 = process.cpuUsage();
  const result = await fn();
  const m1 = machineBusySeconds();
  const d1 = cpuSecondsOf(mysqldPid);
  const h = process.cpuUsage(h0);
  const harness = (h.user + h.system) / 1e6;
  const mysqld = d0 !== null && d1 !== null ? d1 - d0 : 0;
  const other = m0 !== null && m1 !== null ? m1 - m0 - mysqld - harness - (childCpu?.(result) ?? 0) : null;
  return { result, otherCpuS: other === null ? null : Math.max(0, other), mysqldCpuS: d0 !== null ? mysqld : null, harnessCpuS: harness };
}

async function describeMachine() {
  const conn = await mysql.createConnection(MYSQL);
  let server = '?';
  let infile = '?';
  let pool = '?';
  let flush = '?';
  try {
    const [[v]] = await conn.query('SELECT VERSION() AS v');
    server = v.v;
    const [vars] = await conn.query(
      "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('local_infile','innodb_buffer_pool_size','innodb_flush_log_at_trx_commit')",
    );
    const get = (n) => vars.find((x) => x.Variable_name === n)?.Value;
    infile = get('local_infile');
    pool = `${Math.round(Number(get('innodb_buffer_pool_size')) / 1048576)} MiB`;
    flush = get('innodb_flush_log_at_trx_commit');
  } finally {
    await conn.end();
  }
  const cpu = os.cpus()[0]?.model ?? '?';
  let commit = process.env['BENCH_COMMIT'] ?? '';
  if (!commit) {
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      commit = 'unknown';
    }
  }
  log(
    `commit ${commit}; machine: ${cores} cores (${cpu}), ${Math.round(os.totalmem() / 1073741824)} GiB RAM, node ${process.version} (the CLI's: ${CLI_NODE_VERSION}), ` +
      `MariaDB/MySQL ${server} (local_infile=${infile}, buffer pool ${pool}, flush_log_at_trx_commit=${flush}), ` +
      `sharp ${sharp.versions.sharp}/libvips ${sharp.versions.vips}, peak RSS via ${GNU_TIME ?? '/proc VmHWM polling'}, ` +
      `CLI node flags [${CLI_NODE_FLAGS.join(' ')}], ` +
      `${quick ? 'QUICK sizes, ' : ''}${new Date().toISOString()}`,
  );
}

function cliNode() {
  const asked = process.env['BENCH_NODE'];
  if (asked === 'harness') return process.execPath;
  if (asked) return asked;
  try {
    return imageNode(REPO);
  } catch (err) {
    log(`the image's Node is not available (${err?.message ?? err}); the CLI runs on this node, ${process.version}`);
    return process.execPath;
  }
}

function isContended(otherCpuS, seconds) {
  return otherCpuS !== null && otherCpuS > Math.max(0.2, 0.05 * seconds * cores);
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}

function round(n, digits) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
