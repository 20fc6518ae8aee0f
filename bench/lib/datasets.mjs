// Deterministic benchmark datasets, cached under bench/.data/datasets/ (regenerated only if missing).
//
// tabular-<rows>: features.csv (f0..f9,target; 4 decimals) and loaddata.tsv (the same rows in the
//   shape of the ingestor's table, for the LOAD DATA limit measurement).
// images-<fixed|varied>-<count>: labels.csv (filename,label) and images/*.jpg.
//
// Every byte depends only on the seed, the size and the code below: two runs on two machines
// produce the same files (sharp/libvips versions aside for the JPEG bytes).
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

export const FEATURES = 10;
export const FEATURE_NAMES = Array.from({ length: FEATURES }, (_, i) => `f${i}`);
export const TABULAR_COLUMNS = [...FEATURE_NAMES, 'target'];
/** The ingestor's platform columns in insert order (src/sinks/mysql/ddl.ts PLATFORM_INSERT_COLUMNS). */
export const PLATFORM_COLUMNS = ['label', 'data_intent', 'data_id', 'filename', 'extension', 'annotation', 'ingestor_id'];
export const LOAD_COLUMNS = [...PLATFORM_COLUMNS, ...TABULAR_COLUMNS];
export const IMAGE_CLASSES = 5;

/** sfc32: small, fast, seedable; returns floats in [0, 1). */
export function rng(seed) {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162 ^ (seed * 131);
  let d = 1;
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A random-looking RFC 4122 v4 UUID from the generator (same shape and key order as uuid.v4()). */
function uuidFrom(r) {
  const b = new Array(16);
  for (let i = 0; i < 16; i++) b[i] = (r() * 256) | 0;
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.map((x) => HEX[x]);
  return `${h[0]}${h[1]}${h[2]}${h[3]}-${h[4]}${h[5]}-${h[6]}${h[7]}-${h[8]}${h[9]}-${h[10]}${h[11]}${h[12]}${h[13]}${h[14]}${h[15]}`;
}

function gaussian(r) {
  // Irwin–Hall approximation: cheap and deterministic.
  return r() + r() + r() + r() + r() + r() - 3;
}

/** Writes `file` through a temporary name so an interrupted generation is never taken as complete. */
function writeChunked(file, produce) {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    produce((text) => writeSync(fd, text));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export const BENCH_INGESTOR_ID = '8e4c1b0e-0000-4000-8000-00000000beef';

/**
 * tabular-<rows>/features.csv and loaddata.tsv. Returns paths and sizes.
 */
export function ensureTabular(dataDir, rows, log) {
  const dir = path.join(dataDir, 'datasets', `tabular-${rows}`);
  const csv = path.join(dir, 'data', 'features.csv');
  const tsv = path.join(dir, 'loaddata.tsv');
  mkdirSync(path.dirname(csv), { recursive: true });
  if (!existsSync(csv) || !existsSync(tsv)) {
    const t0 = performance.now();
    log(`generating tabular dataset: ${rows} rows × ${FEATURES} features + target → ${dir}`);
    const r = rng(20240601);
    const weights = FEATURE_NAMES.map(() => (r() - 0.5) * 4);
    const ids = rng(777);
    const csvFd = openSync(`${csv}.tmp-${process.pid}`, 'w');
    const tsvFd = openSync(`${tsv}.tmp-${process.pid}`, 'w');
    try {
      writeSync(csvFd, TABULAR_COLUMNS.join(',') + '\n');
      const CHUNK = 10_000;
      for (let start = 0; start < rows; start += CHUNK) {
        let c = '';
        let t = '';
        const end = Math.min(rows, start + CHUNK);
        for (let i = start; i < end; i++) {
          const values = new Array(FEATURES + 1);
          let y = 0;
          for (let f = 0; f < FEATURES; f++) {
            const v = gaussian(r) * (10 + f * 5);
            values[f] = v.toFixed(4);
            y += weights[f] * Number(values[f]);
          }
          values[FEATURES] = (y + gaussian(r) * 20 + 500).toFixed(4);
          c += values.join(',') + '\n';
          // label (the target's text, as the ingestor stores it), intent, data_id, filename,
          // extension, annotation, ingestor_id, features…
          t += `${values[FEATURES]}\ttrain\t${uuidFrom(ids)}\t\\N\t\\N\t\\N\t${BENCH_INGESTOR_ID}\t${values.join('\t')}\n`;
        }
        writeSync(csvFd, c);
        writeSync(tsvFd, t);
      }
    } finally {
      closeSync(csvFd);
      closeSync(tsvFd);
    }
    renameSync(`${tsv}.tmp-${process.pid}`, tsv);
    renameSync(`${csv}.tmp-${process.pid}`, csv);
    log(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { dir, csv, tsv, rows };
}

/**
 * images-<kind>-<count>: `fixed` = every image 768×768; `varied` = widths and heights in [320, 1280].
 * Content: a smooth random field (a small random image upscaled) plus fine noise, JPEG quality 85,
 * so files are photo-like in size (~100–150 KB at 768×768), not trivially compressible.
 */
export async function ensureImages(dataDir, kind, count, log) {
  const dir = path.join(dataDir, 'datasets', `images-${kind}-${count}`);
  const marker = path.join(dir, '.complete');
  const csv = path.join(dir, 'labels.csv');
  const images = path.join(dir, 'images');
  const files = [];
  const r = rng(kind === 'fixed' ? 4242 : 4343);
  const rows = [];
  for (let i = 1; i <= count; i++) {
    const name = `img_${String(i).padStart(6, '0')}.jpg`;
    const width = kind === 'fixed' ? 768 : 320 + Math.floor(r() * 961);
    const height = kind === 'fixed' ? 768 : 320 + Math.floor(r() * 961);
    const label = `class_${Math.floor(r() * IMAGE_CLASSES)}`;
    rows.push({ name, width, height, label, seed: 100_000 + i + (kind === 'fixed' ? 0 : 1_000_000) });
    files.push(path.join(images, name));
  }
  if (!existsSync(marker)) {
    const t0 = performance.now();
    log(`generating ${count} ${kind}-size JPEGs → ${dir}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(images, { recursive: true });
    const noise = noiseField(1280 * 1280 * 3 + 7919);
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= rows.length) return;
        const row = rows[i];
        await writeImage(path.join(images, row.name), row.width, row.height, row.seed, noise);
      }
    };
    await Promise.all(Array.from({ length: 2 }, worker));
    writeChunked(csv, (write) => {
      write('filename,label\n');
      for (const row of rows) write(`${row.name},${row.label}\n`);
    });
    writeFileSync(marker, `${count}\n`);
    log(`  done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { dir, csv, images, files, count, names: rows.map((r) => r.name) };
}

function noiseField(n) {
  const r = rng(99);
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round((r() - 0.5) * 24);
  return out;
}

async function writeImage(file, width, height, seed, noise) {
  const r = rng(seed);
  const sw = 12;
  const sh = 12;
  const small = Buffer.alloc(sw * sh * 3);
  for (let i = 0; i < small.length; i++) small[i] = Math.floor(r() * 256);
  const smooth = await sharp(small, { raw: { width: sw, height: sh, channels: 3 } })
    .resize(width, height, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  const offset = Math.floor(r() * 7919);
  for (let i = 0; i < smooth.length; i++) {
    const v = smooth[i] + noise[(i + offset) % noise.length];
    smooth[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  const jpeg = await sharp(smooth, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
  writeFileSync(file, jpeg);
}
