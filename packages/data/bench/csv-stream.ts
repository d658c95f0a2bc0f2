/**
 * CSV streaming bench: parse → z-score → batch 256 over a generated CSV of ≥ 2 GB, against a plain
 * `readline` loop that only splits lines (the floor). Each mode runs in its own child process so
 * its peak RSS is its own. Prints a Markdown table row.
 *
 *   npx tsx packages/data/bench/csv-stream.ts [--gb 2] [--file /tmp/nn-data-bench.csv]
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
// Direct module imports: this bench needs no tensors, so it runs without @nn/core built.
import { collateHost } from '../src/collate.js';
import { Dataset } from '../src/dataset.js';
import { computeStats, zscore } from '../src/stats.js';

const FEATURES = 20;
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};
const file = opt('file', '/tmp/nn-data-bench.csv');
const gb = Number(opt('gb', '2'));
const mode = opt('mode', 'main');

interface Result { rows: number; seconds: number; cpuSeconds: number; maxRssMB: number; batches?: number }

async function generate(): Promise<void> {
  const target = gb * 1024 ** 3;
  if (existsSync(file) && statSync(file).size >= target) return;
  // A pool of distinct rows written in a pseudo-random order: parse cost is that of real data,
  // generation stays I/O-bound.
  const pool: string[] = [];
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let r = 0; r < 4096; r++) {
    const f: string[] = [];
    for (let j = 0; j < FEATURES; j++) f.push((rnd() * 200 - 100 + j).toFixed(4));
    f.push(String(Math.floor(rnd() * 10)));
    pool.push(f.join(','));
  }
  const out = createWriteStream(file);
  out.write(Array.from({ length: FEATURES }, (_, j) => `f${j}`).join(',') + ',y\n');
  let written = 0;
  while (written < target) {
    const lines: string[] = [];
    for (let k = 0; k < 2000; k++) lines.push(pool[Math.floor(rnd() * pool.length)]!);
    const chunk = lines.join('\n') + '\n';
    written += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
}

async function floor(): Promise<Result> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let rows = 0;
  const rl = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let first = true;
  for await (const line of rl) {
    if (first) { first = false; continue; }
    if (line.split(',').length > 0) rows++;
  }
  return finish(rows, t0, c0);
}

async function pipeline(): Promise<Result> {
  // Statistics from the first 200k rows (a full extra pass would double the time, not the memory).
  const stats = await computeStats(Dataset.fromCsv(file, { label: 'y' }).take(200_000));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const ds = Dataset.fromCsv(file, { label: 'y' }).map(zscore(stats)).batch(256).map((b) => collateHost(b));
  let rows = 0;
  let batches = 0;
  for await (const [x] of ds) {
    rows += x.shape[0]!;
    batches++;
  }
  return { ...finish(rows, t0, c0), batches };
}

function finish(rows: number, t0: number, c0: NodeJS.CpuUsage): Result {
  const c = process.cpuUsage(c0);
  return {
    rows,
    seconds: (performance.now() - t0) / 1000,
    cpuSeconds: (c.user + c.system) / 1e6,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  };
}

function child(m: string): Result {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [...process.execArgv, self, '--mode', m, '--file', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${m} run failed (${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Result;
}

if (mode === 'floor') console.log(JSON.stringify(await floor()));
else if (mode === 'pipeline') console.log(JSON.stringify(await pipeline()));
else {
  await generate();
  const size = statSync(file).size / 1024 ** 3;
  const f = child('floor');
  const p = child('pipeline');
  const rate = (r: Result) => r.rows / r.seconds;
  console.log('| bench | file | rows | readline floor rows/s | pipeline rows/s | ratio (wall) | ratio (CPU) | pipeline peak RSS | floor peak RSS |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(
    `| csv parse → z-score → batch 256 | ${size.toFixed(2)} GB | ${p.rows.toLocaleString('en')} | ${Math.round(rate(f)).toLocaleString('en')} | ` +
      `${Math.round(rate(p)).toLocaleString('en')} | ${(rate(p) / rate(f)).toFixed(2)} | ${(f.cpuSeconds / p.cpuSeconds).toFixed(2)} | ` +
      `${p.maxRssMB.toFixed(0)} MB | ${f.maxRssMB.toFixed(0)} MB |`,
  );
  if (p.rows !== f.rows) console.log(`rows differ: pipeline ${p.rows}, floor ${f.rows}`);
  if (p.maxRssMB >= 300) console.log(`FAIL: peak RSS ${p.maxRssMB.toFixed(0)} MB ≥ 300 MB`);
}
