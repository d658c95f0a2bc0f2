import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { linear, nn, relu, tensor, zeros, type Tensor } from '@nn/core';
import { StateDictError } from './errors';
import { loadTorchStateDict } from './torch';

const fixture = (f: string) => fileURLToPath(new URL(`../fixtures/${f}`, import.meta.url));
const expected = JSON.parse(readFileSync(fixture('torch-mlp.json'), 'utf8')) as { x: number[][]; y: number[][] };

/** The fixture's PyTorch Net (Linear 6→5, BatchNorm1d(5) in eval, ReLU, Linear 5→3), as a structural module. */
function makeNet(extra: Record<string, Tensor> = {}, fc2In = 5) {
  const p: Record<string, Tensor> = {
    'fc1.weight': zeros([5, 6]), 'fc1.bias': zeros([5]), 'bn.weight': zeros([5]), 'bn.bias': zeros([5]),
    'fc2.weight': zeros([3, fc2In]), 'fc2.bias': zeros([3]), ...extra,
  };
  const buffers: Record<string, Tensor> = { 'bn.running_mean': zeros([5]), 'bn.running_var': zeros([5]) };
  const forward = (x: Tensor) => {
    const h = linear(x, p['fc1.weight']!, true).add(p['fc1.bias']!);
    const bn = h.sub(buffers['bn.running_mean']!).div(buffers['bn.running_var']!.add(1e-5).sqrt()).mul(p['bn.weight']!).add(p['bn.bias']!);
    return linear(relu(bn), p['fc2.weight']!, true).add(p['fc2.bias']!);
  };
  return { forward, namedParameters: () => Object.entries(p), namedBuffers: () => Object.entries(buffers) };
}

describe('loadTorchStateDict', () => {
  it('loads a PyTorch-written safetensors state dict and reproduces its eval outputs', async () => {
    const net = makeNet();
    const r = await loadTorchStateDict(net, fixture('torch-mlp.safetensors'));
    expect(r.loaded.sort()).toEqual(['bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.weight', 'fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
    const y = net.forward(tensor(expected.x)).dataSync();
    // Both sides are float32 weights; torch ran in float32, our reference backend in float64: < 1e-5.
    expected.y.flat().forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThan(1e-5));
  });

  it('lists missing and unexpected keys, and shape mismatches', async () => {
    const e1 = await loadTorchStateDict(makeNet({ 'head.weight': zeros([2]) }), fixture('torch-mlp.safetensors'), { rename: { 'fc1.bias': 'fc1.b' } }).catch((e: unknown) => e as StateDictError);
    expect(e1).toBeInstanceOf(StateDictError);
    expect([...(e1 as StateDictError).missing].sort()).toEqual(['fc1.bias', 'head.weight']);
    expect((e1 as StateDictError).unexpected).toEqual(['fc1.bias']);
    const e2 = await loadTorchStateDict(makeNet({}, 4), fixture('torch-mlp.safetensors')).catch((e: unknown) => e as StateDictError);
    expect((e2 as Error).message).toMatch(/fc2\.weight: shape \[3, 5\] in the file, \[3, 4\] in the module/);
  });

  it('non-strict loading skips missing and unexpected keys', async () => {
    const r = await loadTorchStateDict(makeNet({ extra: zeros([1]) }), fixture('torch-mlp.safetensors'), { strict: false, ignore: [] });
    expect(r.missingKeys).toEqual(['extra']);
    expect(r.unexpectedKeys).toEqual(['bn.num_batches_tracked']);
  });

  it('loads into nn.BatchNorm1d by default, num_batches_tracked included (a real PyTorch state dict)', async () => {
    // fixtures/torch-mlp.safetensors: torch 1.13's state_dict of Linear(6,5), BatchNorm1d(5), Linear(5,3)
    // after 3 training batches (num_batches_tracked = 3, int64), scripts/make-torch-fixture.py.
    class Net extends nn.Module {
      fc1 = new nn.Linear(6, 5);
      bn = new nn.BatchNorm1d(5);
      fc2 = new nn.Linear(5, 3);
      override forward(x: Tensor) { return this.fc2(this.bn(this.fc1(x)).relu()) as Tensor; }
    }
    const net = new Net();
    const r = await loadTorchStateDict(net, fixture('torch-mlp.safetensors'));
    expect(r.missingKeys).toEqual([]);
    expect(r.unexpectedKeys).toEqual([]);
    expect(r.loaded).toContain('bn.num_batches_tracked');
    const nbt = net.stateDict()['bn.num_batches_tracked']!;
    expect([nbt.dtype, nbt.item()]).toEqual(['int32', 3]);
    net.eval();
    const y = (net.forward(tensor(expected.x)) as Tensor).dataSync();
    // float32 weights on both sides; torch in float32, the reference backend in float64: < 1e-5.
    expected.y.flat().forEach((v, i) => expect(Math.abs(v - y[i]!)).toBeLessThan(1e-5));
  });
});
