#!/usr/bin/env node
// Generates the fixture PVC (fixtures/pvc/) deterministically: one small dataset per category,
// laid out where the platform's example configs expect it under /data/shared. Every module in
// scripts/fixtures/ (except util.mjs) exports a default async generator.
// Run: npm run fixtures. The output is committed; re-running it reproduces the same files.
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { root } from './fixtures/util.mjs';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
await mkdir(root, { recursive: true });
for (const name of (await readdir(dir)).filter((n) => n.endsWith('.mjs') && n !== 'util.mjs').sort()) {
  const mod = await import(pathToFileURL(path.join(dir, name)).href);
  await mod.default();
  console.log(`fixtures: ${name} done`);
}
console.log(`fixtures written to ${root}`);
