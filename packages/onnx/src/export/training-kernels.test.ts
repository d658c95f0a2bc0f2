import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import * as nn from '@nn/core';
import { manualSeed, randint, randn, type Tensor } from '@nn/core';
import { UnsupportedOpError } from '../errors';
import { onnxCheck, roundTrip, tmp } from '../test-helpers';
import { toOnnxBytes } from './export';

// The compiled training engine (issue 7) exports whole steps, so the backward kernels must lower
// too. A filter gradient sums batch × spatial products (over a thousand at batch 64), so its values
// reach tens and float32 rounding grows with them: 1e-5 relative to the largest |value| (≥ 1).
const TOL = 1e-5;
const dir = tmp();
const files: string[] = [];

/** f computes a loss from x and returns the gradients of the given leaves (cleared before each call). */
function gradsOf(leaves: Tensor[], loss: (x: Tensor) => Tensor) {
  return (x: Tensor) => {
    for (const l of leaves) l.grad = null;
    x.requiresGrad_(true);
    loss(x).backward();
    return [...leaves.map((l) => l.grad!), x.grad!];
  };
}

async function check(name: string, f: (x: Tensor) => Tensor[], shape: number[], params: [string, Tensor][]) {
  const model = (x: Tensor) => nn.withGrad(true, () => f(x));
  const r = await roundTrip(dir, name, model, { inputs: { x: [null, ...shape] }, params, training: true }, (b) => [randn([b, ...shape])]);
  files.push(r.file);
  expect(r.errors[1]).toBeLessThanOrEqual(TOL * Math.max(1, r.scale[1]!));
  expect(r.errors[64]).toBeLessThanOrEqual(TOL * Math.max(1, r.scale[64]!));
}

