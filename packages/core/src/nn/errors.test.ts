/**
 * Bad input: calling a layer with the wrong rank or size names the layer, the expected and the
 * received shape; loadStateDict lists missing, unexpected and mis-shaped keys.
 */
import { describe, expect, it } from 'vitest';
import * as o from '../ops';
import type { Tensor } from '../tensor';
import {
  AveragePooling2D, BatchNormalization, Concatenate, Add, Conv2D, Dense, Embedding, GlobalAveragePooling2D, LayerNormalization,
  MaxPooling2D, Normalization, Reshape,
} from './index';
import type { Layer } from './layer';
import { Model, Sequential } from './model';
import { LayerInputError, Module, StateDictError } from './module';
import { Input } from './symbolic';
import * as nn from './torch';

/** Call and return the thrown error (fails the test when nothing is thrown). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}
/** Build `layer` on `good`, then call it with `bad`: the error must be a LayerInputError naming it and both shapes. */
function expectLayerError(layer: Layer, good: Tensor | Tensor[], bad: Tensor | Tensor[], expected: RegExp) {
  layer(good);
  const e = thrown(() => layer(bad));
  expect(e).toBeInstanceOf(LayerInputError);
  const err = e as LayerInputError;
  expect(err.layer).toBe(`${layer.constructor.name} "${layer.name}"`);
  expect(err.message).toContain(`${layer.constructor.name} "${layer.name}"`);
  expect(err.expected).toMatch(expected);
  const badShapes = (Array.isArray(bad) ? bad : [bad]).map((t) => `[${t.shape.join(', ')}]`);
  expect(badShapes.some((s) => err.message.includes(s))).toBe(true);
}

describe('Keras layers: wrong rank or size', () => {
  it('Dense: wrong last axis (with the Flatten hint for rank > 2) and rank 1', () => {
    const d = new Dense(3, { name: 'd1' });
    expectLayerError(d, o.zeros([2, 4]), o.zeros([2, 5]), /last axis 4/);
    expect(thrown(() => d(o.zeros([2, 7, 5]))).message).toBe('Dense "d1" expected last axis 4, got input [2, 7, 5]. Add Flatten() before it.');
    expect(thrown(() => d(o.zeros([4]))).message).toMatch(/Dense "d1" expected an input of rank ≥ 2 \(\[batch, 4\]\), got input \[4\]/);
  });
  it('Conv2D: rank 3 and wrong channel count', () => {
    expectLayerError(new Conv2D(2, 3, { name: 'c1' }), o.zeros([1, 5, 5, 3]), o.zeros([5, 5, 3]), /rank-4 input with 3 channels/);
    expectLayerError(new Conv2D(2, 3), o.zeros([1, 5, 5, 3]), o.zeros([1, 5, 5, 1]), /3 input channels on axis 3/);
    expect(thrown(() => new Conv2D(2, 3)(o.zeros([5, 5, 3])))).toBeInstanceOf(LayerInputError);
  });
  it('pooling and global pooling: rank', () => {
    expectLayerError(new MaxPooling2D(), o.zeros([1, 4, 4, 1]), o.zeros([4, 4]), /rank-4/);
    expectLayerError(new AveragePooling2D(), o.zeros([1, 4, 4, 1]), o.zeros([4, 4, 1]), /rank-4/);
    expectLayerError(new GlobalAveragePooling2D(), o.zeros([1, 4, 4, 1]), o.zeros([4, 4]), /rank-4/);
  });
  it('BatchNormalization, LayerNormalization, Normalization: wrong feature size', () => {
    expectLayerError(new BatchNormalization(), o.zeros([2, 3]), o.zeros([2, 4]), /axis -1 of size 3/);
    expectLayerError(new LayerNormalization(), o.zeros([2, 3]), o.zeros([2, 4]), /3/);
    expectLayerError(new Normalization({ mean: [0, 0], variance: [1, 1] }), o.zeros([2, 2]), o.zeros([2, 3]), /2/);
  });
  it('Reshape: wrong element count; Concatenate / Add: shapes that do not fit', () => {
    expectLayerError(new Reshape([2, 3]), o.zeros([1, 6]), o.zeros([1, 7]), /6 values per sample/);
    expectLayerError(new Concatenate(), [o.zeros([2, 3]), o.zeros([2, 1])], [o.zeros([2, 3]), o.zeros([3, 1])], /axis/);
    expectLayerError(new Add(), [o.zeros([2, 3]), o.zeros([2, 3])], [o.zeros([2, 3]), o.zeros([2, 4])], /same \(or a broadcastable\) shape as the first, \[2, 3\]/);
    expect((new Add()([o.ones([2, 3]), o.ones([2, 1])]) as Tensor).shape).toEqual([2, 3]);
  });
  it('Embedding: an index out of range names the layer and the position', () => {
    const e = new Embedding(4, 2, { name: 'emb' });
    expect(thrown(() => e(o.tensor(new Int32Array([1, 4]), [2]))).message).toMatch(/Embedding "emb".*index 4 out of range \[0, 4\) at position 1/);
  });
  it('inside a model, the message gives the layer path', () => {
    const m = new Sequential([new Dense(4, { inputShape: [3], name: 'a' }), new Dense(2, { name: 'b' })]);
    expect(thrown(() => m(o.zeros([2, 5]))).message).toMatch(/^Dense "a" \(.*\.layers\[0\]\) expected last axis 3, got input \[2, 5\]/);
    const inp = Input({ shape: [3] });
    const fm = Model({ inputs: inp, outputs: new Dense(2)(inp) });
    expect(thrown(() => fm(o.zeros([2, 4]))).message).toMatch(/input "input_layer.*" expected shape \[None, 3\], got \[2, 4\]/);
  });
});

