/**
 * Issue 5: stream a generated CSV of ≥ 2 GB through parse → z-score → batch 256 with @nn/data
 * (packages/data/bench/csv-stream.ts, each mode in its own process): peak RSS (target < 300 MB) and
 * rows/s against a plain `readline` loop that only splits lines (the floor). `--quick` uses a 50 MB file.
 */
import { fmt, table } from '../stats';
import { runScript } from '../spawn';
import type { Bench, BenchOptions, BenchResult } from '../types';

const SCRIPT = 'packages/data/bench/csv-stream.ts';

async function run(opts: BenchOptions): Promise<BenchResult> {
  const args = opts.quick ? ['--gb', '0.05', '--file', '/tmp/nn-bench-quick.csv'] : ['--gb', '2', '--file', '/tmp/nn-data-bench.csv'];
  const { stdout, seconds } = runScript(SCRIPT, args, 1_800_000);
  const row = stdout.split('\n').find((l) => l.startsWith('| csv parse'));
  if (!row) throw new Error(`${SCRIPT} printed no result row: ${stdout.slice(-300)}`);
  const [, , size, rows, floor, pipe, wall, cpu, rss, floorRss] = row.split('|').map((c) => c.trim());
  const rssMB = Number(rss!.replace(/[^\d.]/g, ''));
  const num = (s: string) => Number(s.replace(/,/g, ''));
  return {
    name: bench.name, title: bench.title, issues: bench.issues, status: 'ok',
    headlines: [
      { measure: `CSV ${size} parse → z-score → batch 256: peak RSS`, ours: `@nn/data: ${rss}`, peer: `readline floor: ${floorRss}`, ratio: rssMB, valueText: rss!, target: '< 300 MB', met: rssMB < 300 },
      { measure: `CSV ${size} parse → z-score → batch 256: rows/s`, ours: `@nn/data: ${fmt(num(pipe!))} rows/s`, peer: `readline split: ${fmt(num(floor!))} rows/s`, ratio: Number(wall), target: 'none (reported; the floor only splits lines)', met: null },
    ],
    tables: [table(['file', 'rows', 'readline floor rows/s', 'pipeline rows/s', 'ratio (wall)', 'ratio (CPU)', 'pipeline peak RSS', 'floor peak RSS'], [[size!, rows!, floor!, pipe!, wall!, cpu!, rss!, floorRss!]])],
    notes: [
      `${SCRIPT} ${args.join(' ')} (${Math.round(seconds)} s including generating the file when absent): one run of each mode in its own child process, so each peak RSS is its own; one repetition (a pass over 2 GB takes minutes here).`,
      'Pipeline: `Dataset.fromCsv(file, { label })` (csv-parse) → `map(zscore(stats))` (statistics from the first 200k rows) → `batch(256)` → host collate. Floor: `readline` + `line.split(\',\')`, no numbers parsed. Ratio (CPU) is floor CPU seconds / pipeline CPU seconds.',
      ...(opts.quick ? ['Quick run: a 50 MB file instead of 2 GB.'] : []),
      ...stdout.split('\n').filter((l) => l.startsWith('FAIL') || l.startsWith('rows differ')),
    ],
  };
}

export const bench: Bench = { name: 'csv-stream', title: 'CSV streaming (≥ 2 GB): @nn/data vs a readline floor', issues: [5], run };
