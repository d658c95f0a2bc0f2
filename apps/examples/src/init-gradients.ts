/**
 * Exploding and vanishing gradients, and why Glorot/He initialisation fixes them: one forward
 * and backward pass through a 15-layer, 100-unit MLP, with weights drawn from N(0, 1) versus
 * Glorot (tanh) and He (ReLU). Per layer: the spread of the activations and the norm of the
 * weight gradient. PyTorch door (`nn.init.normal_` / `xavierNormal_` / `kaimingNormal_`, forward
 * hooks, `gradientHealth`) and Keras door (`kernelInitializer`).
 *
 *   npx tsx src/init-gradients.ts
 */
import { Sequential, layers, initializers, nn, randn, manualSeed, type Module, type Tensor, type Initializer } from '@nn/core';
import { gradientHealth, initDemo } from '@nn/monitor';
import { check, fmt, printTable, runIfMain, setup, type ExampleOptions } from './common';

const DEPTH = 15, WIDTH = 100, BATCH = 128;

interface Profile { actStd: number[]; gradNorm: number[]; warnings: string[] }

/** Forward with hooks on the activations, backward from a random output gradient (as initDemo does). */
function profile(net: Module, acts: Module[]): Profile {
  const actStd: number[] = [];
  const hooks = acts.map((m) => m.registerForwardHook((_m, _in, out) => { actStd.push((out as Tensor).std().item()); }));
  const x = randn([BATCH, WIDTH]);
  const y = net(x) as Tensor;
  y.mul(randn(y.shape)).sum().div(BATCH).backward();
  hooks.forEach((h) => h.remove());
  const report = gradientHealth(net);
  const gradNorm = report.parameters.filter((p) => p.name.endsWith('weight') || p.name.endsWith('kernel')).map((p) => p.gradNorm ?? NaN);
  return { actStd, gradNorm, warnings: report.warnings.map((w) => w.message) };
}

/** PyTorch door: Linear(100, 100, no bias) + activation, 15 times. */
function torchNet(activation: 'tanh' | 'relu', init: (w: nn.Parameter) => void): { net: nn.Sequential; acts: Module[] } {
  const mods: Module[] = [], acts: Module[] = [];
  for (let i = 0; i < DEPTH; i++) {
    const lin = new nn.Linear(WIDTH, WIDTH, { bias: false });
    init(lin.weight);
    const act = activation === 'tanh' ? new nn.Tanh() : new nn.ReLU();
    mods.push(lin, act);
    acts.push(act);
  }
  return { net: new nn.Sequential(...mods), acts };
}

/** Keras door: Dense(100, activation) 15 times with the given kernel initializer. */
function kerasNet(activation: 'tanh' | 'relu', kernelInitializer: Initializer | 'glorotNormal' | 'heNormal'): { net: Sequential; acts: Module[] } {
  const ds = Array.from({ length: DEPTH }, (_, i) => layers.Dense(WIDTH, { activation, useBias: false, kernelInitializer, ...(i === 0 ? { inputShape: [WIDTH] } : {}) }));
  return { net: new Sequential(ds), acts: ds };
}

