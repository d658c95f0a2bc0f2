// The GPU-resident state path (device 'webgpu') exercised on a machine without a GPU: the webgpu
// sessions are CPU sessions behind a fake that behaves like onnxruntime-node 1.30 with
// `preferredOutputLocation: 'gpu-buffer'` — those outputs come back as `Tensor.fromGpuBuffer(…)`
// whose download throws (as the real native stub does), and GPU tensors fed as inputs are accepted.
// What this cannot check: the real WebGPU provider (gpu-scripts/gpu-check.mjs does, on a GPU).
import { describe, expect, it, vi } from 'vitest';
import * as ort from 'onnxruntime-node';
import { manualSeed, nn, optim, randint, randn, type Tensor } from '@nn/core';

const gpuData = new WeakMap<object, ort.Tensor>();
const stats = { gpuOutputs: 0, gpuInputs: 0, disposed: 0, downloads: 0, readbacks: 0 };

vi.mock('../runtime/open-session', async (importOriginal) => {
  const real = await importOriginal<typeof import('../runtime/open-session')>();
  return {
    ...real,
    openSession: async (bytes: Uint8Array, o: import('../runtime/open-session').OpenSessionOptions = {}) => {
      if (o.device !== 'webgpu') return real.openSession(bytes, o);
      const s = await real.openSession(bytes, { ...o, device: 'cpu' });
      const gpuOut = new Set(Object.entries(o.preferredOutputLocation ?? {}).flatMap(([n, l]) => (l === 'gpu-buffer' ? [n] : [])));
      if (!o.preferredOutputLocation) stats.readbacks++;
      const session = new Proxy(s.session, {
        get(target, prop, recv) {
          if (prop !== 'run') return Reflect.get(target, prop, recv);
          return async (feeds: Record<string, ort.Tensor>) => {
            const host: Record<string, ort.Tensor> = {};
            for (const [k, t] of Object.entries(feeds)) {
              if (t.location === 'gpu-buffer') {
                stats.gpuInputs++;
                host[k] = gpuData.get(t)!;
                if (!host[k]) throw new Error(`input ${k}: a disposed GPU tensor was fed`);
              } else host[k] = t;
            }
            const out: Record<string, ort.Tensor> = { ...(await target.run(host)) } as Record<string, ort.Tensor>;
            for (const n of gpuOut) {
              const h = out[n]!;
              const g = ort.Tensor.fromGpuBuffer({} as never, {
                dataType: h.type as 'float32',
                dims: h.dims,
                download: async () => {
                  stats.downloads++;
                  throw new Error('not implemented'); // onnxruntime-node 1.30's native download stub
                },
                dispose: () => {
                  stats.disposed++;
                  gpuData.delete(g);
                },
              });
              gpuData.set(g, h);
              stats.gpuOutputs++;
              out[n] = g;
            }
            return out;
          };
        },
      });
      return { session, device: 'webgpu' as const };
    },
  };
});

const { compileTrainStep } = await import('./compile');
const { TrainStepStateError } = await import('./errors');

const D = 10, C = 4, B = 6, K = 3;
// No bias before the batch norm: its gradient is zero but for float32 rounding, which Adam scales up
// to learning-rate-sized steps, so two graphs that round differently (the CPU target writes batch
// sums as MatMul) would move it apart.
const make = () => {
  manualSeed(8);
  return new nn.Sequential(new nn.Linear(D, 12, { bias: false }), new nn.BatchNorm1d(12), new nn.ReLU(), new nn.Dropout(0.3, { seed: 2 }), new nn.Linear(12, C));
};
const loss = (y: Tensor, p: Tensor) => nn.functional.crossEntropy(p, y);

async function run(device: 'cpu' | 'webgpu', readbackEachCall = false) {
  manualSeed(40);
  const n = 1 + 2 + 2 * K;
  const x = Float32Array.from(randn([n * B, D]).dataSync() as Float64Array), y = Int32Array.from(randint(0, C, [n * B]).dataSync());
  const m = make();
  const e = await compileTrainStep(m, { optimizer: new optim.Adam(m.parameters(), { lr: 0.02 }), loss, inputShape: [D], device, readbackEachCall });
  const px = B * D;
  const got: number[] = [];
  let syncError: unknown;
  for (let i = 0; i < 3; i++) got.push(await e.step(x.subarray(i * px, (i + 1) * px), y.subarray(i * B, (i + 1) * B)));
  got.push(...(await e.steps(x.subarray(3 * px, (3 + K) * px), y.subarray(3 * B, (3 + K) * B), K)));
  try {
    e.sync();
  } catch (err) {
    syncError = err;
  }
  await e.flush();
  e.sync(); // now fine; the next call uploads the synced state again
  got.push(...(await e.steps(x.subarray((3 + K) * px, (3 + 2 * K) * px), y.subarray((3 + K) * B, (3 + 2 * K) * B), K)));
  await e.dispose();
  const weights = [...m.namedParameters(), ...m.namedBuffers()].map(([, t]) => Array.from(t.dataSync(), Number));
  return { got, weights, syncError, device: e.device, counts: e.counts };
}

describe("GPU-resident training state (device 'webgpu', faked on CPU)", () => {
  it('keeps the state on the device between calls, reads it back only through flush(), and trains like the CPU engine', async () => {
    const cpu = await run('cpu');
    const before = { ...stats };
    const gpu = await run('webgpu');
    expect(gpu.counts).toEqual({ ort: 2 + 2 * K, eager: 1 });
    // Same graphs' numbers as the CPU engine (the webgpu forms: unrolled steps, LogSoftmax lowered): 1e-5 relative.
    gpu.got.forEach((v, i) => expect(Math.abs(v - cpu.got[i]!) / Math.max(1, Math.abs(cpu.got[i]!))).toBeLessThanOrEqual(1e-5));
    gpu.weights.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - cpu.weights[i]![j]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(cpu.weights[i]![j]!)))));
    expect(gpu.syncError).toBeInstanceOf(TrainStepStateError); // sync() cannot wait for the GPU
    expect(cpu.syncError).toBeUndefined();
    expect(stats.downloads).toBe(before.downloads); // getData() never called on a GPU tensor
    expect(stats.gpuOutputs - before.gpuOutputs).toBeGreaterThan(0);
    expect(stats.gpuInputs - before.gpuInputs).toBeGreaterThan(0); // outputs fed back as inputs
    expect(stats.disposed - before.disposed).toBe(stats.gpuOutputs - before.gpuOutputs); // every GPU buffer freed, none twice
    expect(stats.readbacks - before.readbacks).toBe(1); // one read-back session, reused by flush() and dispose()
  });

  it('readbackEachCall (what fit uses) keeps sync() working after every call', async () => {
    const cpu = await run('cpu');
    const gpu = await run('webgpu', true);
    expect(gpu.syncError).toBeUndefined();
    gpu.got.forEach((v, i) => expect(Math.abs(v - cpu.got[i]!) / Math.max(1, Math.abs(cpu.got[i]!))).toBeLessThanOrEqual(1e-5));
  });
});
