import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, Input, Model, Sequential, layers, manualSeed, nn, noGrad, randint, randn, tensor, Tensor } from '@nn/core';
import { UnsupportedOpError } from '../errors';
import { onnxCheck, roundTrip, tmp } from '../test-helpers';
import { toOnnxBytes, type ExportableModel } from './export';

// Every layer type of the model issue, in both doors, exported and compared with nn's eval outputs.
// float64 reference vs float32 onnxruntime on O(1) activations with a few hundred terms per sum:
// differences stay near 1e-6, under the 1e-5 bar.
const TOL = 1e-5;
const dir = tmp();
const files: string[] = [];

async function check(name: string, model: unknown, inputs: Parameters<typeof roundTrip>[3]['inputs'], make: (b: number) => Tensor[]) {
  const r = await roundTrip(dir, name, model as ExportableModel, { inputs }, make);
  files.push(r.file);
  expect(r.errors[1]).toBeLessThanOrEqual(TOL);
  expect(r.errors[64]).toBeLessThanOrEqual(TOL);
  return r;
}

/** A few train-mode forward passes so that batch-norm running statistics are not trivial. */
function warmUp(m: { train(mode?: boolean): unknown; (x: Tensor): unknown }, shape: number[]) {
  m.train(true);
  noGrad(() => { for (let i = 0; i < 3; i++) m(randn([8, ...shape]).mul(2).add(0.5)); });
}

