import { describe, expect, it } from 'vitest';
import { parseGpuCheck, summarizeGpu, type GpuCheckReport } from './gpu';

const t = (samplesPerS: number) => ({ msPerCall: 1, samplesPerS, calls: 5 });

describe('gpu bench report', () => {
  it('no GPU: skipped, with the reason', () => {
    const r = parseGpuCheck('noise\n' + JSON.stringify({ noGpu: true, smoke: false, cells: [], parity: [], torch: null, notes: ['webgpu: No supported adapters'] }));
    const s = summarizeGpu(r);
    expect(s.status).toBe('skipped');
    expect(s.notes.join(' ')).toMatch(/No supported adapters/);
  });

  it('ratios against nn cpu, the issue targets, the parity rows and the PyTorch CUDA ratio', () => {
    const r: GpuCheckReport = {
      smoke: false, notes: [],
      cells: [
        { kind: 'train', name: 'large', device: 'cpu', batch: 1024, k: 8, step1: t(1000), stepK: t(1200) },
        { kind: 'train', name: 'large', device: 'webgpu', batch: 1024, k: 8, step1: t(5000), stepK: t(7200) },
        { kind: 'infer', name: 'fmnist', device: 'cpu', b1024: t(300_000), b1: t(20_000) },
        { kind: 'infer', name: 'fmnist', device: 'webgpu', b1024: t(600_000), b1: t(900) },
      ],
      parity: [{ kind: 'train', name: 'large', device: 'webgpu', ok: false, maxLossRel: 3e-4, steps: 50, tol: 1e-4 }],
      torch: { cuda: true, torch: '2.11', infer: { fmnist: { b1024: t(5e6), b1: t(6000) }, large: { b1024: t(1e6), b1: t(1000) } }, train: { fmnist: { batch: 256, adam: 'fused', step1: t(150_000) }, large: { batch: 1024, adam: 'fused', step1: t(14_400) } } },
    };
    const s = summarizeGpu(r);
    const large = s.headlines.find((h) => h.measure.startsWith('MLP 784-4096-4096-10 training'))!;
    expect(large.ratio).toBe(6); // best of 1 and 8 steps per call: 7200 / 1200
    expect(large.met).toBe(true);
    expect(large.measure).toMatch(/PyTorch CUDA: 0\.5/);
    expect(s.headlines.find((h) => h.measure === 'FMNIST-MLP inference, batch 1024 on webgpu')!.met).toBe(false);
    expect(s.headlines.find((h) => h.measure.startsWith('parity'))!.met).toBe(false);
    expect(s.tables[0]).toMatch(/PyTorch 2.11 CUDA/);
    const placed = summarizeGpu({ ...r, placement: [{ name: 'fmnist', device: 'webgpu', byProvider: { WebGpuExecutionProvider: { Gemm: 3 }, CPUExecutionProvider: { LogSoftmax: 1 } } }] });
    expect(placed.notes.join(' ')).toMatch(/on webgpu \(onnxruntime profiler\): on the CPU provider: LogSoftmax ×1/);
  });

  it('a malformed last line is a clear error', () => {
    expect(() => parseGpuCheck('not json')).toThrow(/expected a JSON report/);
  });
});
