import { afterAll, describe, expect, it } from 'vitest';
import * as nn from '@nn/core';
import { manualSeed, randn, randint, tensor, type Tensor } from '@nn/core';
import { onnxCheck, roundTrip, tmp } from '../test-helpers';
import type { ExportableModel } from './export';

// Tolerance: the reference backend computes in float64 and onnxruntime in float32; these graphs
// sum at most a few hundred products of O(1) values, so float32 rounding stays below ~1e-6. The
// issue's bar is 1e-5.
const TOL = 1e-5;
const dir = tmp();
const files: string[] = [];

/** A structural PyTorch-style module around a function (what the exporter relies on). */
function fnModule(fn: (...xs: Tensor[]) => unknown, params: Record<string, Tensor>): ExportableModel & { training: boolean; evalCalls: number } {
  const m = ((...xs: Tensor[]) => fn(...xs)) as ExportableModel & { training: boolean; evalCalls: number };
  m.training = true;
  m.evalCalls = 0;
  m.namedParameters = () => Object.entries(params);
  m.eval = () => { m.training = false; m.evalCalls++; return m; };
  m.train = (mode = true) => { m.training = mode; return m; };
  return m;
}

async function check(name: string, model: (...xs: Tensor[]) => unknown, opts: Parameters<typeof roundTrip>[3], make: (b: number) => Tensor[]) {
  const { file, errors } = await roundTrip(dir, name, model, opts, make);
  files.push(file);
  expect(errors[1]).toBeLessThanOrEqual(TOL);
  expect(errors[64]).toBeLessThanOrEqual(TOL);
  return file;
}

