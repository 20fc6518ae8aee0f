#!/usr/bin/env node
// The CLI as one ES module, dist/cli.mjs: what the image runs (Dockerfile ENTRYPOINT).
//
// Start-up is module loading more than anything: ~110 of our modules plus mysql2's and pino's, each
// resolved, read and compiled on its own. One file loads in about two thirds of the time (measured on
// Node 24: `--version` 0.14-0.20 s against 0.21-0.29 s; BENCHMARKS.md). Built from dist/ (after tsc),
// so the bundle runs exactly the compiled modules the tests run. Left out, resolved from
// node_modules at run time: sharp (a native addon, loaded only by categories with images), and
// the one require() of ajv's runtime helper in the generated schema validator (ajv is a
// production dependency; the image keeps node_modules).
// dist/cli.mjs sits one level below the package root, like every dist/ module, so the paths to
// package.json and schemas/ (src/package-root.ts) hold in it too.
import { build } from 'esbuild';
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await build({
  entryPoints: [path.join(REPO, 'dist', 'cli', 'main.js')],
  outfile: path.join(REPO, 'dist', 'cli.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['sharp'],
  // CommonJS dependencies (mysql2, pino) call require(): give the ES module one.
  banner: { js: "import { createRequire as __tbCreateRequire } from 'node:module';\nconst require = __tbCreateRequire(import.meta.url);" },
  legalComments: 'linked',
  logLevel: 'warning',
});
// The package's bin.
chmodSync(path.join(REPO, 'dist', 'cli.mjs'), 0o755);
