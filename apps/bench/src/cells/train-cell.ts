/**
 * A Node training cell (see `../fair-run.ts`): one model, one engine, one batch size, one thread
 * count, warmed, answering `run(steps)` requests. Its peer is `peers/train_cell_torch.py`.
 *
 *   tsx src/cells/train-cell.ts '{"model":"mlp","engine":"ort","batch":64,"threads":1,"rows":54000}'
 *
 * Models (the same architectures, init distributions and optimizer hyperparameters as the peer):
 * - `mlp`: 784-256-128-10 ReLU, Adam lr 1e-3; `mlp:W1,W2`: 784-W1-W2-10 (the scaling table);
 * - `fmnist`: the main job's model (apps/fashion-mnist/src/models.ts: 784-512 relu-BatchNorm-
 *   dropout .2-256 relu-dropout .2-10), Adam lr 2e-3, eps 1e-7 (the main job's, without its cosine schedule);
 * - `cnn`: conv16 3×3-relu-maxpool2-conv32 3×3-relu-maxpool2-flatten-dense10 on 1×28×28, Adam lr 1e-3.
 *
 * Engines: `ort` (a `compileTrainStep` loop, one batch per call), `ort-k` (the same, `steps(x, y, k)`:
 * k = `autoStepsPerCall(batch)` batches per onnxruntime call, as `ortEngine()` runs), `ort-fit` (`model.fit` with
 * `ortEngine()`: fit's own shuffle, batching and bookkeeping; for `fmnist` the main job's Keras
 * model), `eager` (the same loop as `ort` eagerly on tfjs-wasm, the default engine; one thread).
 *
 * Data path (both sides): the first `rows` Fashion-MNIST training rows in memory (x/255); every
 * epoch a random permutation; each step gathers its batch's rows by that permutation into a batch
 * buffer (`ort-fit`: fit's own shuffle-and-gather does the same, over epochs of {@link EPOCH_ROWS}
 * rows: the first rows, repeated when `rows` is smaller).
 */
import { losses, manualSeed, nn, optim, optimizers, scope, tensor, useBackend, type Callback, type Module, type Optimizer, type Tensor } from '@nn/core';
import { tfjs } from '@nn/backend-tfjs';
import { autoStepsPerCall, compileTrainStep, ortEngine } from '@nn/onnx';
import { kerasModel, TorchMlp } from '../../../fashion-mnist/src/models';
import { loadFmnist } from '../fmnist';
import { serveCell, type CellBody } from './protocol';

export interface TrainCellConfig {
  model: string;
  engine: 'ort' | 'ort-k' | 'ort-fit' | 'eager';
  batch: number;
  threads: number;
  rows: number;
}

/** Widths of an MLP model name (`mlp` or `mlp:W1,W2`). */
export function mlpWidths(model: string): number[] {
  if (model === 'mlp') return [784, 256, 128, 10];
  const m = /^mlp:(\d+(?:,\d+)*)$/.exec(model);
  if (!m) throw new Error(`unknown model "${model}"; expected mlp, mlp:W1,W2, fmnist or cnn`);
  return [784, ...m[1]!.split(',').map(Number), 10];
}

function torchDoorModel(model: string): Module {
  if (model === 'fmnist') return new TorchMlp();
  if (model === 'cnn') {
    return new nn.Sequential(
      new nn.Conv2d(1, 16, 3), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(16, 32, 3), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(32 * 5 * 5, 10),
    );
  }
  const w = mlpWidths(model);
  const layers: Module[] = [];
  for (let i = 0; i + 1 < w.length; i++) {
    layers.push(new nn.Linear(w[i]!, w[i + 1]!));
    if (i + 2 < w.length) layers.push(new nn.ReLU());
  }
  return new nn.Sequential(...layers);
}

/** Rows per `ort-fit` epoch: the main job's training split (60,000 − 6,000 validation). */
export const EPOCH_ROWS = 54_000;

const adamArgs = (model: string) => (model === 'fmnist' ? { lr: 2e-3, eps: 1e-7 } : { lr: 1e-3, eps: 1e-8 });

