import { describe, expect, it } from 'vitest';
import { int, loguniform } from './distributions.js';
import { directionForMetric, type FittableModel, type Logs, tuneModel } from './keras.js';
import { medianPruner } from './pruners/median.js';

/** A stand-in for a Keras model: its validation curve depends on lr and width. */
function fakeModel(lr: number, width: number, metricKey = 'val_loss'): FittableModel & { epochsRun: number; compiled: boolean } {
  const m = {
    epochsRun: 0,
    compiled: false,
    stopTraining: false,
    compile() {
      m.compiled = true;
    },
    async fit(_x: unknown, _y: unknown, opts: Record<string, unknown>) {
      const epochs = opts.epochs as number;
      const callbacks = (opts.callbacks ?? []) as Array<{ onEpochEnd?(e: number, l?: Logs): unknown }>;
      const history: Record<string, number[]> = { loss: [], [metricKey]: [] };
      const floor = (Math.log10(lr) + 2) ** 2 + ((width - 96) / 64) ** 2;
      for (let e = 0; e < epochs && !m.stopTraining; e++) {
        m.epochsRun++;
        const logs = { loss: floor + 2 / (e + 1), [metricKey]: floor + 1 / (e + 1) };
        history.loss!.push(logs.loss);
        history[metricKey]!.push(logs[metricKey]!);
        for (const cb of callbacks) await cb.onEpochEnd?.(e, logs);
      }
      return { history };
    },
  };
  return m;
}

describe('tuneModel', () => {
  it('tunes a model-building function, reporting every epoch and pruning bad trials', async () => {
    const models: Array<ReturnType<typeof fakeModel>> = [];
    const userEpochs: number[] = [];
    const res = await tuneModel({
      build: (t) => {
        const m = fakeModel(t.suggest('lr', loguniform(1e-5, 10)), t.suggest('width', int(32, 256, { step: 32 })));
        m.compile!();
        models.push(m);
        return m;
      },
      x: [],
      y: [],
      fit: { epochs: 8, callbacks: [{ onEpochEnd: (e: number) => void userEpochs.push(e) }] },
      metric: 'val_loss',
      trials: 40,
      study: { seed: 3, pruner: medianPruner({ nStartupTrials: 5 }), onWarning: () => {} },
    });
    const states = res.study.trials.map((t) => t.state);
    expect(states.filter((s) => s === 'pruned').length).toBeGreaterThan(5);
    expect(states.every((s) => s !== 'fail')).toBe(true);
    // Pruned trials stopped early, so fewer than 40 × 8 epochs ran.
    expect(models.reduce((a, m) => a + m.epochsRun, 0)).toBeLessThan(40 * 8);
    expect(userEpochs.length).toBeGreaterThan(0); // the user's own callbacks still run
    // Optimum: lr = 1e-2, width = 96 → floor 0, best epoch value 1/8. Within 0.5 after 40 trials.
    expect(res.bestValue).toBeLessThan(0.125 + 0.5);
    expect(Object.keys(res.bestTrial.intermediate)).toHaveLength(8);
    expect(res.bestParams).toHaveProperty('lr');
  });

  it('infers the direction from the metric name', () => {
    expect(directionForMetric('val_accuracy')).toBe('maximize');
    expect(directionForMetric('val_auc')).toBe('maximize');
    expect(directionForMetric('val_loss')).toBe('minimize');
  });

  it('fails trials clearly when the metric is missing from the logs', async () => {
    const res = tuneModel({
      build: () => fakeModel(1e-2, 96, 'val_mse'),
      x: [],
      y: [],
      fit: { epochs: 2 },
      metric: 'val_loss',
      trials: 2,
      study: { onWarning: () => {} },
    });
    const err = await res.catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /none of the 2 trials .* completed; first error: TuneError: tuneModel\(\): metric "val_loss" is missing from the epoch logs \(got loss, val_mse\)/,
    );
  });

  it('rejects a missing metric name', async () => {
    await expect(tuneModel({ build: () => fakeModel(1, 1), x: [], y: [], metric: '', trials: 1 })).rejects.toThrow(/metric/);
  });
});