describe('exporting nn layers and models', () => {
  manualSeed(5);

  it('PyTorch-style Module: Conv2d, BatchNorm2d, ReLU, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout, Linear, LayerNorm, activations', async () => {
    class Net extends nn.Module {
      conv1 = new nn.Conv2d(2, 4, 3, { padding: 1 });
      bn = new nn.BatchNorm2d(4);
      pool = new nn.MaxPool2d(2);
      conv2 = new nn.Conv2d(4, 6, 3, { stride: 1 });
      avg = new nn.AvgPool2d(2, { stride: 1 });
      gap = new nn.AdaptiveAvgPool2d(1);
      flat = new nn.Flatten();
      drop = new nn.Dropout(0.5);
      fc = new nn.Linear(6, 8);
      ln = new nn.LayerNorm(8);
      head = new nn.Linear(8, 3);
      acts = [new nn.ELU(), new nn.GELU(), new nn.SELU(), new nn.LeakyReLU(), new nn.Sigmoid(), new nn.Tanh(), new nn.Softplus()];
      override forward(x: Tensor) {
        let h = this.pool(new nn.ReLU()(this.bn(this.conv1(x))) as Tensor) as Tensor;
        h = this.gap(this.avg(this.conv2(h) as Tensor) as Tensor) as Tensor;
        h = this.ln(this.fc(this.drop(this.flat(h) as Tensor) as Tensor) as Tensor) as Tensor;
        for (const a of this.acts) h = a(h) as Tensor;
        return new nn.LogSoftmax(1)(this.head(h) as Tensor);
      }
    }
    const net = new Net();
    warmUp(net as never, [2, 8, 8]);
    const r = await check('torch-net', net, { x: [null, 2, 8, 8] }, (b) => [randn([b, 2, 8, 8])]);
    expect(net.training).toBe(true);
    // Nodes carry the layer path that produced them; the module's forward methods are restored.
    const { fromBinary } = await import('@bufbuild/protobuf');
    const { ModelProtoSchema } = await import('../gen/onnx_pb');
    const { readFileSync } = await import('node:fs');
    const docs = fromBinary(ModelProtoSchema, readFileSync(r.file)).graph!.node.map((n) => n.docString);
    expect(docs).toContain('conv1: conv2d');
    expect(docs.some((d) => d.startsWith('fc: '))).toBe(true);
    expect(Object.prototype.hasOwnProperty.call(net.conv1, 'forward')).toBe(false);
  });

  it('Embedding module with int32 ids, BatchNorm1d and a Sequential', async () => {
    const emb = new nn.Embedding(20, 6);
    const body = new nn.Sequential(new nn.Linear(6, 5), new nn.BatchNorm1d(5), new nn.ReLU(), new nn.Linear(5, 2), new nn.Softmax(1));
    class Bag extends nn.Module {
      emb = emb;
      body = body;
      override forward(ids: Tensor) { return this.body((this.emb(ids) as Tensor).mean(1)); }
    }
    const m = new Bag();
    m.train(true);
    noGrad(() => { for (let i = 0; i < 3; i++) m(randint(0, 20, [8, 4])); });
    await check('torch-bag', m, [{ name: 'ids', shape: [null, 4], dtype: 'int32' }], (b) => [randint(0, 20, [b, 4])]);
  });

  it('Keras functional model: Conv2D, pooling, BatchNormalization, Flatten, Dense, Concatenate, Add, LayerNormalization, Normalization, Dropout', async () => {
    const inputs = Input({ shape: [8, 8, 1] });
    const norm = layers.Normalization({ mean: [0.5], variance: [2] })(inputs);
    let x = layers.Conv2D(4, 3, { padding: 'same', activation: 'relu' })(norm);
    x = layers.BatchNormalization()(x);
    const a = layers.MaxPooling2D({ poolSize: 2 } as never)(x);
    const b = layers.AveragePooling2D({ poolSize: 2 } as never)(x);
    const g = layers.GlobalAveragePooling2D()(layers.Add()([a, b]));
    const f = layers.Flatten()(a);
    const d1 = layers.Dense(8, { activation: 'relu' })(f);
    const merged = layers.Concatenate()([d1, g]);
    const h = layers.Dropout(0.3)(layers.LayerNormalization()(merged));
    const outputs = layers.Dense(10, { activation: 'softmax' })(h);
    const model = Model({ inputs, outputs });
    warmUp(model as never, [8, 8, 1]);
    await check('keras-functional', model, { x: [null, 8, 8, 1] }, (n) => [randn([n, 8, 8, 1])]);
  });

  it('Keras Sequential MLP (FMNIST shape) with named parameter initializers', async () => {
    const model = new Sequential([layers.Dense(32, { activation: 'relu' }), layers.Dense(16, { activation: 'tanh' }), layers.Dense(10, { activation: 'softmax' })]);
    noGrad(() => model(randn([2, 784])));
    await check('keras-sequential', model, { x: [null, 784] }, (n) => [randn([n, 784])]);
  });

  it('Keras functional model with two inputs (called with a list) and two outputs', async () => {
    const img = Input({ shape: [6] }), meta = Input({ shape: [3] });
    const h = layers.Concatenate()([layers.Dense(5, { activation: 'relu' })(img), meta]);
    const model = Model({ inputs: [img, meta], outputs: [layers.Dense(2)(h), layers.Dense(1, { activation: 'sigmoid' })(h)] });
    await check('keras-two-inputs', model, { img: [null, 6], meta: [null, 3] }, (n) => [randn([n, 6]), randn([n, 3])]);
  });

  it('Keras functional: Embedding (int32 ids), Reshape (incl. -1), LeakyReLU, Activation with every activation name, ReLU and Softmax layers', async () => {
    const ids = Input({ shape: [4], dtype: 'int32' });
    const e = layers.Embedding(20, 6)(ids);                                 // [b, 4, 6]
    const r = layers.Reshape([-1])(layers.Reshape([2, 12])(e));             // [b, 24]
    const d = layers.LeakyReLU()(layers.Dense(8)(r));
    // Every activation name on the same pre-activation, side by side.
    const names = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'logSoftmax', 'elu', 'selu', 'gelu', 'softplus', 'leakyRelu', 'swish', 'silu'] as const;
    const branches = [...names.map((a) => layers.Activation(a)(d)), layers.ReLU()(d), layers.Softmax()(d), layers.LeakyReLU({ negativeSlope: 0.1 })(d)];
    const outputs = layers.Dense(3)(layers.Concatenate()(branches));
    const model = Model({ inputs: ids, outputs });
    const make = (b: number) => [randint(0, 20, [b, 4])];
    await check('keras-embedding-activations', model, [{ name: 'ids', shape: [null, 4], dtype: 'int32' }], make);
    // The embedding path feeds the activations small values (Keras' U(±0.05) init): run them again
    // on O(3) values so that their non-linear ranges are compared too.
    const wide = Input({ shape: [5] });
    const w = layers.Dense(7)(wide);
    const wOut = layers.Concatenate()([...names.map((a) => layers.Activation(a)(w)), layers.LeakyReLU()(w)]);
    await check('keras-activations-wide', Model({ inputs: wide, outputs: wOut }), { x: [null, 5] }, (b) => [randn([b, 5]).mul(3)]);
  });

  it('PyTorch-style: Identity, ModuleList and a nested Sequential', async () => {
    class Net extends nn.Module {
      blocks = new nn.ModuleList([new nn.Linear(6, 6), new nn.Identity(), new nn.Sequential(new nn.Linear(6, 4), new nn.Identity(), new nn.GELU())]);
      override forward(x: Tensor) {
        let h = x;
        for (const b of this.blocks) h = b(h) as Tensor;
        return new nn.Identity()(h);
      }
    }
    await check('torch-identity-modulelist', new Net(), { x: [null, 6] }, (b) => [randn([b, 6])]);
  });

  describe('FMNIST-MLP (784→256 relu→Dropout .2→BatchNorm→128 relu→Dropout .2→10)', () => {
    /** Op types of an exported file's graph. */
    const opTypes = async (file: string) => {
      const { fromBinary } = await import('@bufbuild/protobuf');
      const { ModelProtoSchema } = await import('../gen/onnx_pb');
      const { readFileSync } = await import('node:fs');
      return fromBinary(ModelProtoSchema, readFileSync(file)).graph!.node.map((n) => n.opType);
    };
    const warm = (m: { train(mode?: boolean): unknown; (x: Tensor): unknown }) => {
      m.train(true);
      noGrad(() => { for (let i = 0; i < 20; i++) m(randn([32, 784]).mul(0.5).add(0.3)); });
    };

    it('Keras Sequential: Dropout is removed, BatchNormalization exported as one op', async () => {
      const model = new Sequential([
        layers.Dense(256, { activation: 'relu' }), layers.Dropout(0.2), layers.BatchNormalization(),
        layers.Dense(128, { activation: 'relu' }), layers.Dropout(0.2), layers.Dense(10),
      ]);
      warm(model as never);
      const bn = model.layers[2] as unknown as { movingMean: Tensor };
      expect(Math.max(...Array.from(bn.movingMean.dataSync(), Math.abs))).toBeGreaterThan(0.01);  // not the identity
      const r = await check('keras-fmnist-mlp', model, { x: [null, 784] }, (b) => [randn([b, 784]).mul(0.5).add(0.3)]);
      const ops = await opTypes(r.file);
      expect(ops).not.toContain('Dropout');
      expect(ops).toEqual(['Gemm', 'Relu', 'BatchNormalization', 'Gemm', 'Relu', 'Gemm']);
    });

    it('nn.Sequential: Dropout is removed, BatchNorm1d exported as one op', async () => {
      const model = new nn.Sequential(
        new nn.Linear(784, 256), new nn.ReLU(), new nn.Dropout(0.2), new nn.BatchNorm1d(256),
        new nn.Linear(256, 128), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(128, 10),
      );
      warm(model as never);
      const r = await check('torch-fmnist-mlp', model, { x: [null, 784] }, (b) => [randn([b, 784]).mul(0.5).add(0.3)]);
      const ops = await opTypes(r.file);
      expect(ops).not.toContain('Dropout');
      expect(ops).toEqual(['Gemm', 'Relu', 'BatchNormalization', 'Gemm', 'Relu', 'Gemm']);
      expect(model.training).toBe(true);   // the export restored train mode
    });
  });

  it('an op that cannot be exported names the layer path that used it', async () => {
    class Scatter extends nn.Module {
      override forward(x: Tensor) {
        // A raw kernel call (scatterAdd needs ScatterElements(add), i.e. opset ≥ 16).
        const idx = tensor(Array.from({ length: x.shape[0]! }, (_, i) => i % 4), [x.shape[0]!], { dtype: 'int32' });
        return new Tensor(getBackend().scatterAdd(x.ref('t'), idx.ref('t'), 0, [4, x.shape[1]!]), [4, x.shape[1]!], 'float32');
      }
    }
    class Outer extends nn.Module {
      head = new nn.Linear(3, 3);
      pool = new Scatter();
      override forward(x: Tensor) { return this.pool(this.head(x) as Tensor); }
    }
    let err: unknown;
    try { toOnnxBytes(new Outer() as never, { inputs: { x: [5, 3] }, opset: 15 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as Error).message).toMatch(/Cannot export kernel "scatterAdd" \(used by layer "pool"\)/);
  });

  it('a random draw in the exported forward is a clear error naming the layer (it would repeat one draw forever)', () => {
    class Noisy extends nn.Module {
      override forward(x: Tensor) { return x.add(randint(0, 4, [x.shape[0]!, 1]).cast('float32')); }
    }
    class Outer extends nn.Module {
      noise = new Noisy();
      override forward(x: Tensor) { return this.noise(x); }
    }
    expect(() => toOnnxBytes(new Outer() as never, { inputs: { x: [5, 3] } })).toThrow(/draws random numbers \(randint in noise\)/);
  });

  afterAll(() => {
    expect(onnxCheck(files)).toEqual([]);
    expect(files).toHaveLength(10);
  });
});
