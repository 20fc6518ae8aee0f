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
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
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

// ASCII only. esbuild escapes non-ASCII characters in code (its default charset) but keeps them in
// the comments it carries over (a few ’ and § in undici's). One such character makes V8 hold the
// whole source as a two-byte string, ~3.4 MB more for as long as the process runs (peak RSS of
// `--version` on Node 24: 72 against 68.5 MB). Those in comments are escaped as \uXXXX text; any
// other (the raw text of a tagged template, say, where an escape would change the value) stops the
// build, to be looked at rather than rewritten blindly.
const out = path.join(REPO, 'dist', 'cli.mjs');
writeFileSync(out, asciiOnly(readFileSync(out, 'utf8')));
// The package's bin.
chmodSync(out, 0o755);

/** `text` with every non-ASCII UTF-16 unit in a comment written as \uXXXX; throws for one anywhere else. */
function asciiOnly(text) {
  return text
    .split('\n')
    .map((line, i) =>
      line.replace(/[^\x00-\x7f]/g, (c, at) => {
        // Within a line comment, or on a line of a block comment (esbuild starts those with * or /*).
        const inComment = /^\s*(\/\/|\/\*|\*)/.test(line) || line.slice(0, at).includes('//');
        // U+2028 and U+2029 end a line even inside a // comment: escaped, the rest of the line would become comment.
        if (!inComment || c === '\u2028' || c === '\u2029') {
          throw new Error(`dist/cli.mjs:${i + 1}: U+${c.charCodeAt(0).toString(16).padStart(4, '0')} outside a comment; see scripts/bundle-cli.mjs`);
        }
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
      }),
    )
    .join('\n');
}
