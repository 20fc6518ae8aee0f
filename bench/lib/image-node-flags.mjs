// The node flags the image's ENTRYPOINT runs the CLI with (Dockerfile, exec form
// ["node", ...flags, "/app/dist/cli/main.js"]): the benchmark runs the CLI the way the image does.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** @returns {string[]} */
export function imageNodeFlags(repo) {
  const dockerfile = readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  if (line === undefined) throw new Error('the Dockerfile has no ENTRYPOINT');
  const argv = JSON.parse(line.slice('ENTRYPOINT '.length));
  if (!Array.isArray(argv) || argv[0] !== 'node' || !String(argv[argv.length - 1]).endsWith('/dist/cli/main.js')) {
    throw new Error(`unexpected ENTRYPOINT: ${line}`);
  }
  return argv.slice(1, -1).map(String);
}
