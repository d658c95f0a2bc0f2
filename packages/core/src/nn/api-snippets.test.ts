import { describe, expect, it } from 'vitest';
import {
  Input, Layer, Model, Sequential, layers, nn, noGrad, regularizers, cat, matmul, randn, tensor, Tensor, manualSeed, LayerInputError, StateDictError,
} from '../index';

describe('API.md Keras snippet', () => {
  it('custom layer with addWeight, functional model with reuse, Concatenate, BN, dropout, regularizers', () => {
    manualSeed(1);
    class MyLinear extends Layer {
      w: Tensor;
      b: Tensor;
      constructor(units = 32, inputDim = 32) {
        super();
        this.w = this.addWeight({ shape: [inputDim, units], initializer: 'randomNormal' });
        this.b = this.addWeight({ shape: [units], initializer: 'zeros' });
      }
      override call(inputs: Tensor) {
        return inputs.matmul(this.w).add(this.b);
      }
    }
    const my = new MyLinear(4, 3);
    expect(my(tensor([[1, 2, 3]])).shape).toEqual([1, 4]);
    expect(my.weights.length).toBe(2);

    const inputs = Input({ shape: [784] });
    const x1 = layers.Dense(64, { activation: 'relu' })(inputs);
    const x2 = layers.Dense(128, { activation: 'relu' })(inputs);
    const merged = layers.Concatenate()([x1, x2]);
    const h = layers.Dropout(0.1)(layers.BatchNormalization()(merged));
    const outputs = layers.Dense(10, {
      kernelRegularizer: regularizers.L1L2({ l1: 0.5, l2: 1 }),
      biasRegularizer: regularizers.L1L2({ l1: 0.5, l2: 1 }),
      activityRegularizer: regularizers.L1L2({ l1: 0.3, l2: 10 }),
      kernelInitializer: 'glorotNormal',
      biasInitializer: 'zeros',
    })(h);
    const model = Model({ inputs, outputs });
    expect(outputs.shape).toEqual([null, 10]);
    const lines: string[] = [];
    model.summary((l) => lines.push(l));
    const text = lines.join('\n');
    // 784·64+64 + 784·128+128 + 4·192 (BN) + 192·10+10
    const total = 784 * 64 + 64 + 784 * 128 + 128 + 4 * 192 + 192 * 10 + 10;
    expect(model.numParameters()).toBe(total);
    expect(text).toContain(total.toLocaleString('en-US'));
    expect(text).toContain('Non-trainable params: 384');
    const y = model(randn([5, 784])) as Tensor;
    expect(y.shape).toEqual([5, 10]);
    // kernel + bias regularizers + one activity penalty
    expect(model.losses.length).toBe(3);
  });

  it('a shared layer shares its weights; several inputs and outputs', () => {
    const a = Input({ shape: [3] }), b = Input({ shape: [3] });
    const shared = layers.Dense(2);
    const out1 = shared(a), out2 = shared(b);
    const m = Model({ inputs: [a, b], outputs: [out1, out2, layers.Add()([out1, out2])] });
    expect(m.parameters().length).toBe(2);
    const x = tensor([[1, 2, 3]]);
    const [y1, y2, y3] = m([x, x]) as Tensor[];
    expect(Array.from(y1!.dataSync())).toEqual(Array.from(y2!.dataSync()));
    expect(y3!.dataSync()[0]).toBeCloseTo(2 * y1!.dataSync()[0]!, 5);
  });

  it('wrong input size names the layer, both shapes and the fix', () => {
    const m = new Sequential([layers.Dense(8, { inputShape: [784], name: 'dense_in' }), layers.Dense(10, { name: 'dense_out' })]);
    expect(() => m(randn([32, 28, 28]))).toThrow(LayerInputError);
    expect(() => m(randn([32, 28, 28]))).toThrow(/Dense "dense_in" \(sequential.*\.layers\[0\]\) expected last axis 784, got input \[32, 28, 28\]\. Add Flatten\(\) before it\./);
  });
});

describe('API.md PyTorch snippet', () => {
  class MyLinear extends nn.Module {
    weight: nn.Parameter;
    bias: nn.Parameter;
    constructor(inUnits: number, units: number) {
      super();
      this.weight = new nn.Parameter(randn([inUnits, units]));
      this.bias = new nn.Parameter(randn([units]));
    }
    override forward(X: Tensor) {
      return matmul(X, this.weight).add(this.bias);
    }
  }
  class AdvancedModel extends nn.Module {
    layer1 = new nn.Linear(3, 64);
    layer2 = new nn.Linear(3, 128);
    override forward(x: Tensor) {
      return cat([this.layer1(x), this.layer2(x)], 1);
    }
  }
  it('modules are callable, apply(noGrad(...)) fills weights, stateDict round-trips', () => {
    const lin = new MyLinear(5, 3);
    expect(lin(randn([2, 5])).shape).toEqual([2, 3]);
    const layer = new nn.Linear(20, 30);
    nn.init.uniform_(layer.weight);
    const w = layer.weight.dataSync();
    expect(Math.min(...w)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...w)).toBeLessThan(1);
    const net = new AdvancedModel();
    net.apply(noGrad((m: nn.Module) => { if (m instanceof nn.Linear) m.weight.fill_(1.0); }));
    expect(Array.from(net.layer1.weight.dataSync()).every((v) => v === 1)).toBe(true);
    expect(net(randn([4, 3])).shape).toEqual([4, 192]);
    expect(Object.keys(net.stateDict())).toEqual(['layer1.weight', 'layer1.bias', 'layer2.weight', 'layer2.bias']);
    const other = new AdvancedModel();
    other.loadStateDict(net.stateDict());
    expect(Array.from(other.layer1.weight.dataSync())).toEqual(Array.from(net.layer1.weight.dataSync()));
    net.eval();
    expect(net.training).toBe(false);
    expect(net.layer1.training).toBe(false);
  });
  it('loadStateDict lists missing, unexpected and mis-shaped keys', () => {
    const net = new AdvancedModel();
    const sd = { ...net.stateDict() } as Record<string, Tensor>;
    delete sd['layer2.bias'];
    sd['extra'] = randn([1]);
    sd['layer1.weight'] = randn([2, 2]);
    try {
      net.loadStateDict(sd);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StateDictError);
      const err = e as StateDictError;
      expect(err.missingKeys).toEqual(['layer2.bias']);
      expect(err.unexpectedKeys).toEqual(['extra']);
      expect(err.message).toContain('layer1.weight: expected [64, 3], got [2, 2]');
    }
  });
  it('mixing: a Keras layer inside a Module, a Module inside a functional Model', () => {
    class Mixed extends nn.Module {
      dense = layers.Dense(4, { activation: 'relu' });
      lin = new nn.Linear(4, 2);
      override forward(x: Tensor) { return this.lin(this.dense(x)); }
    }
    const m = new Mixed();
    expect(m(randn([3, 5])).shape).toEqual([3, 2]);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['dense.kernel', 'dense.bias', 'lin.weight', 'lin.bias']);
    const inp = Input({ shape: [6] });
    const out = layers.Dense(3)(new nn.Linear(6, 4)(inp));
    const fm = Model({ inputs: inp, outputs: out });
    expect(fm.parameters().length).toBe(4);
    expect((fm(randn([2, 6])) as Tensor).shape).toEqual([2, 3]);
  });
});
