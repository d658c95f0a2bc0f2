import { describe, expect, it, vi } from 'vitest';
import { sgemmCheck, SGEMM_MIN_GFLOPS } from './fair';
import { blasNote, chosenCore, CORETYPE_CANDIDATES, PEER_BLAS_ENV, PEER_MALLOC_ENV, peerBlas, peerEnv, pickCoretype, torchAvailable } from './python';

describe("the peer's OpenBLAS kernel (pickCoretype)", () => {
  it('takes the fastest candidate (a Xeon session: detection ran 29 GFLOP/s, SkylakeX 140)', () => {
    expect(pickCoretype({ '': 29, SkylakeX: 140, Cooperlake: 138, Haswell: 78 })).toBe('SkylakeX');
  });
  it("keeps OpenBLAS's own detection unless another kernel is at least 5% faster (probe noise)", () => {
    expect(pickCoretype({ '': 95, SkylakeX: 99, Haswell: 60 })).toBe('');
    expect(pickCoretype({ '': 95, SkylakeX: 100, Haswell: 60 })).toBe('SkylakeX');
  });
  it('never picks a candidate that failed, and falls back to detection with nothing measured', () => {
    expect(pickCoretype({ '': 50, Zen: Number.NaN })).toBe('');
    expect(pickCoretype({ '': Number.NaN, Zen: 40 })).toBe('Zen');
    expect(pickCoretype({})).toBe('');
  });
  it('names the choice and every rate in the note', () => {
    expect(blasNote({ coretype: 'SkylakeX', gflops: { '': 29, SkylakeX: 141, Zen: Number.NaN } })).toBe(
      'OPENBLAS_CORETYPE=SkylakeX (the fastest 1-thread 1024³ sgemm, GFLOP/s: detection 29, SkylakeX 141, Zen failed)',
    );
    expect(blasNote({ coretype: '', gflops: {} })).toBe('OPENBLAS_CORETYPE unset (OpenBLAS detection)');
  });
});

describe("the peer's OpenBLAS kernel, checked by name (sgemmCheck's kernel)", () => {
  it('marks a peer on another kernel than the chosen one INVALID, whatever its sgemm rate (the Zen kernel at 95 passed the rate floor)', () => {
    expect(sgemmCheck(95, SGEMM_MIN_GFLOPS).ok).toBe(true);
    expect(sgemmCheck(95, SGEMM_MIN_GFLOPS, undefined, { want: 'Cooperlake', got: 'Zen' })).toEqual({ ok: false, text: 'INVALID: OpenBLAS kernel Zen, not the chosen Cooperlake (sgemm 95.0 GFLOP/s)' });
  });
  it('passes the chosen kernel under load (117 GFLOP per CPU-second was measured in a loaded moment), and names it', () => {
    expect(sgemmCheck(117, SGEMM_MIN_GFLOPS, 55.4, { want: 'Cooperlake', got: 'Cooperlake' })).toEqual({ ok: true, text: '117 GFLOP/s (55.4 per wall-s), Cooperlake' });
  });
  it('falls back to the rate alone when either name is unknown (no probe, or a peer without OpenBLAS)', () => {
    expect(sgemmCheck(95, SGEMM_MIN_GFLOPS, undefined, { want: undefined, got: 'Zen' }).ok).toBe(true);
    expect(sgemmCheck(7.7, SGEMM_MIN_GFLOPS, undefined, { want: 'Cooperlake', got: null })).toEqual({ ok: false, text: 'INVALID: sgemm 7.70 GFLOP/s < 50' });
  });
  it('reads the chosen kernel from the probe (chosenCore)', () => {
    expect(chosenCore({ coretype: '', gflops: { '': 190 }, cores: { '': 'Cooperlake', Zen: 'Zen' } })).toBe('Cooperlake');
    expect(chosenCore({ coretype: 'Zen', gflops: { Zen: 100 }, cores: { '': 'Cooperlake', Zen: 'Zen' } })).toBe('Zen');
    expect(chosenCore({ coretype: '', gflops: {} })).toBeUndefined();
  });
});

describe('peerBlas / peerEnv (live: needs /usr/bin/python3 with torch)', () => {
  const torch = torchAvailable();
  it.runIf(torch.ok)('probes every candidate and runs the peer on the fastest', () => {
    const c = peerBlas();
    expect(Object.keys(c.gflops)).toEqual([...CORETYPE_CANDIDATES]);
    // A working OpenBLAS kernel: far above the reference BLAS's ~8 GFLOP/s on any candidate that ran.
    expect(Math.max(...Object.values(c.gflops).filter(Number.isFinite))).toBeGreaterThan(20);
    expect(c.coretype).toBe(pickCoretype(c.gflops));
    // OpenBLAS names its kernel under each setting; a forced one is itself (CORETYPE=Zen runs Zen).
    expect(chosenCore(c)).toMatch(/^[A-Za-z0-9]+$/);
    if (c.cores?.Zen) expect(c.cores.Zen).toBe('Zen');
    expect(peerEnv().OPENBLAS_CORETYPE).toBe(c.coretype || undefined);
    expect(peerEnv().OMP_WAIT_POLICY).toBe('PASSIVE');
    // glibc malloc kept from unmapping PyTorch's per-step temporaries (unless the caller set it).
    for (const [k, v] of Object.entries(PEER_MALLOC_ENV)) expect(peerEnv()[k]).toBe(process.env[k] ?? v);
  }, 120_000);

  it('takes a choice handed down in NN_BENCH_PEER_BLAS (src/run.ts probes once per bench run), and names the variable when it is not one', async () => {
    const choice = { coretype: 'Zen', gflops: { '': 10, Zen: 99 } };
    // A fresh copy of the module (nothing probed or handed down yet) reads the variable on its first call.
    vi.resetModules();
    const m = await import('./python');
    process.env[PEER_BLAS_ENV] = JSON.stringify(choice);
    try {
      expect(m.peerBlas()).toEqual(choice);
      expect(m.peerEnv().OPENBLAS_CORETYPE).toBe('Zen');
    } finally {
      delete process.env[PEER_BLAS_ENV];
    }
    vi.resetModules();
    const bad = await import('./python');
    process.env[PEER_BLAS_ENV] = '{"x": 1}';
    try {
      expect(() => bad.peerBlas()).toThrow(/NN_BENCH_PEER_BLAS: expected/);
    } finally {
      delete process.env[PEER_BLAS_ENV];
    }
  });
});
