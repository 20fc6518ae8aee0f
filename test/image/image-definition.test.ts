import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createTestDatabase } from '../support/mysql.js';
import { startFakeBackend } from '../support/fake-backend.js';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO } from '../support/cli.js';
import { spawn } from 'node:child_process';
import { tempDir } from '../support/tmp.js';
// @ts-expect-error -- a plain .mjs helper of the benchmark, without type declarations
import { imageEntrypoint } from '../../bench/lib/image-entrypoint.mjs';

/** How the image's ENTRYPOINT runs the CLI (what the benchmark runs): node flags, and the script in this repository. */
const entrypointOf = imageEntrypoint as (repo: string) => { flags: string[]; script: string };

/**
 * No Docker engine here: what the image promises is checked on its definition, and its runtime
 * behaviour (unprivileged user, no home, writes only to the PVC) by running the same entrypoint
 * the way the Job does.
 */
const dockerfile = await readFile(path.join(REPO, 'Dockerfile'), 'utf8');
const release = await readFile(path.join(REPO, '.github', 'workflows', 'release.yml'), 'utf8');
const instructions = dockerfile
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'))
  .map((l) => l.trim());

describe('Dockerfile', () => {
  it('builds from a Node 24 base pinned by digest, never a floating tag', () => {
    const arg = instructions.find((l) => l.startsWith('ARG NODE_IMAGE='))!;
    expect(arg).toMatch(/^ARG NODE_IMAGE=node:24[\w.-]*@sha256:[0-9a-f]{64}$/);
    for (const from of instructions.filter((l) => l.startsWith('FROM '))) expect(from).toMatch(/^FROM \$\{NODE_IMAGE\}/);
    expect(dockerfile).not.toMatch(/:latest\b/);
  });

  it('names the Node version of its base image, of the major of the pinned tag (what test:image-node and the bench run on)', async () => {
    // @ts-expect-error -- a plain .mjs script, without type declarations
    const { dockerfileNodeVersion } = (await import('../../scripts/image-node.mjs')) as { dockerfileNodeVersion: (repo: string) => string };
    const version = dockerfileNodeVersion(REPO);
    const major = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(dockerfile)![1];
    expect(version).toMatch(new RegExp(`^${major}\\.\\d+\\.\\d+$`));
  });

  it('runs as numeric user 65534 with the CLI as exec-form entrypoint and no arguments', () => {
    const user = instructions.filter((l) => l.startsWith('USER '));
    expect(user).toEqual(['USER 65534:65534']);
    const entrypoint = instructions.filter((l) => l.startsWith('ENTRYPOINT '));
    expect(entrypoint).toEqual(['ENTRYPOINT ["node", "--max-semi-space-size=8", "--heap-growing-percent=50", "--no-wasm-tier-up", "--no-parallel-scavenge", "/app/dist/cli.mjs"]']);
    // What the benchmark runs the CLI with, and the bundle the tests run.
    expect(entrypointOf(REPO)).toEqual({ flags: ['--max-semi-space-size=8', '--heap-growing-percent=50', '--no-wasm-tier-up', '--no-parallel-scavenge'], script: CLI });
    expect(instructions.some((l) => l.startsWith('CMD '))).toBe(false);
    expect(instructions.indexOf('USER 65534:65534')).toBeGreaterThan(instructions.findLastIndex((l) => l.startsWith('COPY ')));
  });

  it('runs a bundle of ASCII only (V8 then holds its source as one byte per character, not two)', async () => {
    const bundle = await readFile(CLI);
    expect(bundle.length).toBeGreaterThan(1_000_000);
    expect(bundle.findIndex((byte) => byte > 0x7f)).toBe(-1);
  });

  it('gives the build stage every file npm run build reads (the build script and what it runs)', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const build = pkg.scripts['build']!;
    const froms = instructions.flatMap((l, i) => (l.startsWith('FROM ') ? [i] : []));
    expect(froms).toHaveLength(2);
    const buildStage = instructions.slice(froms[0], froms[1]);
    const copied = buildStage.filter((l) => l.startsWith('COPY ')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    const needed = ['package.json', 'tsconfig.build.json', 'src', 'schemas', ...[...build.matchAll(/node (scripts\/[\w.-]+)/g)].map((m) => m[1]!)];
    expect(needed).toEqual(expect.arrayContaining(['scripts/build-validator.mjs', 'scripts/bundle-cli.mjs']));
    for (const file of needed) expect(copied, file).toContain(file);
  });

  it('ships only production dependencies, the build and the schema', () => {
    expect(dockerfile).toContain('npm ci');
    expect(dockerfile).toContain('npm prune --omit=dev');
    for (const part of ['dist', 'node_modules', 'schemas', 'package.json']) expect(dockerfile).toContain(`/app/${part}`);
  });
});