async function setup(cfg: TrainCellConfig): Promise<CellBody> {
  await useBackend(tfjs({ engine: 'wasm' }));
  const data = loadFmnist('train', cfg.rows);
  const n = data.n;
  if (n < cfg.batch) throw new Error(`only ${n} rows for batch ${cfg.batch}`);
  const sample = cfg.model === 'cnn' ? [1, 28, 28] : [784];
  manualSeed(0);
  const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);

  if (cfg.engine === 'ort-fit') {
    // fit: two untimed epochs (the first compiles; onnxruntime's first runs of a new session are
    // still slower: measured ≈ 40 vs 24 ms per step on the CNN at batch 256), then timed epochs of
    // at least `steps` batches in all, per request — fit's steady state, as the other cells are warmed.
    const keras = cfg.model === 'fmnist';
    const m = keras ? kerasModel() : torchDoorModel(cfg.model);
    const a = adamArgs(cfg.model);
    (m as unknown as { compile(c: object): void }).compile({
      optimizer: keras ? optimizers.Adam({ learningRate: a.lr, epsilon: a.eps }) : new optim.Adam(m.parameters(), { lr: a.lr, eps: a.eps }),
      loss: keras ? losses.SparseCategoricalCrossentropy({ fromLogits: true }) : 'crossentropy',
    });
    const fallbacks: string[] = [];
    const engine = ortEngine({ device: 'cpu', threads: cfg.threads, onFallback: (r) => fallbacks.push(r) });
    // The same rows as every other cell (the first `rows`; repeated when fewer than an epoch as long as
    // the main job's, 54,000 training rows: the harness gives every cell those 54,000) made a tensor
    // once: fit's per-epoch work (shuffle, sync of the weights into the model for callbacks) weighs as
    // it does for users. (A new tensor of `steps` batches per request, as before, allocated and freed
    // hundreds of MB each time, and the release fell into the timed epoch.)
    const rows = EPOCH_ROWS - (EPOCH_ROWS % cfg.batch);
    const xr = new Float32Array(rows * 784), yr = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      const k = i % n;
      xr.set(data.x.subarray(k * 784, (k + 1) * 784), i * 784);
      yr[i] = data.y[k]!;
    }
    const xt = tensor(xr, [rows, ...sample]), yt = tensor(yr, [rows], { dtype: 'int32' });
    const perEpoch = rows / cfg.batch;
    // ONE fit for the cell's whole life, as a user's long training run: each request times the next
    // whole epochs of it (at least `steps` batches), from the first one's start to the last one's end
    // (its epoch-end work included); between requests fit waits in an epoch-end callback, untimed.
    // (Until 2026-12-07 each request ran a new fit, two untimed epochs and then the timed ones: every
    // request compiled the engine and opened its sessions again, and the garbage of that was collected
    // on V8's helper threads during the timed epochs, work a long run does once.)
    type Timing = { steps: number; wall: number; cpu: number };
    let req: { epochs: number; done: number; w0: number; c0: NodeJS.CpuUsage; resolve: (t: Timing) => void; reject: (e: Error) => void } | null = null;
    let wake: (() => void) | null = null;
    let failed: Error | null = null;
    const timer: Callback = {
      onEpochBegin: () => {
        if (req && req.done === 0) {
          req.w0 = performance.now();
          req.c0 = process.cpuUsage();
        }
      },
      onEpochEnd: async () => {
        if (req && ++req.done === req.epochs) {
          const c = process.cpuUsage(req.c0), r = req;
          req = null;
          if (fallbacks.length) r.reject(new Error(`ort fell back to eager: ${fallbacks.join('; ')}`));
          else r.resolve({ steps: r.epochs * perEpoch, wall: (performance.now() - r.w0) / 1000, cpu: (c.user + c.system) / 1e6 });
        }
        while (!req) await new Promise<void>((r) => (wake = r));
      },
    };
    const timed = (steps: number) =>
      new Promise<Timing>((resolve, reject) => {
        if (failed) return reject(failed);
        req = { epochs: Math.max(1, Math.ceil(steps / perEpoch)), done: 0, w0: 0, c0: process.cpuUsage(), resolve, reject };
        wake?.();
        wake = null;
      });
    const warm = timed(2 * perEpoch); // compile, session warm-up: two untimed epochs
    (m as unknown as { fit(x: Tensor, y: Tensor, a: object): Promise<unknown> })
      .fit(xt, yt, { epochs: 1_000_000, batchSize: cfg.batch, verbose: 0, seed: 0, callbacks: [timer], engine })
      .catch((e: Error) => {
        failed = e;
        req?.reject(e);
      });
    await warm;
    return {
      info: `model.fit + ortEngine({ threads: ${cfg.threads} }), ${keras ? "the main job's Keras model" : 'PyTorch-door Sequential'}; one fit for the cell's life (2 untimed epochs first), each request timing its next whole epochs of ${rows} rows${n < rows ? ` (the first ${n} repeated)` : ''}`,
      run: async (steps) => (await timed(steps)).steps,
      timed,
    };
  }

  const m = torchDoorModel(cfg.model);
  m.train();
  const a = adamArgs(cfg.model);
  const opt: Optimizer = new optim.Adam(m.parameters(), { lr: a.lr, eps: a.eps });
  // The data path: a permutation per epoch, each batch gathered row by row into a buffer.
  const row = 784;
  const xb = new Float32Array(cfg.batch * row), yb = new Int32Array(cfg.batch);
  let perm = new Uint32Array(0), pos = n;
  const shuffle = () => {
    perm = Uint32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      const t = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = t;
    }
    pos = 0;
  };
  /** Gather the next batch into `xb` / `yb`, or at batch slot `j` of larger buffers (ort-k's k batches). */
  const gather = (xo: Float32Array = xb, yo: Int32Array = yb, j = 0) => {
    if (pos + cfg.batch > n) shuffle();
    for (let i = 0; i < cfg.batch; i++) {
      const k = perm[pos + i]!;
      xo.set(data.x.subarray(k * row, (k + 1) * row), (j * cfg.batch + i) * row);
      yo[j * cfg.batch + i] = data.y[k]!;
    }
    pos += cfg.batch;
  };

  let step: () => Promise<unknown> | unknown;
  let info: string;
  let perStep = 1;
  const extra: Record<string, unknown> = {};
  // A step that runs eagerly instead of compiled would time the wrong engine: the cell fails.
  const fallbacks: string[] = [];
  if (cfg.engine === 'ort-k') {
    const k = autoStepsPerCall(cfg.batch);
    perStep = k;
    const e = await compileTrainStep(m, { optimizer: opt, loss, inputShape: sample, batchSize: cfg.batch, device: 'cpu', threads: cfg.threads, onFallback: (r) => fallbacks.push(r) });
    const xk = new Float32Array(k * xb.length), yk = new Int32Array(k * cfg.batch);
    step = () => {
      for (let j = 0; j < k; j++) gather(xk, yk, j); // straight into the call's buffers, as fit does
      return e.steps(xk, yk, k);
    };
    for (let i = 0; i < 2; i++) await step();
    if (fallbacks.length) throw new Error(`ort fell back to eager: ${fallbacks.join('; ')}`);
    info = `compileTrainStep steps(x, y, ${k}): ${k} batches per onnxruntime call, ${cfg.threads} thread(s)`;
  } else if (cfg.engine === 'ort') {
    const e = await compileTrainStep(m, { optimizer: opt, loss, inputShape: sample, batchSize: cfg.batch, device: 'cpu', threads: cfg.threads, onFallback: (r) => fallbacks.push(r) });
    step = () => {
      gather();
      return e.step(xb, yb);
    };
    for (let i = 0; i < 3; i++) await step();
    if (fallbacks.length) throw new Error(`ort fell back to eager: ${fallbacks.join('; ')}`);
    const g = Object.values(e.graphInfo)[0];
    info = `compileTrainStep, ${cfg.threads} thread(s)${g ? `, ${g.device}, ${g.nodes} nodes, ${g.masks} masks drawn in JS, ${g.chunks} row chunk(s)` : ''}`;
    if (g) extra.nodes = g.nodes;
  } else if (cfg.engine === 'eager') {
    step = () => {
      gather();
      return scope(() => {
        const l = loss(tensor(yb, [cfg.batch], { dtype: 'int32' }), m(tensor(xb, [cfg.batch, ...sample])) as Tensor);
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l.item();
      });
    };
    for (let i = 0; i < 2; i++) await step();
    info = 'eager on tfjs-wasm (1 thread)';
  } else throw new Error(`unknown engine "${cfg.engine as string}"`);
  return {
    info,
    extra,
    run: async (steps) => {
      // ort-k runs k batches per call: whole calls, at least one.
      const calls = Math.max(1, Math.round(steps / perStep));
      let last: unknown;
      for (let i = 0; i < calls; i++) last = await step();
      // The loss of the last step (ort-k: of the call's last batch) must be a finite number.
      const loss = ArrayBuffer.isView(last) ? (last as Float32Array)[(last as Float32Array).length - 1] : last;
      if (typeof loss !== 'number' || !Number.isFinite(loss)) throw new Error(`the training loss is ${String(loss)}, not a finite number`);
      if (fallbacks.length) throw new Error(`ort fell back to eager: ${fallbacks.join('; ')}`);
      return calls * perStep;
    },
  };
}

const isMain = process.argv[1]?.endsWith('train-cell.ts');
if (isMain) await serveCell(() => setup(JSON.parse(process.argv[2]!) as TrainCellConfig));
