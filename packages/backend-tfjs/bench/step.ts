// One training step of a 784-256-10 MLP (batch 64): forward, softmax cross-entropy, backward, SGD
// update — through @nn/core on @nn/backend-tfjs, against the same step in raw tfjs-core
// (`tf.variableGrads`), on the same engine, in one run. Prints steps/s and the ratio of step times.
//
//   npx tsx --tsconfig bench/tsconfig.json bench/step.ts [wasm] [cpu]     (from packages/backend-tfjs)
import { keep, noGrad, scope, tensor, useBackend, type Tensor } from '@nn/core';
import * as tf from '@tensorflow/tfjs-core';
import { tfjs, type EngineName } from '@nn/backend-tfjs';
import { registerTfjsGradients } from './tfjs-gradients';

const BATCH = 64, IN = 784, HIDDEN = 256, OUT = 10, LR = 0.05;

/** Deterministic values (an LCG), so both sides start from the same weights and batch. */
function values(n: number, seed: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return a;
}
const init = {
  x: values(BATCH * IN, 1, 1),
  w1: values(IN * HIDDEN, 2, Math.sqrt(6 / (IN + HIDDEN))),
  b1: new Float32Array(HIDDEN),
  w2: values(HIDDEN * OUT, 3, Math.sqrt(6 / (HIDDEN + OUT))),
  b2: new Float32Array(OUT),
  target: Float32Array.from({ length: BATCH * OUT }, (_, i) => (i % OUT === Math.floor(i / OUT) % OUT ? 1 : 0)),
};

/** Our step: core ops, core autograd, in-place SGD. Returns a function running one step. */
function oursStep(): { step: () => void; loss: () => number } {
  const p = (v: Float32Array, shape: number[]) => keep(tensor(v, shape, { requiresGrad: true }));
  const [w1, b1, w2, b2] = [p(init.w1, [IN, HIDDEN]), p(init.b1, [HIDDEN]), p(init.w2, [HIDDEN, OUT]), p(init.b2, [OUT])];
  const params: Tensor[] = [w1, b1, w2, b2];
  const x = keep(tensor(init.x, [BATCH, IN]));
  const target = keep(tensor(init.target, [BATCH, OUT]));
  const forward = () => x.matmul(w1).add(b1).relu().matmul(w2).add(b2).logSoftmax(-1).mul(target).sum(-1).mean().neg();
  return {
    step: () =>
      scope(() => {
        forward().backward();
        noGrad(() => {
          for (const q of params) {
            q.assign_(q.sub(q.grad!.mul(LR)));
            q.grad!.dispose();
            q.grad = null;
          }
        });
      }),
    loss: () => scope(() => noGrad(() => forward().item())),
  };
}

/** The raw tfjs step: tf.variable + tf.variableGrads + assign. */
function rawStep(): { step: () => void; loss: () => number } {
  const w1 = tf.variable(tf.tensor2d(init.w1, [IN, HIDDEN])), b1 = tf.variable(tf.tensor1d(init.b1));
  const w2 = tf.variable(tf.tensor2d(init.w2, [HIDDEN, OUT])), b2 = tf.variable(tf.tensor1d(init.b2));
  const x = tf.tensor2d(init.x, [BATCH, IN]);
  const target = tf.tensor2d(init.target, [BATCH, OUT]);
  const forward = (): tf.Scalar => {
    const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
    const logits = tf.add(tf.matMul(h, w2), b2);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.logSoftmax(logits, -1), target), -1))) as tf.Scalar;
  };
  const vars = [w1, b1, w2, b2];
  return {
    step: () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(forward, vars);
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, LR)));
      }),
    loss: () => tf.tidy(() => forward().dataSync()[0]!),
  };
}

/** Median steps/s over `rounds` timed blocks of `steps`, alternating the two sides to share drift. */
function race(sides: Record<'ours' | 'raw', () => void>, steps: number, rounds: number): Record<'ours' | 'raw', number> {
  const rates: Record<'ours' | 'raw', number[]> = { ours: [], raw: [] };
  for (let r = 0; r < rounds; r++)
    for (const k of r % 2 ? (['raw', 'ours'] as const) : (['ours', 'raw'] as const)) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) sides[k]();
      rates[k].push((steps * 1000) / (performance.now() - t0));
    }
  const median = (a: number[]) => a.sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
  return { ours: median(rates.ours), raw: median(rates.raw) };
}

async function benchEngine(engine: EngineName): Promise<void> {
  const backend = await useBackend(tfjs({ engine }));
  const ours = oursStep();
  const raw = rawStep();
  const firstLoss = { ours: ours.loss(), raw: raw.loss() };
  const warm = engine === 'cpu' ? 3 : 20;
  for (let i = 0; i < warm; i++) ours.step(), raw.step();
  const before = tf.memory().numTensors;
  const [steps, rounds] = engine === 'cpu' ? [3, 9] : [40, 7];
  const rate = race({ ours: ours.step, raw: raw.step }, steps, rounds);
  const leaked = tf.memory().numTensors - before;
  const lastLoss = { ours: ours.loss(), raw: raw.loss() };
  console.log(`engine ${backend.name} (${(backend as ReturnType<typeof tfjs>).engineInfo!.reason})`);
  console.log(`  first-step loss: ours ${firstLoss.ours.toFixed(6)}, raw ${firstLoss.raw.toFixed(6)}; after ${warm + steps * rounds} steps: ours ${lastLoss.ours.toFixed(6)}, raw ${lastLoss.raw.toFixed(6)}`);
  console.log(`  ours ${rate.ours.toFixed(1)} steps/s, raw tf.variableGrads ${rate.raw.toFixed(1)} steps/s`);
  console.log(`  ratio of step time ours/raw = ${(rate.raw / rate.ours).toFixed(3)} (target ≤ 1.05); tensors leaked during the race: ${leaked}`);
}

await registerTfjsGradients();
const engines = (process.argv.slice(2).length ? process.argv.slice(2) : ['wasm', 'cpu']) as EngineName[];
console.log(`MLP ${IN}-${HIDDEN}-${OUT}, batch ${BATCH}: forward + cross-entropy + backward + SGD, median of alternating timed blocks`);
for (const e of engines) await benchEngine(e);