export async function main(_opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const runs: [string, () => { net: Module; acts: Module[] }][] = [
    ['tanh, N(0, 1)', () => torchNet('tanh', (w) => nn.init.normal_(w, 0, 1))],
    ['tanh, Glorot', () => torchNet('tanh', (w) => nn.init.xavierNormal_(w))],
    ['relu, N(0, 1)', () => torchNet('relu', (w) => nn.init.normal_(w, 0, 1))],
    ['relu, He', () => torchNet('relu', (w) => nn.init.kaimingNormal_(w, { nonlinearity: 'relu' }))],
  ];
  const results = new Map<string, Profile>();
  for (const [name, make] of runs) {
    manualSeed(1);
    const { net, acts } = make();
    results.set(name, profile(net, acts));
  }
  console.log(`PyTorch door: ${DEPTH} × Linear(${WIDTH}, ${WIDTH}), batch ${BATCH}; activation std / weight-gradient norm per layer`);
  const names = [...results.keys()];
  printTable(Array.from({ length: DEPTH }, (_, l) => {
    const row: Record<string, string | number> = { layer: l + 1 };
    for (const n of names) row[n] = `${fmt(results.get(n)!.actStd[l]!)} / ${fmt(results.get(n)!.gradNorm[l]!)}`;
    return row;
  }));
  for (const n of names) {
    const w = results.get(n)!.warnings;
    if (w.length) console.log(`gradientHealth(${n}): ${w[0]}${w.length > 1 ? ` (+${w.length - 1} more)` : ''}`);
  }
  const ratio = (p: Profile) => p.gradNorm[0]! / p.gradNorm[DEPTH - 1]!;
  const tanhN = results.get('tanh, N(0, 1)')!, tanhG = results.get('tanh, Glorot')!;
  const reluN = results.get('relu, N(0, 1)')!, reluH = results.get('relu, He')!;
  console.log(`\ngradient norm, first layer / last layer: tanh N(0,1) ${fmt(ratio(tanhN))}, tanh Glorot ${fmt(ratio(tanhG))}, relu N(0,1) ${fmt(ratio(reluN))}, relu He ${fmt(ratio(reluH))}`);
  console.log(`activation std at layer ${DEPTH}: relu N(0,1) ${fmt(reluN.actStd.at(-1)!)} (explodes: ×√(100/2) per layer), relu He ${fmt(reluH.actStd.at(-1)!)}`);
  // With N(0, 1), each tanh layer sees pre-activations of std ≈ √100 = 10: saturated, derivative ≈ 0
  // in most units, gradients blow up toward the input (the course's "so that it doesn't explode").
  check(ratio(tanhN) > 100, 'N(0, 1) + tanh: the gradient grows by orders of magnitude toward the input');
  check(ratio(tanhG) < 10 && ratio(tanhG) > 0.1, 'Glorot + tanh: gradient norms stay within 10× across 15 layers');
  check(reluN.actStd.at(-1)! > 1e10, 'N(0, 1) + relu: activations explode');
  check(reluH.actStd.at(-1)! > 0.1 && reluH.actStd.at(-1)! < 10, 'He + relu: activations keep their scale');

  // ---- Keras door: the same with kernelInitializer ----
  const keras: [string, Initializer | 'glorotNormal'][] = [['N(0, 1)', initializers.randomNormal({ stddev: 1 })], ['glorotNormal', 'glorotNormal']];
  const rows: Record<string, string | number>[] = [];
  for (const [name, init] of keras) {
    manualSeed(1);
    const { net, acts } = kerasNet('tanh', init);
    const p = profile(net, acts);
    rows.push({ 'Dense tanh, kernelInitializer': name, 'act std L1 → L15': `${fmt(p.actStd[0]!)} → ${fmt(p.actStd.at(-1)!)}`,
                'grad norm L1 → L15': `${fmt(p.gradNorm[0]!)} → ${fmt(p.gradNorm.at(-1)!)}`, 'first/last': ratio(p) });
  }
  console.log('\nKeras door:');
  printTable(rows);

  // The same experiment in float64 plain JavaScript (@nn/monitor's initDemo), for comparison.
  const demo = ['normal', 'glorot'].map((init) => initDemo({ init: init as 'normal' | 'glorot', activation: 'tanh' }));
  console.log(`initDemo (float64 JS): tanh first/last gradient RMS ratio N(0,1) ${fmt(demo[0]!.layers[0]!.gradRms / demo[0]!.layers.at(-1)!.gradRms)}, Glorot ${fmt(demo[1]!.layers[0]!.gradRms / demo[1]!.layers.at(-1)!.gradRms)}`);
}

runIfMain(import.meta.url, main);
