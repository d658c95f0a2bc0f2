/**
 * Issue 5: a per-sample preprocessing map that costs more than a training step; the fraction of time
 * the trainer waits for data without (main thread, no read-ahead) and with worker threads + prefetch
 * (packages/data/bench/prefetch-workers.ts). Target: < 5% with workers.
 */
import { fmt, median, summarize, table } from '../stats';
import { runScript } from '../spawn';
import type { Bench, BenchOptions, BenchResult } from '../types';

const SCRIPT = 'packages/data/bench/prefetch-workers.ts';

async function run(opts: BenchOptions): Promise<BenchResult> {
  const args = opts.quick ? ['--steps', '100'] : [];
  const reps = opts.quick ? 1 : Math.min(opts.reps, 3);
  const rowsBySetup: Record<string, string[][]> = {};
  let comment = '';
  for (let r = 0; r < reps; r++) {
    const { stdout } = runScript(SCRIPT, args, 600_000);
    comment ||= /<!-- (.*) -->/.exec(stdout)?.[1] ?? '';
    for (const line of stdout.split('\n').filter((l) => l.startsWith('| prefetch + workers'))) {
      const cells = line.split('|').map((c) => c.trim()).slice(2, -1);
      (rowsBySetup[cells[0]!] ??= []).push(cells);
    }
  }
  const setups = Object.keys(rowsBySetup);
  if (setups.length < 2) throw new Error(`${SCRIPT} printed ${setups.length} result rows, expected 2`);
  const pct = (s: string) => Number(s.replace('%', '')) / 100;
  const waits = (k: string) => rowsBySetup[k]!.map((c) => pct(c[2]!));
  const [without, withW] = setups as [string, string];
  const w = summarize(waits(withW)), o = summarize(waits(without));
  const p = (x: number) => `${(100 * x).toFixed(1)}%`;
  const range = (s: ReturnType<typeof summarize>) => (s.n > 1 ? ` (${p(s.min)}–${p(s.max)})` : '');
  return {
    name: bench.name, title: bench.title, issues: bench.issues, status: 'ok',
    headlines: [{
      measure: 'Trainer waiting for data (after the first batch), preprocessing > step',
      ours: `${withW}: ${p(w.median)}`,
      peer: `${without}: ${p(o.median)}`,
      ratio: w.median,
      valueText: `${p(w.median)}${range(w)}`,
      target: '< 5% with workers',
      met: w.median < 0.05,
    }],
    tables: [table(
      ['setup', 'trainer waits (whole run)', 'trainer waits (after first batch), median (min–max)', 'wall time', 'CPU cores busy'],
      setups.map((k) => {
        const rs = rowsBySetup[k]!;
        const s = summarize(waits(k));
        return [k, rs.map((c) => c[1]).join(', '), `${p(s.median)}${range(s)}`, rs.map((c) => c[3]).join(', '), rs.map((c) => c[4]).join(', ')];
      }),
    )],
    notes: [
      `${SCRIPT} ${args.join(' ')} run ${reps}× (${comment}).`,
      'The training step is an `await` of fixed length (an accelerator-bound step that leaves the CPU free); the preprocessing is calibrated to cost about 1.25 steps of CPU per batch, so without workers the trainer must wait. On this shared 2-core machine the workers compete with other agents for CPU.',
      `Median wall time: ${fmt(median(rowsBySetup[without]!.map((c) => Number(c[3]!.replace(' s', '')))))} s without, ${fmt(median(rowsBySetup[withW]!.map((c) => Number(c[3]!.replace(' s', '')))))} s with.`,
    ],
  };
}

export const bench: Bench = { name: 'prefetch-workers', title: 'Data loading: worker threads + prefetch vs the main thread', issues: [5], run };
