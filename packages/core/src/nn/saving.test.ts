/**
 * getConfig/fromConfig for every built-in Keras layer, the layer registry, and model.save(dir) /
 * loadModel(dir) round trips (Sequential and functional: shared layer, two inputs, two outputs).
 *
 * Output tolerance after a round trip: 1e-6 relative. Weights are stored as float32 (safetensors
 * F32); trained batch-norm statistics computed in float64 on the reference are rounded once
 * (relative 6e-8), which moves outputs of order 1 by well under 1e-6.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors';
import * as o from '../ops';
import type { Tensor } from '../tensor';
import { SerializationError, type Config } from './config';
import {
  Activation, Add, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, Dense, Dropout, Embedding, Flatten, GlobalAveragePooling2D,
  KerasLeakyReLU, LayerNormalization, MaxPooling2D, Normalization, Reshape,
} from './index';
import { initializers } from './initializers';
import { Layer, type LayerArgs } from './layer';
import { FunctionalModel, Model, Sequential } from './model';
import { StateDictError } from './module';
import { deserializeLayer, registerLayer, serializeLayer } from './registry';
import { regularizers } from './regularizers';
import { loadModel } from './saving';
import { Input } from './symbolic';
import { maxRelDiff, vals } from './test-utils';
import * as nn from './torch';

const TOL = 1e-6;
const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'nn-save-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
const json = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('getConfig / fromConfig for every built-in layer', () => {
  const { L1, L2, L1L2 } = regularizers;
  const cases: [string, () => Layer, number[] | number[][]][] = [
    ['Dense', () => new Dense(4, { activation: 'relu', useBias: false, kernelInitializer: initializers.heNormal({ seed: 3 }), kernelRegularizer: L2({ l2: 0.1 }), activityRegularizer: L1({ l1: 0.01 }), inputShape: [3] }), [2, 3]],
    ['Dense (bias)', () => new Dense(2, { biasInitializer: initializers.randomNormal({ stddev: 0.3, seed: 1 }), biasRegularizer: L1L2({ l1: 0.1, l2: 0.2 }), kernelInitializer: 'lecun_uniform' }), [2, 3]],
    ['Activation', () => new Activation('tanh'), [2, 3]],
    ['LeakyReLU', () => new KerasLeakyReLU({ negativeSlope: 0.1 }), [2, 3]],
    ['Dropout', () => new Dropout(0.3, { seed: 5 }), [2, 3]],
    ['BatchNormalization', () => new BatchNormalization({ axis: 1, momentum: 0.9, epsilon: 1e-2, center: false }), [2, 3]],
    ['LayerNormalization', () => new LayerNormalization({ epsilon: 1e-4, scale: false }), [2, 3]],
    ['Normalization', () => new Normalization({ mean: [1, 2, 3], variance: [3, 4, 5] }), [2, 3]],
    ['Flatten', () => new Flatten(), [2, 3, 2]],
    ['Reshape', () => new Reshape([2, -1]), [2, 6]],
    ['Concatenate', () => new Concatenate({ axis: 1 }), [[2, 3], [2, 1]]],
    ['Add', () => new Add(), [[2, 3], [2, 3]]],
    ['Conv2D', () => new Conv2D(3, [2, 3], { strides: [1, 2], padding: 'same', dataFormat: 'channelsFirst', activation: 'elu', biasInitializer: initializers.constant(0.5), biasRegularizer: L1L2({ l1: 1 }), kernelInitializer: initializers.glorotNormal({ seed: 2 }) }), [1, 2, 5, 5]],
    ['MaxPooling2D', () => new MaxPooling2D({ poolSize: 3, strides: 2, padding: 'same' }), [1, 5, 5, 2]],
    ['AveragePooling2D', () => new AveragePooling2D({ poolSize: [2, 1] }), [1, 4, 4, 2]],
    ['GlobalAveragePooling2D', () => new GlobalAveragePooling2D({ dataFormat: 'channelsFirst' }), [1, 2, 3, 3]],
    ['Embedding', () => new Embedding(10, 4, { embeddingsInitializer: initializers.heUniform({ seed: 9 }), embeddingsRegularizer: L2() }), [2, 3]],
  ];
  it.each(cases)('%s: config survives JSON and rebuilds an equivalent layer (same config, same outputs)', (_, make, shape) => {
    const a = make();
    const ins = (Array.isArray(shape[0]) ? (shape as number[][]) : [shape as number[]]).map((s) =>
      a instanceof Embedding ? o.tensor(new Int32Array(s.reduce((p, q) => p * q, 1)).map((_, i) => i % 10), s) : o.randn(s));
    const arg = ins.length > 1 ? ins : ins[0]!;
    const ya = a(arg) as Tensor;
    const cfg = a.getConfig();
    const lc = json(serializeLayer(a));
    expect(lc.config).toEqual(json(cfg));
    const b = deserializeLayer(lc);
    expect(b.constructor).toBe(a.constructor);
    const yb = b(arg) as Tensor;
    expect(json(b.getConfig())).toEqual(json(cfg));
    // Random initializers here are seeded (or absent), so the rebuilt weights are equal too.
    const seeded = !['Dense (bias)'].includes(_);
    if (seeded) expect(maxRelDiff(vals(yb), vals(ya))).toBeLessThan(TOL);
    expect(b.losses.map((l) => l.item())).toEqual(a.losses.map((l) => l.item()));
  });
  it('initializers and regularizers are saved by name and options', () => {
    const d = new Dense(2, { kernelInitializer: initializers.heNormal({ seed: 3 }), biasInitializer: 'ones', kernelRegularizer: regularizers.L1L2({ l1: 0.5, l2: 1 }) });
    const c = d.getConfig();
    expect(c.kernelInitializer).toEqual({ className: 'heNormal', config: { seed: 3 } });
    expect(c.biasInitializer).toBe('ones');
    expect(c.kernelRegularizer).toEqual({ className: 'L1L2', config: { l1: 0.5, l2: 1 } });
    expect(c.biasRegularizer).toBeNull();
    expect(new Dense(2).getConfig().kernelInitializer).toBe('glorotUniform');
    // Keras-style class names are accepted too.
    const k = Dense.fromConfig({ units: 2, kernelInitializer: { className: 'RandomNormal', config: { stddev: 1e-9 } } });
    k(o.ones([1, 3]));
    expect(Math.max(...vals(k.kernel).map(Math.abs))).toBeLessThan(1e-8);
  });
  it('a custom activation, initializer or regularizer function cannot be saved: the error names the layer', () => {
    const act = new Dense(2, { activation: (x: Tensor) => x.relu(), name: 'act_fn' });
    expect(() => act.getConfig()).toThrow(SerializationError);
    expect(() => act.getConfig()).toThrow(/Dense "act_fn": a custom activation function cannot be saved/);
    expect(() => new Dense(2, { kernelInitializer: (s) => o.zeros(s), name: 'init_fn' }).getConfig()).toThrow(/Dense "init_fn": a custom initializer function/);
  });
});

describe('layer registry', () => {
  class Scale extends Layer {
    constructor(readonly args: LayerArgs & { factor: number }) {
      super(args);
    }
    override call(x: Tensor) {
      return x.mul(this.args.factor);
    }
    override getConfig(): Config {
      return { ...super.getConfig(), factor: this.args.factor };
    }
  }
  it('an unregistered custom layer is a clear error on save and on load; registerLayer fixes both', async () => {
    const inp = Input({ shape: [2] });
    const m = Model({ inputs: inp, outputs: new Scale({ factor: 3, name: 'scale' })(new Dense(2)(inp)) });
    const dir = await tmp();
    await expect(m.save(dir)).rejects.toThrow(/Cannot save Scale "scale" \(model\.layers\[1\]\): its class Scale is not registered\. Call registerLayer\(Scale\) first/);
    registerLayer(Scale);
    await m.save(dir);
    const text = await readFile(join(dir, 'config.json'), 'utf8');
    // Simulate another process where Scale is not registered: rename the class in the file.
    const otherDir = await tmp();
    await writeFile(join(otherDir, 'config.json'), text.replace(/"Scale"/g, '"Scale2"'));
    await writeFile(join(otherDir, 'model.safetensors'), await readFile(join(dir, 'model.safetensors')));
    await expect(loadModel(otherDir)).rejects.toThrow(/unknown layer class "Scale2"\. If it is your own layer, call registerLayer\(Scale2\) before loading\. Registered: Dense, Activation/);
    const back = (await loadModel(dir)) as FunctionalModel;
    const x = o.randn([3, 2]);
    expect(vals(back(x) as Tensor)).toEqual(vals(m(x) as Tensor));
  });
  it('names clash only between different classes; non-layers are refused', () => {
    class Other extends Layer {}
    expect(() => registerLayer(Other, 'Dense')).toThrow(/"Dense" is already registered for another class \(Dense\)/);
    expect(() => registerLayer(nn.Linear as never)).toThrow(/not a Layer subclass/);
    expect(registerLayer(Dense)).toBe(Dense);
  });
});

describe('model.save(dir) / loadModel(dir)', () => {
  it('Sequential (input shape on the first layer): config.json, model.safetensors, same outputs after loading', async () => {
    const m = new Sequential([
      new Dense(8, { inputShape: [4], activation: 'relu' }), new BatchNormalization(), new Dropout(0.5), new Dense(3, { activation: 'softmax' }),
    ]);
    m.train();
    for (let i = 0; i < 3; i++) m(o.randn([6, 4])); // move the BN moving statistics
    m.eval();
    const x = o.randn([5, 4]);
    const before = vals(m(x) as Tensor);
    const dir = await tmp();
    await m.save(dir);
    const cfg = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { className: string; config: { layers: unknown[] }; weights: { names: string[] } };
    expect(cfg.className).toBe('Sequential');
    expect(cfg.config.layers.length).toBe(4);
    const { tensors } = decodeSafetensors(await readFile(join(dir, 'model.safetensors')));
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(m.stateDict()).sort());
    expect(cfg.weights.names).toEqual(Object.keys(m.stateDict()));
    const back = (await loadModel(dir)) as Sequential;
    expect(back).toBeInstanceOf(Sequential);
    expect(back.training).toBe(false);
    expect(maxRelDiff(vals(back(x) as Tensor), before)).toBeLessThan(TOL);
    const lines: string[] = [];
    back.summary((l) => lines.push(l));
    expect(lines.join('\n')).toContain(`Total params: ${m.numParameters().toLocaleString('en-US')}`);
  });
  it('Sequential built by its first call (no input shape given) records the shape it was built with', async () => {
    const m = new Sequential([new Flatten(), new Dense(3)]);
    const x = o.randn([2, 2, 3]);
    const y = vals(m(x) as Tensor);
    const dir = await tmp();
    await m.save(dir);
    const back = (await loadModel(dir)) as Sequential;
    expect(vals(back(x) as Tensor)).toEqual(y);
  });
  it('functional: two inputs, a shared layer, a nested Sequential, adapted Normalization, two outputs', async () => {
    const a = Input({ shape: [3], name: 'a' }), b = Input({ shape: [3], name: 'b' });
    const norm = new Normalization();
    await norm.adapt(o.randn([50, 3]).mul(2).add(1));
    const shared = new Dense(4, { activation: 'tanh', name: 'shared' });
    const ha = shared(norm(a)), hb = shared(b);
    const merged = new Concatenate()([ha, hb, new Add()([ha, hb])]);
    const head = new Sequential([new Dense(5, { activation: 'relu' }), new LayerNormalization()]);
    const out1 = new Dense(2, { name: 'out1' })(head(merged));
    const out2 = new Dense(1, { activation: 'sigmoid', name: 'out2' })(new BatchNormalization()(hb));
    const m = Model({ inputs: [a, b], outputs: [out1, out2], name: 'two_heads' });
    expect(m.parameters().filter((p) => p.name?.startsWith('shared/')).length).toBe(2);
    const xa = o.randn([4, 3]), xb = o.randn([4, 3]);
    const [y1, y2] = m([xa, xb]) as Tensor[];
    const dir = await tmp();
    await m.save(dir);
    const back = (await loadModel(dir)) as FunctionalModel;
    expect(back).toBeInstanceOf(FunctionalModel);
    expect(back.name).toBe('two_heads');
    expect(back.layers.map((l) => (l as Layer).name)).toEqual(m.layers.map((l) => (l as Layer).name));
    expect(back.nodes.length).toBe(m.nodes.length);
    // the shared layer is still one layer called twice
    expect(back.nodes.filter((n) => n.module === back.getLayer('shared')).length).toBe(2);
    const [z1, z2] = back([xa, xb]) as Tensor[];
    expect(maxRelDiff(vals(z1!), vals(y1!))).toBeLessThan(TOL);
    expect(maxRelDiff(vals(z2!), vals(y2!))).toBeLessThan(TOL);
    expect(back.numParameters()).toBe(m.numParameters());
  });
  it('dict inputs and outputs keep their names', async () => {
    const x = Input({ shape: [2], name: 'x' });
    const m = Model({ inputs: { feat: x }, outputs: { score: new Dense(1)(x) } });
    const dir = await tmp();
    await m.save(dir);
    const back = (await loadModel(dir)) as FunctionalModel;
    const t = o.randn([3, 2]);
    const y = back({ feat: t }) as Record<string, Tensor>;
    expect(Object.keys(y)).toEqual(['score']);
    expect(vals(y.score!)).toEqual(vals((m({ feat: t }) as Record<string, Tensor>).score!));
  });
  it('bad folders and tampered weights give errors naming the file and the keys', async () => {
    await expect(loadModel(join(tmpdir(), 'nn-no-such-model'))).rejects.toThrow(/cannot read .*nn-no-such-model.config\.json \(ENOENT\)\. Is ".*" a folder written by model\.save\(\)\?/);
    const m = new Sequential([new Dense(2, { inputShape: [3], name: 'd' })]);
    const dir = await tmp();
    await m.save(dir);
    const sd = { ...m.stateDict() };
    delete sd['d.bias'];
    sd['d.extra'] = o.zeros([1]);
    await writeFile(join(dir, 'model.safetensors'), encodeSafetensors(sd));
    const err = await loadModel(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateDictError);
    expect((err as StateDictError).missingKeys).toEqual(['d.bias']);
    expect((err as StateDictError).unexpectedKeys).toEqual(['d.extra']);
    await writeFile(join(dir, 'config.json'), '{"format": "keras"}');
    await expect(loadModel(dir)).rejects.toThrow(/is not an nn model config \(format "keras"/);
  });
  it('a PyTorch-style module inside a functional model cannot be saved as config', async () => {
    const inp = Input({ shape: [3] });
    const m = Model({ inputs: inp, outputs: new nn.Linear(3, 2)(inp) });
    await expect(m.save(await tmp())).rejects.toThrow(/Cannot save Linear as a config: it is a PyTorch-style module, not a Keras layer/);
  });
});