describe('training-graph kernels lower to standard ONNX ops', () => {
  manualSeed(3);

  it('conv2d backprop (input: ConvTranspose, filter: strided Slices of x + one Gemm), strided and dilated, same padding', async () => {
    const w1 = randn([3, 3, 2, 3]).mul(0.3).requiresGrad_(), w2 = randn([2, 2, 3, 2]).mul(0.3).requiresGrad_();
    const f = gradsOf([w1, w2], (x) => {
      const h = nn.conv2d(x, w1, { strides: 2, padding: 'same' }).tanh();
      return nn.conv2d(h, w2, { dilations: 2 }).square().sum();
    });
    await check('conv-grads', f, [9, 8, 2], [['w1', w1], ['w2', w2]]);
  });

  it('max pooling gradient (MaxPool Indices + ScatterElements add) with overlapping windows, average pooling gradient', async () => {
    const f = gradsOf([], (x) => {
      const a = nn.maxPool2d(x, { kernelSize: 3, strides: 2 });
      const b = nn.avgPool2d(x, { kernelSize: [2, 3], strides: [2, 1] });
      return a.mul(a).sum().add(b.mul(b).sum());
    });
    await check('pool-grads', f, [7, 6, 2], []);
  });

  it('max pooling gradient over windows that tile the input (kernel = strides): ties go to the first maximum, rows and columns past the last window get none', async () => {
    // Rounded inputs tie often inside a window; t is a leaf, so its gradient is the pooling gradient itself.
    // 7×7 with kernel 2 and 7×6 with kernel [2, 3] leave uncovered rows / columns.
    const f = (x: Tensor) => {
      const t = x.mul(1.5).round().detach().requiresGrad_(true);
      const a = nn.maxPool2d(t, { kernelSize: 2 }), b = nn.maxPool2d(t.slice([0, 0, 0, 0], [-1, 7, 6, 2]), { kernelSize: [2, 3] });
      a.mul(a.add(1)).sum().add(b.mul(b.add(2)).sum()).backward();
      return [t.grad!];
    };
    const model = (x: Tensor) => nn.withGrad(true, () => f(x));
    const inputs = (b: number) => [randn([b, 7, 7, 2])];
    // The data has ties (a window whose maximum appears twice), or the test would not test them.
    const x = inputs(64)[0]!.mul(1.5).round().dataSync();
    let ties = 0;
    for (let n = 0; n < 64; n++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let ch = 0; ch < 2; ch++) {
      const w = [0, 1, 7, 8].map((o) => x[((n * 7 + 2 * i) * 7 + 2 * j) * 2 + ch + o * 2]!);
      if (w.filter((v) => v === Math.max(...w)).length > 1) ties++;
    }
    expect(ties).toBeGreaterThan(100);
    const { fromBinary } = await import('@bufbuild/protobuf');
    const { ModelProtoSchema } = await import('../gen/onnx_pb');
    const ops = (file: string) => fromBinary(ModelProtoSchema, readFileSync(file)).graph!.node.map((n) => n.opType);
    // Written for the CPU, both pools' gradients are MaxUnpools (indices: window corners plus
    // first-match offsets); for other providers, dy and the first match are upsampled (Resize).
    // A fixed batch size (as compiled training steps have) computes the indices in float32 (exact
    // below 2²⁴), a batch size known only at run time in int64.
    for (const [target, batch] of [['cpu', null], ['cpu', 64], ['default', null]] as const) {
      const r = await roundTrip(dir, `pool-tiled-grads-${target}-${batch ?? 'dyn'}`, model, { inputs: { x: [batch, 7, 7, 2] }, training: true, opset: 15, target }, inputs, batch ? [batch] : [1, 64]);
      files.push(r.file);
      expect(ops(r.file).filter((o) => o === 'MaxUnpool')).toHaveLength(target === 'cpu' ? 2 : 0);
      expect(ops(r.file).filter((o) => o === 'Resize').length).toBe(target === 'cpu' ? 0 : 4);
      expect(ops(r.file).includes('Range')).toBe(target === 'cpu' && batch === null);
      // One dy per window, copied (not summed) to one element: exact in float32 up to dy's own rounding.
      if (!batch) expect(r.errors[1]).toBeLessThanOrEqual(TOL * Math.max(1, r.scale[1]!));
      expect(r.errors[64]).toBeLessThanOrEqual(TOL * Math.max(1, r.scale[64]!));
    }
  });

  it('ReLU → tiled max pool: the ReLU gradient’s mask moves onto dy at the pooled size (no full-size Greater), the pool is a Max of the gradient’s window split, same gradient', async () => {
    const w = randn([3, 3, 2, 4]).mul(0.5).requiresGrad_();
    const f = gradsOf([w], (x) => {
      const h = nn.conv2d(x, w).relu();                                  // [b, 6, 6, 4]
      const p = nn.maxPool2d(h, { kernelSize: 2 });                      // [b, 3, 3, 4]
      return p.mul(p.add(1)).sum();
    });
    const model = (x: Tensor) => nn.withGrad(true, () => f(x));
    const r = await roundTrip(dir, 'relu-pool-grads', model, { inputs: { x: [null, 8, 8, 2] }, params: [['w', w]], training: true, target: 'cpu' }, (b) => [randn([b, 8, 8, 2])]);
    files.push(r.file);
    // The filter gradient sums b·36 products: 1e-5 relative to the largest value, as above.
    expect(r.errors[1]).toBeLessThanOrEqual(TOL * Math.max(1, r.scale[1]!));
    expect(r.errors[64]).toBeLessThanOrEqual(TOL * Math.max(1, r.scale[64]!));
    const { fromBinary } = await import('@bufbuild/protobuf');
    const { ModelProtoSchema } = await import('../gen/onnx_pb');
    const nodes = fromBinary(ModelProtoSchema, readFileSync(r.file)).graph!.node;
    const producer = new Map(nodes.flatMap((n) => n.output.map((o) => [o, n.opType] as const)));
    const greater = nodes.filter((n) => n.opType === 'Greater');
    expect(greater.length).toBeGreaterThan(0);
    // The pooled value is the elementwise Max of the windows the gradient's SpaceToDepth → Split
    // cut apart (no MaxPool left, forward or backward), and the mask reads it.
    expect(nodes.filter((n) => n.opType === 'MaxPool')).toHaveLength(0);
    const maxes = nodes.filter((n) => n.opType === 'Max');
    expect(maxes.length).toBeGreaterThan(0);
    for (const m of maxes) {
      expect(m.input).toHaveLength(4);
      for (const i of m.input) expect(producer.get(i)).toBe('Split');
    }
    for (const n of greater) expect(producer.get(n.input[0]!)).toBe('Max');
    // On the CPU dy goes back through MaxUnpool (one zero-filled full-size output), masked at the pooled size:
    // no upsampling Resize, no full-size compare.
    const unpool = nodes.filter((n) => n.opType === 'MaxUnpool');
    expect(unpool).toHaveLength(1);
    expect(nodes.filter((n) => n.opType === 'Resize')).toHaveLength(0);
    expect(producer.get(unpool[0]!.input[0]!)).toBe('Where');
  });

  it('matmul gradients (transposed Gemm / MatMul) and the gather gradient (scatterAdd)', async () => {
    const w = randn([4, 5]).requiresGrad_(), table = randn([6, 4]).requiresGrad_();
    const ids = randint(0, 6, [3]);
    const f = gradsOf([w, table], (x) => {
      const e = nn.gather(table, ids, 0).sum(0);          // [4]
      const h = nn.matmul(x.add(e), w).relu();
      return nn.logSoftmax(h, 1).mul(-1).mean();   // mean over the batch: a 1/B constant in the backward
    });
    await check('dense-grads', f, [4], [['w', w], ['table', table], ['ids', ids]]);
  });

  it('a gradient kernel that needs ScatterElements(add) (overlapping max-pool windows) is an UnsupportedOpError below opset 16', () => {
    const f = gradsOf([], (x) => nn.maxPool2d(x, { kernelSize: 3, strides: 1 }).sum());
    const model = (x: Tensor) => nn.withGrad(true, () => f(x));
    const err = (() => {
      try {
        toOnnxBytes(model, { inputs: { x: [null, 4, 4, 1] }, training: true, opset: 15 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnsupportedOpError);
    expect((err as UnsupportedOpError).kernel).toBe('maxPoolGrad');
    expect((err as Error).message).toMatch(/opset 16/);
  });

  afterAll(() => {
    expect(onnxCheck(files)).toEqual([]);
    expect(files).toHaveLength(7);
  });
});
