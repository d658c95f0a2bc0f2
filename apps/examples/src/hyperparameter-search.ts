/**
 * Random versus Bayesian (TPE) search on the right scales: a learning rate α = 10^k with
 * k ∈ [−5, 1] (`loguniform`) and a momentum β = 1 − 10^k with k ∈ [−3, −1] (`oneMinusLog`), on
 * a tiny objective — a few steps of SGD with momentum (PyTorch door) — then which of the two
 * mattered (`study.importance()`, fANOVA), and `tuneModel` on a Keras-style model. The studies
 * live in a SQLite file (`storage: 'sqlite:…'`): a crashed run resumes by rerunning with the same
 * study name, where the default in-memory storage would lose every trial.
 *
 *   npx tsx src/hyperparameter-search.ts
 */
import { Sequential, layers, losses, nn, optim, optimizers, tensor, manualSeed, scope } from '@nn/core';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { study, loguniform, oneMinusLog, uniform, random, tuneModel, int, type Study } from '@nn/tune';
import { check, fmt, makeClassification, printTable, runIfMain, setup, tempDir, type ExampleOptions } from './common';

/** How many of `values` fall in each decade of [lo, hi]. */
function decades(values: number[], lo: number, hi: number): string {
  const out: string[] = [];
  for (let k = Math.log10(lo); k < Math.log10(hi); k++) out.push(String(values.filter((v) => v >= 10 ** k && v < 10 ** (k + 1)).length));
  return out.join(' / ');
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();

  // ---- Why the log scale: 100 draws for α in [1e-5, 10], counted per decade ----
  const draws = async (dist: ReturnType<typeof loguniform> | ReturnType<typeof uniform>) => {
    const s = study({ sampler: random(), seed: 1 });
    await s.optimize((t) => { t.suggest('lr', dist); return 0; }, { trials: 100 });
    return s.trials.map((t) => t.params.lr!.value as number);
  };
  console.log('100 draws of α in [1e-5, 10], per decade (1e-5 … 10):');
  printTable([
    { scale: 'uniform(1e-5, 10)', 'count per decade': decades(await draws(uniform(1e-5, 10)), 1e-5, 10) },
    { scale: 'loguniform(1e-5, 10)', 'count per decade': decades(await draws(loguniform(1e-5, 10)), 1e-5, 10) },
  ]);
  console.log('Uniform spends ~90% of its trials in [1, 10]; the log scale gives each decade the same share.\n');

  // ---- A tiny objective: validation loss after a few SGD-with-momentum steps ----
  const n = 256;
  const d = makeClassification(n * 2, 10, 3, 71, 0);
  const x = tensor(d.x.subarray(0, n * 10), [n, 10]), y = tensor(d.y.subarray(0, n), [n], { dtype: 'int32' });
  const xv = tensor(d.x.subarray(n * 10), [n, 10]), yv = tensor(d.y.subarray(n), [n], { dtype: 'int32' });
  const objective = (lr: number, beta: number): number => {
    manualSeed(1);
    const net = new nn.Sequential(new nn.Linear(10, 32), new nn.Tanh(), new nn.Linear(32, 3));
    const opt = new optim.SGD(net.parameters(), { lr, momentum: beta });
    for (let step = 0; step < 20; step++) {
      scope(() => { opt.zeroGrad(); nn.functional.crossEntropy(net(x), y).backward(); opt.step(); });
    }
    const v = scope(() => nn.functional.crossEntropy(net(xv), yv).item());
    return Number.isFinite(v) ? Math.min(v, 10) : 10; // a diverged run scores 10 instead of failing the trial
  };

  const trials = opts.small ? 20 : 40;
  const rows: Record<string, string | number>[] = [];
  const best = new Map<string, number>();
  const dir = await tempDir('tune');
  const storage = `sqlite:${join(dir, 'tune.db')}`; // kept on disk: rerun with the same name to resume
  let tpeStudy: Study | null = null;
  for (const sampler of ['random', 'tpe'] as const) {
    const s = study({ name: `sgd-${sampler}`, sampler, direction: 'minimize', seed: 3, storage });
    await s.optimize((t) => {
      const lr = t.suggest('lr', loguniform(1e-5, 10));        // α = 10^k, k ∈ [−5, 1]
      const beta = t.suggest('beta', oneMinusLog(-3, -1));      // β = 1 − 10^k ∈ [0.9, 0.999]
      return objective(lr, beta);
    }, { trials });
    const values = s.trials.map((t) => t.value ?? Infinity);
    const bestSoFar = values.map((_, i) => Math.min(...values.slice(0, i + 1)));
    best.set(sampler, s.bestValue);
    const q = (k: number) => fmt(bestSoFar[Math.min(k, trials) - 1]!);
    if (sampler === 'tpe') tpeStudy = s;
    rows.push({ sampler, trials, 'best after 5 / 10 / all': `${q(5)} / ${q(10)} / ${q(trials)}`, 'best lr': fmt(s.bestParams.lr as number), 'best β': fmt(s.bestParams.beta as number),
                'trials with lr in [1e-2, 1]': s.trials.filter((t) => (t.params.lr!.value as number) >= 1e-2 && (t.params.lr!.value as number) <= 1).length });
  }
  console.log(`Tuning α and β of SGD with momentum (20 full-batch steps, validation loss), ${trials} trials each:`);
  printTable(rows);
  console.log('TPE starts like random search (10 start-up trials), then samples where good trials were: more trials near the best α.');
  check(best.get('tpe')! <= best.get('random')! * 1.1, 'TPE finds a configuration at least about as good as random search'); // a small study: allow 10%

  // ---- Which hyperparameter mattered: fANOVA importance of the TPE study, and its bar chart ----
  const importance = tpeStudy!.importance();
  console.log(`\nImportance (fANOVA: share of the validation loss's variance each parameter explains on its own, ${trials} TPE trials):`);
  printTable(Object.entries(importance).map(([param, share]) => ({ param, importance: share })));
  await writeFile(join(dir, 'importance.vl.json'), JSON.stringify(tpeStudy!.plotImportance(), null, 2));
  console.log(`Trials in ${storage}; bar chart (Vega-Lite) in ${join(dir, 'importance.vl.json')}.`);
  check(Object.keys(importance)[0] === 'lr', 'the learning rate matters more than the momentum for 20 SGD steps');
  await tpeStudy!.close();

  // ---- Keras door: tuneModel builds, compiles and fits a model per trial ----
  const res = await tuneModel({
    build: (t) => {
      manualSeed(1);
      const m = new Sequential([layers.Dense(t.suggest('units', int(4, 64, { log: true })), { inputShape: [10], activation: 'relu' }), layers.Dense(3)]);
      m.compile({ optimizer: optimizers.Adam({ learningRate: t.suggest('lr', loguniform(1e-4, 1e-1)) }),
                  loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }), metrics: ['accuracy'] });
      return m;
    },
    x, y, fit: { epochs: 5, batchSize: 32, verbose: 0, validationData: [xv, yv] },
    metric: 'val_accuracy', trials: opts.small ? 6 : 12, study: { sampler: 'tpe', seed: 1 },
  });
  console.log(`tuneModel (Keras door): best val_accuracy ${fmt(res.bestValue)} with ${JSON.stringify(Object.fromEntries(Object.entries(res.bestParams).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(3)) : v])))}`);
}

runIfMain(import.meta.url, main);
