import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { linear, manualSeed, nn, optim, randint, randn, type Tensor } from '@nn/core';
import { DeviceError, OnnxFormatError } from '../errors';
import { toOnnxBytes } from '../export/export';
import { InferenceSession } from '../serve/session';
import { compileTrainStep } from '../train-engine/compile';
import { ortEngine } from '../train-engine/engine';
import { baseSessionOptions, checkDevice, cudaProviderInstalled, openSession, ortReason } from './open-session';

manualSeed(12);
const w = randn([3, 8]), b = randn([3]);
const bytes = toOnnxBytes((x: Tensor) => linear(x, w, true).add(b).relu(), { inputs: { x: [null, 8] }, outputs: ['y'], params: [['fc.weight', w], ['fc.bias', b]] });
const errorOf = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

// This machine has no GPU: onnxruntime-node's bundled WebGPU provider cannot get an adapter. On a
// machine with one, the same tests check that the session really runs on webgpu instead.
const webgpu = await openSession(bytes, { device: 'webgpu' }).then((s) => s, (e: unknown) => e as Error);

describe('openSession: one owner for onnxruntime sessions', () => {
  it("'webgpu' starts the WebGPU provider or throws a DeviceError naming webgpu and onnxruntime's reason", async () => {
    if (!(webgpu instanceof Error)) {
      expect(webgpu.device).toBe('webgpu');
      await webgpu.session.release();
      return;
    }
    expect(webgpu).toBeInstanceOf(DeviceError);
    expect((webgpu as DeviceError).device).toBe('webgpu');
    // onnxruntime's reason, without its C++ source location: e.g. "Failed to get a WebGPU adapter: No supported adapters".
    expect(webgpu.message).toMatch(/device "webgpu" is not available: .*WebGPU/);
    expect(webgpu.message).not.toMatch(/\.cc:\d+/);
    expect((webgpu as DeviceError).hint).toMatch(/Vulkan/);
  });

  it("'auto' keeps CUDA-else-CPU (never webgpu) and says why it runs on CPU", async () => {
    const s = await openSession(bytes, { device: 'auto' });
    if (cudaProviderInstalled().installed) expect(['cuda', 'cpu']).toContain(s.device);
    else {
      expect(s.device).toBe('cpu');
      expect(s.fallbackReason).toMatch(/CUDA execution provider is not installed/);
      expect(s.fallbackReason).toMatch(/never picks webgpu/);
    }
    await s.session.release();
  });

  it("'cpu' runs on CPU with no reason; an unknown device is a DeviceError listing the four", async () => {
    const s = await openSession(bytes, { device: 'cpu', threads: 1, graphOptimization: 'basic' });
    expect(s.device).toBe('cpu');
    expect(s.fallbackReason).toBeUndefined();
    const out = await s.session.run({ x: new ort.Tensor('float32', new Float32Array(16), [2, 8]) });
    expect(out.y!.dims).toEqual([2, 3]);
    await s.session.release();
    expect(() => checkDevice('gpu')).toThrow(DeviceError);
    const e = await errorOf(openSession(bytes, { device: 'metal' as 'cpu' }));
    expect(e).toBeInstanceOf(DeviceError);
    expect(e!.message).toMatch(/'auto', 'cpu', 'cuda' or 'webgpu'/);
  });

  it("spinWait: false sets onnxruntime's intra_op.allow_spinning to 0; the session runs as before", async () => {
    expect(baseSessionOptions({ threads: 2, spinWait: false }).extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
    expect(baseSessionOptions({ threads: 2 }).extra).toBeUndefined();
    expect(baseSessionOptions({ threads: 2, spinWait: true }).extra).toBeUndefined();
    expect(() => baseSessionOptions({ spinWait: 'no' as unknown as boolean })).toThrow(/spinWait: expected true or false, got "no"/);
    // The CPU it saves is a measurement (bench/engine-cores.ts --no-spin), not a unit test; here:
    // onnxruntime takes the entry and computes the same outputs.
    const x = new ort.Tensor('float32', Float32Array.from({ length: 16 }, (_, i) => i / 7 - 1), [2, 8]);
    const outs: Float32Array[] = [];
    for (const spinWait of [true, false]) {
      const s = await openSession(bytes, { device: 'cpu', threads: 2, spinWait });
      outs.push((await s.session.run({ x })).y!.data as Float32Array);
      await s.session.release();
    }
    expect(Array.from(outs[1]!)).toEqual(Array.from(outs[0]!));
  });

  it('a model CPU cannot load either is blamed on the model, not the device', async () => {
    const bad = bytes.slice(0, 40);
    for (const device of ['webgpu', 'cpu'] as const) {
      const e = await errorOf(openSession(bad, { device, where: 'bad.onnx' }));
      expect(e).toBeInstanceOf(OnnxFormatError);
    }
  });

  it('ortReason strips the C++ location and the failed assertion', () => {
    const m = '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(...) adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n';
    expect(ortReason(new Error(m))).toBe('Failed to get a WebGPU adapter: No supported adapters');
    expect(ortReason(new Error('/x/y/session.cc:12 something broke'))).toBe('something broke');
  });
});

describe('every entry point takes device and reports it', () => {
  it("InferenceSession.create(path, { device: 'webgpu' }): session.device or a DeviceError", async () => {
    const r = await InferenceSession.create(bytes, { device: 'webgpu' }).then((s) => s, (e: unknown) => e as Error);
    if (webgpu instanceof Error) {
      expect(r).toBeInstanceOf(DeviceError);
      expect((r as DeviceError).device).toBe('webgpu');
    } else expect((r as InferenceSession).device).toBe('webgpu');
    const c = await InferenceSession.create(bytes, { device: 'cpu' });
    expect(c.device).toBe('cpu');
  });

  it("compileTrainStep 'auto' says which device it chose and why (graphInfo)", async () => {
    manualSeed(14);
    const m = new nn.Sequential(new nn.Linear(8, 3));
    const e = await compileTrainStep(m, { optimizer: new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }), loss: (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y), inputShape: [8] });
    const x = randn([4, 8]), y = randint(0, 3, [4]);
    await e.step(x, y);
    await e.step(x, y);
    const info = Object.values(e.graphInfo)[0]!;
    expect(info.device).toBe(e.device);
    if (e.device === 'cpu') expect(info.deviceReason).toMatch(/CUDA execution provider/);
    await e.dispose();
  });

  it("compileTrainStep(model, { device: 'webgpu' }) and fit with ortEngine({ device: 'webgpu' })", async () => {
    manualSeed(13);
    const make = () => new nn.Sequential(new nn.Linear(8, 6), new nn.ReLU(), new nn.Linear(6, 3));
    const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);
    const m = make();
    const e = await compileTrainStep(m, { optimizer: new optim.Adam(m.parameters()), loss, inputShape: [8], device: 'webgpu' });
    const x = randn([4, 8]), y = randint(0, 3, [4]);
    await e.step(x, y); // eager (no optimizer state yet)
    const r = await e.step(x, y).then((l) => l, (err: unknown) => err as Error);
    if (webgpu instanceof Error) {
      expect(r).toBeInstanceOf(DeviceError); // a device that cannot start is an error, never a silent CPU run
      expect(e.counts.ort).toBe(0);
    } else {
      expect(typeof r).toBe('number');
      expect(e.device).toBe('webgpu');
    }
    await expect(compileTrainStep(m, { optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss, inputShape: [8], device: 'tpu' as 'cpu' })).rejects.toBeInstanceOf(DeviceError);
    const m2 = make();
    m2.compile({ optimizer: new optim.Adam(m2.parameters()), loss: 'crossentropy' });
    const fit = await m2.fit(randn([16, 8]), randint(0, 3, [16]), { epochs: 1, batchSize: 4, engine: ortEngine({ device: 'webgpu' }), verbose: 0 }).then((h) => h, (err: unknown) => err as Error);
    if (webgpu instanceof Error) expect(fit).toBeInstanceOf(DeviceError);
    else expect(fit).not.toBeInstanceOf(Error);
  });
});

