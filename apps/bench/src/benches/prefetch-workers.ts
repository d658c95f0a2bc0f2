/**
 * Issue 5: a per-sample preprocessing map that costs more than a training step; the fraction of time
 * the trainer waits for data without (main thread, no read-ahead) and with worker threads + prefetch
 * (packages/data/bench/prefetch-workers.ts). Target: < 5% with workers.
 */
import { fmt, median, summarize, table } from '../stats';
import { runScript } from '../spawn';
import type { Bench, BenchOptions, BenchResult } from '../types';

const SCRIPT = 'packages/data/bench/prefetch-workers.ts';

/** One run of the script: both setups, and whether the map really cost more than a step in it. */
interface Rep {
  /** Cells after "prefetch + workers": setup, waits (whole), waits (after first), wall, cores, run-queue. */
  rows: string[][];
  premise: boolean;
  /** Map cost / step without and with workers, as measured in the run. */
  mapRatios: [string, string];
  probe: string;
  comment: string;
}

function parse(stdout: string): Rep {
  const rows = stdout.split('\n').filter((l) => l.startsWith('| prefetch + workers')).map((l) => l.split('|').map((c) => c.trim()).slice(2, -1));
  if (rows.length !== 2) throw new Error(`${SCRIPT} printed ${rows.length} result rows, expected 2`);
  const pm = /premise \(map > step\) in these runs: (held|NOT held); the map cost ≈ ([\d.]+)× the step without workers .*≈ ([\d.]+)× with workers/.exec(stdout);
  return {
    rows,
    premise: pm?.[1] === 'held',
    mapRatios: [pm?.[2] ?? '?', pm?.[3] ?? '?'],
    probe: /(\d+ threads got the throughput of ≈ [\d.]+ cores) just before/.exec(stdout)?.[1] ?? '',
    comment: /<!-- (\d+ CPUs.*) -->/.exec(stdout)?.[1] ?? '',
  };
}

async function run(opts: BenchOptions): Promise<BenchResult> {
  const args = opts.quick ? ['--steps', '100'] : [];
  const want = opts.quick ? 1 : Math.min(opts.reps, 3);
  // This VM's CPU changes speed with other guests: a run whose map ended up cheaper than a step
  // does not test the target. Count only runs where it held, trying at most twice as many.
  const reps: Rep[] = [];
  while (reps.filter((r) => r.premise).length < want && reps.length < 2 * want) reps.push(parse(runScript(SCRIPT, args, 600_000).stdout));
  const valid = reps.filter((r) => r.premise);
  const counted = valid.length ? valid : reps;
  const [without, withW] = [reps[0]!.rows[0]![0]!, reps[0]!.rows[1]![0]!];
  const pct = (s: string) => Number(s.replace('%', '')) / 100;
  const p = (x: number) => `${(100 * x).toFixed(1)}%`;
  const w = summarize(counted.map((r) => pct(r.rows[1]![2]!)));
  const o = summarize(counted.map((r) => pct(r.rows[0]![2]!)));
  const range = (s: ReturnType<typeof summarize>) => (s.n > 1 ? ` (${p(s.min)}–${p(s.max)})` : '');
  const cores = Number(/^(\d+) CPUs/.exec(reps[0]!.comment)?.[1] ?? 2);
  const contended = counted.filter((r) => pct(r.rows[1]![2]!) >= 0.05 && Number.parseFloat(r.rows[1]![5] ?? '') >= 0.25 && Number(r.rows[1]![4]) < cores - 0.25);
  return {
    name: bench.name, title: bench.title, issues: bench.issues, status: 'ok',
    headlines: [{
      measure: 'Trainer waiting for data (after the first batch), preprocessing > step',
      ours: `${withW}: ${p(w.median)}`,
      peer: `${without}: ${p(o.median)}`,
      ratio: w.median,
      valueText: `${p(w.median)}${range(w)}, ${valid.length} of ${reps.length} runs counted`,
      target: '< 5% with workers',
      met: valid.length ? w.median < 0.05 : null,
    }],
    tables: [table(
      ['run', 'setup', 'trainer waits (whole run)', 'trainer waits (after first batch)', 'wall time', 'CPU cores busy', 'threads waiting for a CPU', 'map cost in the run'],
      reps.flatMap((r, i) => r.rows.map((c, k) => [
        k ? '' : `${i + 1}${r.premise ? '' : ' (map ≤ step: not counted)'}`, c[0]!, c[1]!, c[2]!, c[3]!, c[4]!, c[5] ?? 'n/a', `${r.mapRatios[k]}× the step`,
      ])),
    )],
    notes: [
      `${SCRIPT} ${args.join(' ')} run ${reps.length}× (first run: ${reps[0]!.comment}).`,
      'Data: 28×28 uint8 images in memory; the map (uint8 → float, then 3×3 box blurs) is calibrated in CPU time to cost about 1.25 training steps per batch of 32, so without workers the trainer must wait. ' +
        'The trainer is a real PyTorch-style loop over `new DataLoader(ds, { batchSize: 32, shuffle: true, numWorkers, transform, prefetch })`: each step is a forward/backward/SGD update of a 784→10 model on the batch (host CPU), then a wait for the rest of the 20 ms step — the share an accelerator would take while the CPU is free.',
      '"map cost in the run": without workers, from the trainer\'s waits (map / step = w / (1 − w)); with workers, the worker threads\' CPU per batch. This VM\'s CPU changes speed with other guests, so a run where either is below 1× did not test the target and is not counted.',
      `Probe before each run (worker threads blurring flat out, in calibrated cores): ${reps.map((r) => r.probe.replace(/ threads got the throughput of/, ' threads:')).join('; ')}.`,
      `Median wall time: ${fmt(median(counted.map((r) => Number(r.rows[0]![3]!.replace(' s', '')))))} s without, ${fmt(median(counted.map((r) => Number(r.rows[1]![3]!.replace(' s', '')))))} s with.`,
      ...(contended.length
        ? [`CPU contention: in ${contended.length} counted run(s) the trainer waited ≥ 5% while the process got under ${cores - 0.25} of the ${cores} cores and its threads spent ${contended.map((r) => r.rows[1]![5]).join(', ')} runnable, waiting for a CPU: other processes held the rest.`]
        : []),
      ...(valid.length ? [] : ['In no run did the map cost more than a step: the target was not tested (rerun on a quieter machine).']),
    ],
  };
}

export const bench: Bench = { name: 'prefetch-workers', title: 'Data loading: worker threads + prefetch vs the main thread', issues: [5], run };
