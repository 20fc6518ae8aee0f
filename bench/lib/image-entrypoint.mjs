// How the image's ENTRYPOINT runs the CLI (Dockerfile, exec form ["node", ...flags, "/app/<script>"]):
// the benchmark runs the CLI the way the image does, with the same flags and the same script.
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** @returns {{ flags: string[], script: string }} the node flags, and the script as a path in `repo` */
export function imageEntrypoint(repo) {
  const dockerfile = readFileSync(path.join(repo, 'Dockerfile'), 'utf8');
  const line = dockerfile.split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  if (line === undefined) throw new Error('the Dockerfile has no ENTRYPOINT');
  const argv = JSON.parse(line.slice('ENTRYPOINT '.length));
  const script = Array.isArray(argv) ? String(argv[argv.length - 1]) : '';
  if (argv[0] !== 'node' || !script.startsWith('/app/dist/')) throw new Error(`unexpected ENTRYPOINT: ${line}`);
  return { flags: argv.slice(1, -1).map(String), script: path.join(repo, script.slice('/app/'.length)) };
}
