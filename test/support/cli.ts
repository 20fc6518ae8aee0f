import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI as the image and the package's bin run it: the bundle (scripts/bundle-cli.mjs). */
export const CLI = path.join(REPO, 'dist', 'cli.mjs');
export const FIXTURES = path.join(REPO, 'fixtures');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Env that never reaches outside: no inherited MySQL/backend/proxy settings. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SystemRoot'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return { ...env, ...extra };
}

export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs the built CLI as a child process. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  return spawnCli(args, opts).done;
}

/** Starts the built CLI; the child is exposed for signals. */
export function spawnCli(args: string[], opts: CliOptions = {}): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? REPO,
    env: opts.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = new Promise<CliRun>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/** A private copy of the fixture PVC (runs copy files into it). */
export async function copyFixturePvc(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tb-pvc-'));
  await cp(path.join(FIXTURES, 'pvc'), dir, { recursive: true, filter: (src) => !/_(train|test)$/.test(src) });
  return dir;
}

/** Parses the banner's counters from CLI output. */
export function parseBanner(stdout: string): Record<string, number> {
  const grab = (label: string) => {
    const m = new RegExp(`${label}: ([0-9,]+)\\s*$`, 'm').exec(stdout);
    return m ? Number(m[1]!.replaceAll(',', '')) : Number.NaN;
  };
  return {
    total: grab('Total Records Found'),
    processed: grab('Successfully Processed'),
    inserted: grab('Inserted to Database'),
    sent: grab('Sent to API'),
    skipped: grab('Skipped Records'),
    fileFailures: grab('File Transfer Failures'),
    failedInserts: grab('Failed DB Insertion'),
  };
}

/** The platform CLI's rule: clean iff no failures, nothing skipped, everything inserted and sent. */
export function bannerIsClean(b: Record<string, number>): boolean {
  return (
    b['failedInserts'] === 0 &&
    b['fileFailures'] === 0 &&
    b['skipped'] === 0 &&
    (b['inserted'] ?? 0) >= (b['total'] ?? 1) &&
    (b['sent'] ?? 0) >= (b['inserted'] ?? 1)
  );
}

export function lastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}