describe('spinWait reaches every session nn opens', () => {
  const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);
  const train = async (spinWait: unknown) => {
    manualSeed(15);
    const m = new nn.Sequential(new nn.Linear(8, 6), new nn.ReLU(), new nn.Linear(6, 3));
    const e = await compileTrainStep(m, { optimizer: new optim.Adam(m.parameters(), { lr: 0.05 }), loss, inputShape: [8], device: 'cpu', threads: 2, spinWait: spinWait as boolean });
    const x = randn([16, 8]), y = randint(0, 3, [16]);
    const losses: number[] = [];
    try {
      for (let i = 0; i < 5; i++) losses.push(await e.step(x, y));
      return { losses, ort: e.counts.ort };
    } finally {
      await e.dispose();
    }
  };

  it('compileTrainStep: the same losses with and without spinning; a non-boolean is refused by name', async () => {
    const spin = await train(true), still = await train(false);
    expect(still.ort).toBeGreaterThan(0); // the compiled graph ran, not the eager fallback
    // Same graph and inputs: only how idle threads wait differs, and onnxruntime splits a kernel's
    // work by the thread count, not by timing, so the float32 sums are the same: exact equality.
    expect(still.losses).toEqual(spin.losses);
    await expect(train('no')).rejects.toThrow(/spinWait: expected true or false, got "no"/);
  });

  it('InferenceSession.create takes it too', async () => {
    const s = await InferenceSession.create(bytes, { device: 'cpu', threads: 2, spinWait: false });
    expect(s.device).toBe('cpu');
    await expect(InferenceSession.create(bytes, { device: 'cpu', spinWait: 1 as unknown as boolean })).rejects.toThrow(/spinWait/);
  });
});
