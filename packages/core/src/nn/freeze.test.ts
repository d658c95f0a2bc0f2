/**
 * Freezing: Keras `layer.trainable = false` (recursive, BatchNormalization in inference mode) and
 * PyTorch `module.requiresGrad_(false)`. Frozen weights get no gradient and fit leaves them exactly
 * as they were; the others train as before. Before, `trainable` was read only when a weight was
 * made: setting it on a built layer changed nothing, and fit went on updating the "frozen" weights.
 */
import { describe, expect, it } from 'vitest';
import { fit, layers, losses, manualSeed, nn, optim, optimizers, randint, randn, Sequential, type Parameter } from '../index';

const X = randn([40, 6]), Y = randint(0, 3, [40]);
const vals = (ps: Parameter[]) => ps.map((p) => Array.from(p.dataSync()));

function keras() {
  manualSeed(2);
  const d1 = layers.Dense(8, { activation: 'relu', inputShape: [6] }), bn = layers.BatchNormalization(), d2 = layers.Dense(3);
  const model = new Sequential([d1, bn, d2]);
  const compile = () => model.compile({ optimizer: optimizers.Adam({ learningRate: 0.01 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
  compile();
  return { d1, bn, d2, model, compile };
}

describe('freezing layers', () => {
  it('Keras: a built Dense frozen after a first fit keeps its weights exactly; the rest trains; unfreezing restores it', async () => {
    const { d1, d2, bn, model, compile } = keras();
    await fit(model, X, Y, { epochs: 1, batchSize: 10, verbose: 0 });
    d1.trainable = false;
    expect(model.trainableWeights).toEqual([bn.gamma, bn.beta, ...d2.weights]);
    expect(model.nonTrainableWeights).toEqual([...d1.weights, bn.movingMean, bn.movingVariance]);
    expect(model.countParams() - model.numParameters(true)).toBe(6 * 8 + 8 + 2 * 8); // summary's non-trainable count
    compile();
    const frozen = vals(d1.weights), others = vals(d2.weights);
    await fit(model, X, Y, { epochs: 2, batchSize: 10, verbose: 0 });
    expect(vals(d1.weights)).toEqual(frozen);
    expect(vals(d2.weights)).not.toEqual(others);
    expect(d1.weights.map((p) => p.requiresGrad)).toEqual([false, false]);
    d1.trainable = true;
    expect(model.trainableWeights).toEqual([...d1.weights, bn.gamma, bn.beta, ...d2.weights]);
    expect([bn.movingMean.trainable, bn.movingVariance.trainable]).toEqual([false, false]); // made non-trainable: stay so
    compile();
    await fit(model, X, Y, { epochs: 1, batchSize: 10, verbose: 0 });
    expect(vals(d1.weights)).not.toEqual(frozen);
  });

  it('Keras: model.trainable = false freezes every layer inside (also before they are built)', async () => {
    manualSeed(2);
    const inner = new Sequential([layers.Dense(8, { activation: 'relu' }), layers.Dense(8)]);
    const model = new Sequential([inner, layers.Dense(3)]);
    inner.trainable = false; // not built yet: its layers make their weights frozen
    model.compile({ optimizer: optimizers.SGD({ learningRate: 0.1 }), loss: losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
    await fit(model, X.slice([0, 0], [10, 6]), Y.slice([0], [10]), { epochs: 1, batchSize: 10, verbose: 0 }); // builds
    expect(inner.layers.map((l) => (l as unknown as { trainable: boolean }).trainable)).toEqual([false, false]);
    const frozen = vals(inner.weights);
    expect(frozen).toHaveLength(4);
    await fit(model, X, Y, { epochs: 1, batchSize: 10, verbose: 0 });
    expect(vals(inner.weights)).toEqual(frozen);
    expect(model.trainableWeights).toHaveLength(2);
  });

  it('Keras: fitting a model whose every weight is frozen is a clear error', async () => {
    const { model, compile } = keras();
    model.trainable = false;
    compile();
    await expect(fit(model, X, Y, { epochs: 1, batchSize: 10, verbose: 0 })).rejects.toThrow(/fit: every weight of the model is frozen \(trainable = false\): nothing to train\./);
  });

  it('Keras: a frozen BatchNormalization runs in inference mode in fit (moving statistics used and kept)', async () => {
    const { bn, model, compile } = keras();
    await fit(model, X, Y, { epochs: 1, batchSize: 10, verbose: 0 });
    bn.trainable = false;
    compile();
    const stats = vals([bn.movingMean, bn.movingVariance, bn.gamma!, bn.beta!]);
    const h = randn([5, 8]);
    const inference = Array.from(bn.call(h, { training: false }).dataSync());
    expect(Array.from(bn.call(h, { training: true }).dataSync())).toEqual(inference);
    await fit(model, X, Y, { epochs: 1, batchSize: 10, verbose: 0 });
    expect(vals([bn.movingMean, bn.movingVariance, bn.gamma!, bn.beta!])).toEqual(stats);
  });

  it('PyTorch: module.requiresGrad_(false) leaves its parameters out of parameters() and untouched; requiresGrad_() restores them', async () => {
    manualSeed(2);
    const features = new nn.Linear(6, 8), head = new nn.Linear(8, 3);
    const net = new nn.Sequential(features, new nn.ReLU(), head);
    const all = net.parameters();
    features.requiresGrad_(false);
    expect(net.parameters()).toEqual([head.weight, head.bias!]);
    // An optimizer over every parameter (as PyTorch code often does) skips those without a gradient.
    net.compile({ optimizer: new optim.Adam(all, { lr: 0.01 }), loss: 'crossentropy' });
    const frozen = vals([features.weight, features.bias!]);
    await fit(net, X, Y, { epochs: 1, batchSize: 10, verbose: 0 });
    expect(vals([features.weight, features.bias!])).toEqual(frozen);
    expect([features.weight.requiresGrad, features.weight.grad]).toEqual([false, null]);
    expect(features.requiresGrad_()).toBe(features);
    expect(net.parameters()).toEqual(all);
  });
});

describe('getWeights / setWeights (Keras get_weights / set_weights)', () => {
  it('copies out, and assigns back in weights order: a reset to the initial weights gives the same run again', async () => {
    const { model, compile, d1, bn } = keras();
    model.build([10, 6]);
    const initial = model.getWeights();
    expect(initial.map((t) => t.shape)).toEqual(model.weights.map((w) => w.shape));
    expect(model.getWeights(true)).toHaveLength(model.trainableWeights.length);
    const a = await fit(model, X, Y, { epochs: 2, batchSize: 10, verbose: 0, shuffle: false });
    expect(vals(d1.weights)).not.toEqual(initial.slice(0, 2).map((t) => Array.from(t.dataSync()))); // copies: training left them alone
    model.setWeights(initial);
    compile(); // a fresh optimizer, as when comparing optimizers from the same start
    const b = await fit(model, X, Y, { epochs: 2, batchSize: 10, verbose: 0, shuffle: false });
    expect(b.history.loss).toEqual(a.history.loss);
    // Nested arrays and flat typed arrays of the weight's size are taken too.
    bn.setWeights([[1, 1, 1, 1, 1, 1, 1, 1], new Float32Array(8), new Float64Array(8).fill(0.5), new Float32Array(8).fill(2)]);
    expect(vals([bn.movingMean, bn.movingVariance])).toEqual([new Array(8).fill(0.5), new Array(8).fill(2)]);
  });

  it('a wrong count or shape is a clear error naming the weight, and nothing is assigned', () => {
    const { model, d1 } = keras();
    model.build([10, 6]);
    const before = vals(d1.weights);
    const good = model.getWeights();
    expect(() => model.setWeights(good.slice(1))).toThrow(/setWeights: sequential\w* has 8 weights \(dense\w*\/kernel \[6, 8\], .*\); got 7 values\./);
    const bad = [...good];
    bad[1] = randn([7]);
    expect(() => model.setWeights(bad.map((t, i) => (i === 0 ? randn([6, 8]) : t)))).toThrow(/setWeights: value 1 for dense\w*\/bias has shape \[7\]; the weight's is \[8\]\./);
    expect(vals(d1.weights)).toEqual(before);
  });
});