describe('exportOnnx: graphs built from core ops match onnxruntime at batch 1 and 64', () => {
  manualSeed(7);

  it('MLP with softmax (Gemm + bias, Relu, Softmax), traced in eval mode and restored to train', async () => {
    const p = { 'fc1.weight': randn([20, 16]).mul(0.3), 'fc1.bias': randn([16]), 'fc2.weight': randn([10, 16]).mul(0.3), 'fc2.bias': randn([10]) };
    const m = fnModule((x) => {
      const h = nn.relu(nn.linear(x, p['fc1.weight']).add(p['fc1.bias']));
      const h2 = m.training ? nn.dropout(h, 0.5) : h;
      return nn.softmax(nn.linear(h2, p['fc2.weight'], true).add(p['fc2.bias']));
    }, p);
    await check('mlp', m, { inputs: { x: [null, 20] } }, (b) => [randn([b, 20])]);
    expect(m.training).toBe(true);
    expect(m.evalCalls).toBeGreaterThan(0);
  });

  it('conv net: same/valid padding, strides, max and average pooling, global average pool, NHWC and NCHW', async () => {
    const p = { c1: randn([3, 3, 3, 4]).mul(0.3), b1: randn([4]), c2: randn([5, 4, 3, 3]).mul(0.3), fc: randn([5, 3]) };
    const f = (x: Tensor) => {
      let h = nn.relu(nn.conv2d(x, p.c1, { padding: 'same' }).add(p.b1));
      h = nn.maxPool2d(h, { kernelSize: 2 });
      h = nn.transpose(h, [0, 3, 1, 2]);
      h = nn.conv2d(h, p.c2, { strides: 2, padding: 1, dataFormat: 'NCHW' }).relu();
      h = nn.avgPool2d(h, { kernelSize: 2, strides: 1, dataFormat: 'NCHW', padding: 'same' });
      return nn.globalAvgPool2d(h, 'NCHW').matmul(p.fc);
    };
    await check('convnet', f, { inputs: { x: [null, 10, 10, 3] }, params: Object.entries(p) }, (b) => [randn([b, 10, 10, 3])]);
  });

  it('batchnorm-like and layernorm-like arithmetic, normalization as Sub/Div', async () => {
    const mean = randn([6]), variance = randn([6]).abs().add(0.5), gamma = randn([6]), beta = randn([6]);
    const f = (x: Tensor) => {
      const bn = x.sub(mean).div(variance.add(1e-3).sqrt()).mul(gamma).add(beta);
      const mu = nn.mean(bn, -1, true);
      const v = nn.variance(bn, -1, true);
      return bn.sub(mu).mul(nn.rsqrt(v.add(1e-5)));
    };
    await check('norms', f, { inputs: { x: [null, 6] }, params: [['bn.running_mean', mean], ['bn.running_var', variance], ['bn.weight', gamma], ['bn.bias', beta]] }, (b) => [randn([b, 6])]);
  });

  it('softmax and logSoftmax on several axes, logSumExp, two named outputs', async () => {
    const f = (x: Tensor) => [nn.softmax(x, 1), nn.logSoftmax(x, -1), nn.logSumExp(x, 2)];
    const file = await check('softmax', f, { inputs: { x: [null, 3, 5] }, outputs: ['probs', 'logp', 'lse'] }, (b) => [randn([b, 3, 5]).mul(3)]);
    expect(file).toMatch(/softmax\.onnx$/);
  });

  it('activations: leakyRelu, elu, selu, gelu (erf and tanh), sigmoid, tanh, softplus, clip and unary math', async () => {
    const f = (x: Tensor) => nn.concat([
      nn.leakyRelu(x, 0.2), nn.elu(x), nn.selu(x), nn.gelu(x), nn.gelu(x, 'tanh'), nn.sigmoid(x), nn.tanh(x), nn.softplus(x),
      nn.clip(x, -0.5, 0.5), nn.abs(x), nn.sign(x), nn.exp(x.mul(0.5)), nn.expm1(x.mul(0.5)), nn.log1p(x.abs()), nn.log(x.abs().add(1)),
      nn.sqrt(x.abs()), nn.rsqrt(x.abs().add(1)), nn.square(x), nn.reciprocal(x.abs().add(1)), nn.sin(x), nn.cos(x),
      nn.floor(x), nn.ceil(x), nn.round(x.mul(2)), nn.erf(x), nn.neg(x), nn.pow(x.abs(), 1.5), nn.maximum(x, 0.1), nn.minimum(x, 0.2),
      nn.mod(x, 0.7),
    ], 1);
    await check('activations', f, { inputs: { x: [null, 4] } }, (b) => [randn([b, 4]).mul(2)]);
  });

  it('comparisons, where, casts, integer div and mod, argmax, oneHot and reductions', async () => {
    const f = (x: Tensor, k: Tensor) => {
      const big = nn.greater(x, 0.3), small = nn.lessEqual(x, -0.3);
      const mask = nn.logicalOr(nn.logicalAnd(big, nn.notEqual(x, 1)), nn.logicalNot(nn.greaterEqual(x, -0.3)));
      const y = nn.where(mask, x, nn.cast(small, 'float32'));
      const ki = nn.div(k, 3).add(nn.mod(k, 4)).mul(nn.cast(nn.equal(k, k), 'int32'));
      return [
        y, nn.cast(ki, 'float32'), nn.argmax(x, 1), nn.oneHot(nn.argmin(x, -1), 5),
        nn.sum(x, 1), nn.max(x, [1]), nn.min(x, 1, true), nn.prod(x, 1), nn.mean(x), nn.sum(nn.cast(big, 'int32'), 1),
      ];
    };
    await check('logic', f, { inputs: [{ name: 'x', shape: [null, 5] }, { name: 'k', shape: [null, 5], dtype: 'int32' }] }, (b) => [randn([b, 5]), randint(-20, 20, [b, 5])]);
  });

  it('concat, split, slice, stack, pad, transpose, reshape, broadcast', async () => {
    const w = randn([1, 4]);
    const f = (x: Tensor) => {
      const [a, bb] = nn.split(x, [1, 3], 1) as [Tensor, Tensor];
      const c = nn.concat([bb, a, nn.slice(x, [0, 2], [-1, 2])], 1);
      const st = nn.stack([c, c.mul(2)], 1);
      const pd = nn.pad(st, [[0, 0], [1, 0], [0, 2]], 0.5);
      const t = nn.transpose(pd, [0, 2, 1]);
      const r = nn.flatten(t, 1);
      return [r, nn.broadcastTo(w, [x.shape[0]!, 4]).add(x), nn.unsqueeze(x, 1).mul(nn.reshape(x, [-1, 4, 1]))];
    };
    await check('shapes', f, { inputs: { x: [null, 4] }, params: [['w', w]] }, (b) => [randn([b, 4])]);
  });

  it('embedding-like gather of int32 indices, then mean over the sequence', async () => {
    const table = randn([11, 6]);
    const f = (ids: Tensor) => nn.mean(nn.gather(table, ids, 0), 1);
    await check('embedding', f, { inputs: [{ name: 'ids', shape: [null, 7], dtype: 'int32' }], params: [['embedding.weight', table]] }, (b) => [randint(0, 11, [b, 7])]);
  });

  it('a static batch size exports fixed dims', async () => {
    const w = randn([3, 2]);
    const { session } = await roundTrip(dir, 'static', (x: Tensor) => x.matmul(w), { inputs: { x: [4, 3] }, params: [['w', w]] }, (b) => [randn([b, 3])], [4]);
    expect(session.inputs[0]!.dims).toEqual([4, 3]);
  });

  it('opsets 13 and 18 (reduce axes as attribute vs input) export and run', async () => {
    const w = randn([5, 4]);
    const f = (x: Tensor) => [nn.softmax(x.matmul(w), 1), nn.max(x, 1), nn.prod(x, 1, true), nn.argmax(x, 1)];
    for (const opset of [13, 18]) {
      const { file, errors } = await roundTrip(dir, `opset${opset}`, f, { inputs: { x: [null, 5] }, params: [['w', w]], opset }, (b) => [randn([b, 5])]);
      expect(errors[1]).toBeLessThanOrEqual(TOL);
      expect(errors[64]).toBeLessThanOrEqual(TOL);
      // python3-onnx 1.12 knows opsets up to 17: check the opset-13 file only.
      if (opset === 13) files.push(file);
    }
  });

  afterAll(() => {
    // The ONNX reference checker (python3-onnx, full_check) accepts every exported file.
    expect(onnxCheck(files)).toEqual([]);
    expect(files.length).toBeGreaterThanOrEqual(8);
  });
});

export { tensor };