describe('release workflow', () => {
  it('tags X.Y.Z, X.Y and X — never latest — for amd64 and arm64, with SBOM and provenance', () => {
    expect(release).toContain('latest=false');
    expect(release).toContain('type=semver,pattern={{version}}');
    expect(release).toContain('type=semver,pattern={{major}}.{{minor}}');
    expect(release).toContain('type=semver,pattern={{major}}');
    expect(release).toContain('platforms: linux/amd64,linux/arm64');
    expect(release).toContain('sbom: true');
    expect(release).toMatch(/provenance: mode=max/);
  });

  it('signs the pushed digest keylessly and publishes it in the release notes', () => {
    expect(release).toContain('id-token: write');
    expect(release).toMatch(/cosign sign --yes "ghcr\.io\/tracebloc\/ingestor@\$\{DIGEST\}"/);
    expect(release).toContain('https://token.actions.githubusercontent.com');
    expect(release).toMatch(/gh release create[\s\S]*@\$\{DIGEST\}/);
  });
});

function runAs(uid: number, env: Record<string, string>, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // With the node flags of the image's ENTRYPOINT (the benchmark uses them too).
    const child = spawn(process.execPath, [...entrypointOf(REPO).flags, CLI], { uid, gid: uid, env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.runIf(process.getuid?.() === 0)('the entrypoint as the image runs it (uid 65534, no home, read-only working dir)', () => {
  it('with no env: non-zero, naming INGEST_CONFIG', async () => {
    const r = await runAs(65534, { PATH: process.env['PATH'] ?? '' }, '/');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('INGEST_CONFIG');
  });

  it('container mode writes only to the PVC: rows to MySQL, lock and reports under the storage root', async () => {
    const db = await createTestDatabase('uid');
    const backend = await startFakeBackend({ token: 'uid-token' });
    try {
      const root = await tempDir('tb-uid-');
      await mkdir(path.join(root, 'd'));
      await writeFile(path.join(root, 'd', 'd.csv'), 'x,y\n1,a\n2,b\n');
      const config = path.join(root, 'i.yaml');
      await writeFile(
        config,
        'apiVersion: tracebloc.io/v1\nkind: IngestConfig\ntable: uid_t\nintent: train\ncategory: tabular_classification\ncsv: /data/shared/d/d.csv\nschema:\n  x: INT\nlabel: y\n',
      );
      await chmod(root, 0o777);
      const r = await runAs(65534, { PATH: process.env['PATH'] ?? '', ...db.env, INGEST_CONFIG: config, STORAGE_ROOT: root, BACKEND_TOKEN: 'uid-token', BACKEND_URL: backend.url }, '/');
      expect(r.code, r.stderr).toBe(0);
      const written = await readdir(root);
      expect(written.sort()).toEqual(['.tracebloc-ingest', 'd', 'i.yaml']);
      expect(backend.requests.map((q) => q.path)).toContain('/dataset/');
    } finally {
      await backend.close();
      await db.drop();
    }
  });
});
