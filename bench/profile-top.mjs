#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `node bench/run.mjs --profile`):
// top functions by self time (file:line function), then self time grouped by module/package.
//
//   node bench/profile-top.mjs FILE.cpuprofile [--top 25] [--window FROM_S,TO_S] [--marks fnA,fnB]
//
// --window: only samples between FROM_S and TO_S seconds after the profile started (e.g. one pass).
// --marks:  prints when functions with these names were first and last on the stack (pass bounds;
//           default checkPass,computeBuckets,writePass,registerDataset).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({ allowPositionals: true, options: {
    top: { type: 'string', default: '25' },
    window: { type: 'string' },
    marks: { type: 'string', default: 'checkPass,computeBuckets,writePass,registerDataset' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/profile-top.mjs FILE.cpuprofile [--top N]');
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));

const [fromS, toS] = values.window ? values.window.split(',').map(Number) : [0, Infinity];

// Self time per node: sample counts weighted by the time deltas that follow each sample.
const selfUs = new Map();
const { samples, timeDeltas } = profile;
const sampleAt = new Array(samples.length);
let at = 0;
let totalUs = 0;
for (let i = 0; i < samples.length; i++) {
  at += timeDeltas[i] ?? 0;
  sampleAt[i] = at;
  const dt = timeDeltas[i + 1] ?? 0;
  if (at / 1e6 < fromS || at / 1e6 >= toS) continue;
  totalUs += dt;
  selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt);
}

// Pass bounds: first/last time a function of each name was on the sampled stack.
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const marks = new Map(values.marks.split(',').filter(Boolean).map((m) => [m, [Infinity, -Infinity]]));
const onStack = new Map();
for (const n of profile.nodes) {
  const names = new Set();
  for (let id = n.id; id !== undefined; id = parent.get(id)) {
    const fn = byId.get(id).callFrame.functionName;
    if (marks.has(fn)) names.add(fn);
  }
  onStack.set(n.id, names);
}
for (let i = 0; i < samples.length; i++) {
  for (const fn of onStack.get(samples[i])) {
    const m = marks.get(fn);
    m[0] = Math.min(m[0], sampleAt[i]);
    m[1] = Math.max(m[1], sampleAt[i]);
  }
}

function shortUrl(url) {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  if (u.startsWith(REPO + '/')) u = u.slice(REPO.length + 1);
  return u;
}

function moduleOf(url) {
  const u = shortUrl(url);
  if (u === '') return '(native / VM)';
  if (u.startsWith('node:')) return 'node: internals';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  if (nm) return `npm:${nm[1]}`;
  if (u.startsWith('dist/')) return u;
  return u;
}

const byFunction = new Map();
const byModule = new Map();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  const cf = node.callFrame;
  const name = cf.functionName || '(anonymous)';
  const where = cf.url ? `${shortUrl(cf.url)}:${cf.lineNumber + 1}` : '';
  const key = where ? `${where} ${name}` : name;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  const mod = moduleOf(cf.url);
  byModule.set(mod, (byModule.get(mod) ?? 0) + us);
}

const pct = (us) => ((100 * us) / totalUs).toFixed(1).padStart(5) + '%';
const ms = (us) => (us / 1000).toFixed(0).padStart(7) + ' ms';
console.log(`profile: ${positionals[0]}`);
console.log(`${values.window ? `window ${fromS}–${toS} s: ` : ''}${(totalUs / 1e6).toFixed(2)} s of ${((profile.endTime - profile.startTime) / 1e6).toFixed(2)} s, ${samples.length} samples`);
for (const [fn, [first, last]] of marks) {
  if (first !== Infinity) console.log(`  ${fn} on stack from ${(first / 1e6).toFixed(2)} s to ${(last / 1e6).toFixed(2)} s`);
}
console.log('');
console.log(`top ${top} functions by self time:`);
for (const [k, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}  ${k}`);
console.log('\nself time by module:');
for (const [k, us] of [...byModule].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}  ${k}`);
