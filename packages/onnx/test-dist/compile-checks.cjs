// compileTrainStep checks shared by fit-ort.cjs and fit-ort.mjs. Each script passes the modules it
// loaded itself (require: the CommonJS builds; import: the ESM builds), so the same checks run
// against each build.
module.exports = async function compileChecks(core, onnx) {
  const { nn, optimizers, optim, randn, randint, manualSeed, layers, Sequential } = core;
  // Keras augmentation layers and a PyTorch loss module: the layers' random plans are per-step
  // inputs (no eager fallback), the module is called (input, target).
  const augModel = new Sequential([layers.Reshape([4, 4, 1]), layers.RandomFlip({ seed: 1 }), layers.RandomTranslation(0.2, 0.2, { seed: 2 }), layers.Flatten(), layers.Dense(3)]);
  augModel.build([8, 16]);
  augModel.train();
  const fallbacks = [];
  const e = await onnx.compileTrainStep(augModel, { optimizer: optimizers.Adam(), loss: new nn.CrossEntropyLoss(), inputShape: [16], device: 'cpu', onFallback: (r) => fallbacks.push(r) });
  const augLoss = [];
  for (let i = 0; i < 3; i++) augLoss.push(await e.step(randn([8, 16]), randint(0, 3, [8])));
  const augment = { fallbacks, randoms: Object.values(e.graphInfo)[0]?.masks ?? 0, ort: e.counts.ort, loss: augLoss };

  // Row chunks: the same conv net and batches, in 2 chunks and whole (its max pool's gradient is the
  // CPU's MaxUnpool form, lower-conv.ts).
  manualSeed(3);
  const data = Array.from({ length: 4 }, () => [randn([16, 1, 8, 8]), randint(0, 3, [16])]);
  const chunked = async (batchChunks) => {
    manualSeed(4);
    const m = new nn.Sequential(new nn.Conv2d(1, 4, 3), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(4 * 3 * 3, 3));
    m.train();
    const s = await onnx.compileTrainStep(m, { optimizer: new optim.Adam(m.parameters(), { lr: 1e-2 }), loss: 'crossentropy', inputShape: [1, 8, 8], batchChunks, device: 'cpu' });
    const loss = [];
    for (const [x, y] of data) loss.push(await s.step(x, y));
    return { chunks: Object.values(s.graphInfo)[0]?.chunks ?? 0, ort: s.counts.ort, loss };
  };
  // spinWait reaches the session: false trains compiled on 2 threads, a non-boolean is refused by name.
  const spin = async (spinWait) => {
    manualSeed(5);
    const m = new nn.Sequential(new nn.Linear(8, 3));
    const s = await onnx.compileTrainStep(m, { optimizer: new optim.Adam(m.parameters()), loss: 'crossentropy', inputShape: [8], device: 'cpu', threads: 2, spinWait });
    try {
      for (let i = 0; i < 3; i++) await s.step(randn([8, 8]), randint(0, 3, [8]));
      return { ort: s.counts.ort };
    } catch (err) {
      return { error: err.message };
    }
  };
  return { augment, chunks: { two: await chunked(2), one: await chunked(1) }, spin: { off: await spin(false), bad: await spin('no') } };
};
