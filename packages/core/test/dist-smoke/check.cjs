// Dist smoke check shared by smoke.mjs (ESM import) and smoke.cjs (CJS require): runs against the
// BUILT package (@nn/core resolved by Node through package.json "exports" to dist/), never the sources.
'use strict';
const assert = require('node:assert/strict');
const { mkdtempSync, rmSync, readFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

/** @param nn the @nn/core module object @param how 'esm' | 'cjs' */
module.exports = async function check(nn, how) {
  const { Sequential, layers, saveModel, loadModel, nn: torch, summary } = nn;
  const model = new Sequential([
    layers.Conv2D(2, 3, { inputShape: [6, 6, 1] }), layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(3),
    layers.LeakyReLU(), layers.Dropout(0.1), layers.BatchNormalization(), layers.Dense(2, { activation: 'softmax' }),
  ]);
  const text = model.summary(() => {});
  for (const row of ['conv2d (Conv2D)', 'max_pooling2d (MaxPooling2D)', 'flatten (Flatten)', 'dense (Dense)', 'leaky_re_lu (LeakyReLU)', 'dropout (Dropout)', 'batch_normalization (BatchNormalization)', 'dense_1 (Dense)']) {
    assert.ok(text.includes(row), `${how}: summary lacks "${row}":\n${text}`);
  }
  assert.ok(!/\b_[A-Z]|Keras|Torch/.test(text), `${how}: a bundler or internal class name leaked into the summary:\n${text}`);

  const dir = mkdtempSync(join(tmpdir(), `nn-dist-smoke-${how}-`));
  try {
    await saveModel(model, dir);
    const saved = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    const classNames = JSON.stringify(saved).match(/"className":"[^"]*"/g) ?? [];
    assert.deepEqual(
      [...new Set(classNames)].sort(),
      ['Sequential', 'Conv2D', 'MaxPooling2D', 'Flatten', 'Dense', 'LeakyReLU', 'Dropout', 'BatchNormalization'].map((n) => `"className":"${n}"`).sort(),
      `${how}: saved class names`,
    );
    const again = await loadModel(dir);
    assert.equal(again.summary(() => {}).replace(/"[^"]*"/, ''), text.replace(/"[^"]*"/, ''), `${how}: the reloaded model's summary differs`);
    // Same outputs after the round trip (inference mode, so dropout is off).
    const x = nn.randn([2, 6, 6, 1]);
    const a = await model.predict(x);
    const b = await again.predict(x);
    assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()), `${how}: outputs differ after save/load`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Freezing and get/setWeights (accessors and methods on the built Layer, not only the sources).
  const w0 = model.getWeights();
  model.layers[0].trainable = false;
  assert.equal(model.trainableWeights.length, model.weights.length - 2 - 2, `${how}: a frozen Conv2D leaves trainableWeights`);
  assert.equal(model.layers[0].weights.every((p) => !p.requiresGrad), true, `${how}: a frozen layer's weights get no gradient`);
  model.layers[0].trainable = true;
  model.setWeights(w0);
  assert.deepEqual(Array.from(model.weights[0].dataSync()), Array.from(w0[0].dataSync()), `${how}: setWeights`);
  assert.equal(nn.HOST_BATCHES, Symbol.for('nn.hostBatches'), `${how}: HOST_BATCHES is the shared Symbol.for key`);

  // fit and evaluate read an in-memory tensor back once; the next call on the same tensor takes that
  // host copy (the tensor module's dispose and fit's data module share one cache in the bundle).
  {
    const lin = new torch.Sequential(new torch.Linear(4, 3));
    lin.compile({ optimizer: new nn.optim.SGD(lin.parameters(), { lr: 0.1 }), loss: 'crossentropy' });
    const xs = nn.randn([10, 4]), ys = nn.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], undefined, { dtype: 'int32' });
    const b = nn.getBackend(), read = b.readSync;
    let reads = 0;
    b.readSync = (ref) => ((reads += ref.shape.join(',') === '10,4' ? 1 : 0), read.call(b, ref));
    try {
      await lin.fit(xs, ys, { epochs: 1, batchSize: 5, verbose: 0, engine: 'eager' });
      await lin.fit(xs, ys, { epochs: 1, batchSize: 5, verbose: 0, engine: 'eager' });
      await lin.evaluate(xs, ys);
      assert.equal(reads, 1, `${how}: x was read back ${reads} times over two fits and an evaluate`);
      xs.assign_(nn.randn([10, 4]));
      await lin.fit(xs, ys, { epochs: 1, batchSize: 5, verbose: 0, engine: 'eager' });
      assert.equal(reads, 2, `${how}: new values (assign_) must be read again`);
    } finally {
      b.readSync = read;
    }
  }

  // Dropout masks: the WebAssembly Bernoulli kernel is in the build, loads, and draws what the rule
  // says (one nextUint32 per element, 1 where it is below floor(p * 2^32)).
  {
    const testing = how === 'esm' ? await import('@nn/core/testing') : require('@nn/core/testing');
    assert.equal(testing.bernoulliKernelLoaded(), true, `${how}: the WebAssembly Bernoulli kernel did not load`);
    const g1 = new nn.Generator(7), g2 = new nn.Generator(7), got = new Float32Array(100_003);
    g1.fillBernoulli(got, 0.3);
    const thr = Math.floor(0.3 * 2 ** 32);
    for (let i = 0; i < got.length; i++) assert.equal(got[i], g2.nextUint32() < thr ? 1 : 0, `${how}: fillBernoulli value ${i}`);
    assert.deepEqual(g1.getState(), g2.getState(), `${how}: generator state after fillBernoulli`);
    // A mask drawn scaled (bernoulli's `value`, dropout at rate 0.2): the same successes, 1.25 each.
    const plain = nn.bernoulli([5000], 0.8, { generator: new nn.Generator(3) }).dataSync();
    const scaled = nn.bernoulli([5000], 0.8, { generator: new nn.Generator(3), value: 1.25 }).dataSync();
    for (let i = 0; i < plain.length; i++) assert.equal(scaled[i], plain[i] * 1.25, `${how}: bernoulli value, element ${i}`);
    const x = nn.randn([40, 50], { generator: new nn.Generator(1) });
    const dropped = nn.dropout(x, 0.2, true, new nn.Generator(4)).dataSync();
    const mask = nn.bernoulli([40, 50], 0.8, { generator: new nn.Generator(4) });
    const want = nn.mul(x, nn.mul(mask, 1 / 0.8)).dataSync(); // the formula before the mask was drawn scaled
    for (let i = 0; i < want.length; i++) assert.equal(dropped[i], want[i], `${how}: dropout element ${i}`);
  }

  // PyTorch door: classes exported under another name show the PyTorch name.
  const net = new torch.Sequential(new torch.Linear(4, 3), new torch.Dropout(0.1), new torch.Flatten(), new torch.BatchNorm1d(3));
  const t = summary(net, { inputShape: [2, 4], print: () => {} });
  assert.ok(t.startsWith('Model: "Sequential"'), `${how}: torch summary title:\n${t}`);
  for (const n of ['(Linear)', '(Dropout)', '(Flatten)', '(BatchNorm1d)']) assert.ok(t.includes(n), `${how}: torch summary lacks ${n}:\n${t}`);
  assert.ok(!/\b_[A-Z]|Keras|Torch/.test(t), `${how}: internal class name in the torch summary:\n${t}`);
  return `${how}: ok`;
};
