#!/usr/bin/env node
// Generates the fixture PVC (fixtures/pvc/) deterministically: one small dataset per supported
// category, laid out where the platform's example configs expect it under /data/shared.
// Run: npm run fixtures. The output is committed; re-running it reproduces the same files.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'pvc');

/** mulberry32: a tiny seeded PRNG, so every run writes the same data. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const csv = (header, rows) => [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';

async function dataset(name, files) {
  const dir = path.join(root, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return dir;
}

async function churn() {
  const r = prng(1);
  const contracts = ['month-to-month', 'one_year', 'two_year'];
  const rows = Array.from({ length: 40 }, () => {
    const tenure = Math.floor(r() * 72);
    const contract = contracts[Math.floor(r() * 3)];
    return [18 + Math.floor(r() * 60), tenure, (20 + r() * 80).toFixed(2), contract, tenure < 12 && r() < 0.7 ? 'yes' : 'no'];
  });
  await dataset('churn', { 'customers.csv': csv(['age', 'tenure_months', 'monthly_charge', 'contract_type', 'churned'], rows) });
}

async function housePrices() {
  const r = prng(2);
  const rows = Array.from({ length: 60 }, () => {
    const sqft = 600 + Math.floor(r() * 3000);
    const beds = 1 + Math.floor(r() * 5);
    const baths = (1 + Math.floor(r() * 6) / 2).toFixed(1);
    const age = Math.floor(r() * 80);
    const price = (50000 + sqft * 120 + beds * 5000 - age * 800 + Math.floor(r() * 20000)).toFixed(0);
    return [sqft, beds, baths, age, price];
  });
  await dataset('house-prices', {
    'houses.csv': csv(['square_feet', 'bedrooms', 'bathrooms', 'age_years', 'price'], rows),
  });
}

async function energyDemand() {
  const r = prng(3);
  const start = Date.UTC(2024, 0, 1, 0, 0, 0);
  const rows = Array.from({ length: 48 }, (_, i) => {
    const t = new Date(start + i * 3600_000).toISOString().replace('T', ' ').slice(0, 19);
    const temp = (-5 + r() * 20).toFixed(1);
    return [t, i % 2 === 0 ? 'north' : 'south', temp, i < 24 ? 1 : 0, (800 + r() * 400).toFixed(1)];
  });
  await dataset('energy-demand', {
    'demand.csv': csv(['timestamp', 'region', 'temperature_c', 'is_holiday', 'demand_mw'], rows),
  });
}

async function survival() {
  const r = prng(4);
  const tiers = ['basic', 'plus', 'pro'];
  const rows = Array.from({ length: 40 }, (_, i) => [
    `C${String(i + 1).padStart(5, '0')}`,
    Math.floor(r() * 1000),
    tiers[Math.floor(r() * 3)],
    (5 + r() * 95).toFixed(2),
    r() < 0.4 ? 1 : 0,
  ]);
  await dataset('customer-churn-survival', {
    'survival.csv': csv(['customer_id', 'tenure_days', 'plan_tier', 'monthly_spend', 'churned'], rows),
  });
}

async function jpeg(file, width, height, seed) {
  const r = prng(seed);
  const background = { r: Math.floor(r() * 255), g: Math.floor(r() * 255), b: Math.floor(r() * 255) };
  await mkdir(path.dirname(file), { recursive: true });
  await sharp({ create: { width, height, channels: 3, background } }).jpeg({ quality: 80 }).toFile(file);
}

async function chestXrays() {
  const dir = await dataset('chest-xrays', {});
  const rows = [];
  for (let i = 1; i <= 8; i++) {
    const name = `xray_${String(i).padStart(3, '0')}.jpeg`;
    await jpeg(path.join(dir, 'images', name), 256, 256, 100 + i);
    rows.push([name, i % 3 === 0 ? 'pneumonia' : 'normal']);
  }
  // Two rows of the CSV name the image without its extension: the configured one is added.
  rows.push(['xray_001', 'normal']);
  await writeFile(path.join(dir, 'labels.csv'), csv(['filename', 'image_label'], rows));
}

await mkdir(root, { recursive: true });
await Promise.all([churn(), housePrices(), energyDemand(), survival(), chestXrays()]);
console.log(`fixtures written to ${root}`);