describe('layer names', () => {
  it('two layers with one name in a model is an error (they would share weight names); explicit names reserve automatic ones', () => {
    const inp = Input({ shape: [2] });
    const a = new Dense(2, { name: 'twin' }), b = new Dense(2, { name: 'twin' });
    expect(() => Model({ inputs: inp, outputs: b(a(inp)) })).toThrow(/Model: two different layers are named "twin" \(model\.layers\[0\] and model\.layers\[1\]\)/);
    expect(() => new Sequential([new Dense(2, { name: 'twin2' }), new Dense(2, { name: 'twin2' })])).toThrow(/layers\[0\] is already named "twin2"/);
    new Dense(1, { name: 'zed_layer_7' });
    class ZedLayer extends Dense {}
    expect(new ZedLayer(1).name).toBe('zed_layer_8');
  });
});

describe('PyTorch modules: wrong rank or size', () => {
  it('nn.Linear, nn.Conv2d, nn.BatchNorm1d/2d, nn.LayerNorm name the module and both shapes', () => {
    expect(thrown(() => new nn.Linear(4, 2)(o.zeros([3, 5]))).message).toBe('nn.Linear(4, 2) expected last axis 4, got input [3, 5].');
    expect(thrown(() => new nn.Conv2d(3, 8, 3)(o.zeros([1, 1, 5, 5]))).message).toBe('nn.Conv2d(3, 8) expected input (N, 3, H, W), got input [1, 1, 5, 5].');
    expect(thrown(() => new nn.BatchNorm1d(3)(o.zeros([2, 4]))).message).toMatch(/BatchNorm1d\(3\) expected input of rank 2 or 3 with 3 channels on axis 1, got input \[2, 4\]/);
    expect(thrown(() => new nn.BatchNorm2d(3)(o.zeros([2, 3, 4]))).message).toMatch(/BatchNorm2d\(3\) expected input of rank 4 .* got input \[2, 3, 4\]/);
    expect(thrown(() => new nn.LayerNorm([2, 3])(o.zeros([2, 3, 2]))).message).toMatch(/nn\.LayerNorm expected trailing shape \[2, 3\], got input \[2, 3, 2\]/);
  });
  it('modules start in training mode, Keras layers in inference mode', () => {
    expect(new nn.Linear(2, 3).training).toBe(true);
    expect(new nn.BatchNorm1d(2).training).toBe(true);
    expect(new Dense(2).training).toBe(false);
  });
});

describe('loadStateDict', () => {
  class Net extends Module {
    fc = new nn.Linear(3, 2);
    bn = new nn.BatchNorm1d(2);
    head = new Dense(1);
    override forward(x: Tensor) {
      return this.head(this.bn(this.fc(x)));
    }
  }
  it('lists every missing, unexpected and mis-shaped key, including buffers and Keras weights', () => {
    const a = new Net();
    a(o.zeros([2, 3]));
    expect(Object.keys(a.stateDict())).toEqual(['fc.weight', 'fc.bias', 'bn.weight', 'bn.bias', 'head.kernel', 'head.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    const sd = { ...a.stateDict() };
    delete sd['bn.running_var'];
    delete sd['head.bias'];
    sd['fc.extra'] = o.zeros([1]);
    sd['fc.weight'] = o.zeros([3, 2]);
    sd['head.kernel'] = o.zeros([2, 2]);
    const e = thrown(() => a.loadStateDict(sd)) as StateDictError;
    expect(e).toBeInstanceOf(StateDictError);
    expect(e.missingKeys).toEqual(['head.bias', 'bn.running_var']);
    expect(e.unexpectedKeys).toEqual(['fc.extra']);
    expect(e.shapeMismatches).toEqual(['fc.weight: expected [2, 3], got [3, 2]', 'head.kernel: expected [2, 1], got [2, 2]']);
    expect(e.message).toBe('loadStateDict(Net): missing keys: head.bias, bn.running_var; unexpected keys: fc.extra; shape mismatches: fc.weight: expected [2, 3], got [3, 2]; head.kernel: expected [2, 1], got [2, 2].');
  });
  it('strict: false returns the lists and loads what fits; shape mismatches still throw', () => {
    const a = new Net(), b = new Net();
    a(o.zeros([2, 3]));
    b(o.zeros([2, 3]));
    const sd = { ...a.stateDict() };
    delete sd['fc.bias'];
    sd['other'] = o.zeros([1]);
    expect(b.loadStateDict(sd, { strict: false })).toEqual({ missingKeys: ['fc.bias'], unexpectedKeys: ['other'] });
    expect(Array.from(b.fc.weight.dataSync())).toEqual(Array.from(a.fc.weight.dataSync()));
    expect(Array.from(b.fc.bias!.dataSync())).not.toEqual(Array.from(a.fc.bias!.dataSync()));
    expect(() => b.loadStateDict({ ...a.stateDict(), 'fc.bias': o.zeros([5]) }, { strict: false })).toThrow(StateDictError);
  });
});
