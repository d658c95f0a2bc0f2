import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { manualSeed, nn, noGrad, randn, tensor, type Tensor } from '@nn/core';
import { SafetensorsError } from './errors';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from './safetensors';
import { maxAbs, PYTHON, tmp } from './test-helpers';
import { loadTorchStateDict } from './torch';

const dir = tmp();
const fixture = (f: string) => fileURLToPath(new URL(`../fixtures/${f}`, import.meta.url));
const SCRIPT = fileURLToPath(new URL('../scripts/torch_interchange.py', import.meta.url));
/** Whether /usr/bin/python3 has torch (python3-torch); the live check runs only then. */
const TORCH = spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

describe('safetensors', () => {
  it('round-trips float32, int32 and bool tensors with names, shapes, dtypes and metadata', async () => {
    const file = join(dir, 'rt.safetensors');
    const a = tensor([[1.5, -2], [3, 4.25]]), b = tensor([7, -8, 9], [3], { dtype: 'int32' }), c = tensor([true, false]);
    const s = tensor([3.25], []);
    await saveSafetensors(file, { 'layer.weight': a, 'layer.index': b, mask: c, scalar: s }, { format: 'pt' });
    const back = await loadSafetensors(file);
    expect(Object.keys(back).sort()).toEqual(['layer.index', 'layer.weight', 'mask', 'scalar']);
    expect(back['layer.weight']!.shape).toEqual([2, 2]);
    expect(Array.from(back['layer.weight']!.dataSync())).toEqual([1.5, -2, 3, 4.25]);
    expect(back['layer.index']!.dtype).toBe('int32');
    expect(Array.from(back['layer.index']!.dataSync())).toEqual([7, -8, 9]);
    expect(back.mask!.dtype).toBe('bool');
    expect(back.scalar!.shape).toEqual([]);
    const { metadata } = decodeSafetensors(readFileSync(file));
    expect(metadata).toEqual({ format: 'pt' });
    // The header is padded so that the data starts on an 8-byte boundary.
    const raw = readFileSync(file);
    const n = Number(new DataView(raw.buffer, raw.byteOffset, raw.byteLength).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
  });

  describe('PyTorch interchange (nn.Sequential: Linear, ReLU, Dropout, BatchNorm1d, Linear)', () => {
    // fixtures/torch-seq.* were written once by PyTorch (scripts/torch_interchange.py gen): the
    // state dict of the same torch.nn.Sequential, and its eval output on fixed rows. They check
    // interchange on machines without torch (CI); with torch, the last test loads nn's file in torch.
    const seq = JSON.parse(readFileSync(fixture('torch-seq.json'), 'utf8')) as {
      x: number[][]; y: number[][]; state: Record<string, { dtype: string; shape: number[] }>;
    };
    const makeSeq = () => new nn.Sequential(new nn.Linear(6, 5), new nn.ReLU(), new nn.Dropout(0.2), new nn.BatchNorm1d(5), new nn.Linear(5, 3));
    const evalOut = (m: nn.Sequential, x: number[][]) => {
      m.eval();
      return Array.from(noGrad(() => (m(tensor(x)) as Tensor).dataSync()));
    };

    it("a PyTorch-written state dict loads into the matching nn.Sequential and gives torch's eval outputs", async () => {
      const m = makeSeq();
      const r = await loadTorchStateDict(m, fixture('torch-seq.safetensors'), { ignore: [] });
      expect(r.loaded.sort()).toEqual(Object.keys(seq.state).sort());
      expect(r.missingKeys).toEqual([]);
      // float32 weights on both sides; torch computed in float32, the reference backend in float64.
      expect(maxAbs(evalOut(m, seq.x), seq.y.flat())).toBeLessThan(1e-5);
      expect(m.stateDict()['3.num_batches_tracked']!.dataSync()[0]).toBe(4);
    });

    it('nn writes what PyTorch wrote: the same keys, shapes and float bytes, laid out the same way', async () => {
      const m = makeSeq();
      await loadTorchStateDict(m, fixture('torch-seq.safetensors'), { ignore: [] });
      const file = join(dir, 'nn-seq.safetensors');
      await saveSafetensors(file, m.stateDict(), { format: 'pt' });
      const ours = decodeSafetensors(readFileSync(file)), theirs = decodeSafetensors(readFileSync(fixture('torch-seq.safetensors')));
      // load_state_dict(strict=True) needs exactly torch's keys and shapes.
      expect(Object.keys(ours.tensors).sort()).toEqual(Object.keys(theirs.tensors).sort());
      expect(ours.metadata).toEqual(theirs.metadata);
      for (const [k, t] of Object.entries(theirs.tensors)) {
        const o = ours.tensors[k]!;
        expect(o.shape, k).toEqual(seq.state[k]!.shape);
        expect(t.shape, k).toEqual(seq.state[k]!.shape);
        if (t.dtype === 'F32') {
          expect(o.dtype, k).toBe('F32');
          expect(Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), k).toBe(true);
        } else {
          // PyTorch's BatchNorm counter is int64; nn keeps int32 (load_state_dict copies across integer dtypes).
          expect([k, t.dtype, o.dtype]).toEqual(['3.num_batches_tracked', 'I64', 'I32']);
          expect(Number(o.data[0])).toBe(Number(t.data[0]));
        }
      }
      // The float tensors lie in the same order in the data section (decreasing element size, then name).
      const order = (b: Uint8Array) => {
        const n = Number(Buffer.from(b).readBigUInt64LE(0));
        const h = JSON.parse(Buffer.from(b.subarray(8, 8 + n)).toString('utf8')) as Record<string, { dtype?: string; data_offsets?: number[] }>;
        return Object.entries(h).filter(([, v]) => v.dtype === 'F32').sort((a, c) => a[1].data_offsets![0]! - c[1].data_offsets![0]!).map(([k]) => k);
      };
      expect(order(readFileSync(file))).toEqual(order(readFileSync(fixture('torch-seq.safetensors'))));
    });

    it.skipIf(!TORCH)('PyTorch loads an nn-written file with load_state_dict(strict=True) and computes the same outputs (live, needs torch)', async () => {
      manualSeed(3);
      const m = makeSeq();
      m.train(true);
      noGrad(() => { for (let i = 0; i < 3; i++) m(randn([16, 6]).mul(2).add(0.5)); });
      const x = randn([8, 6]).mul(1.5);
      const want = evalOut(m, x.arraySync() as number[][]);
      const file = join(dir, 'for-torch.safetensors'), xs = join(dir, 'x.json');
      await saveSafetensors(file, m.stateDict(), { format: 'pt' });
      writeFileSync(xs, JSON.stringify(x.arraySync()));
      const out = JSON.parse(execFileSync(PYTHON, [SCRIPT, 'check', file, xs], { encoding: 'utf8' }).trim().split('\n').pop()!) as {
        y: number[][]; missing: string[]; unexpected: string[]; dtypes: Record<string, string>; num_batches_tracked: number;
      };
      expect(out.missing).toEqual([]);
      expect(out.unexpected).toEqual([]);
      expect(out.dtypes['0.weight']).toBe('torch.float32');
      expect(out.num_batches_tracked).toBe(3);
      expect(maxAbs(out.y.flat(), want)).toBeLessThan(1e-5);
    });
  });

  it('reads I64, F64, F16, BF16 and U8 (as int32 / float32)', () => {
    const bytes = encodeSafetensors({
      i: { dtype: 'I64', shape: [2], data: BigInt64Array.from([5n, -6n]) },
      d: { dtype: 'F64', shape: [1], data: Float64Array.of(0.25) },
      h: { dtype: 'F16', shape: [2], data: Uint16Array.of(0x3c00, 0xc000) },     // 1, -2
      bf: { dtype: 'BF16', shape: [1], data: Uint16Array.of(0x3fc0) },         // 1.5
      u: { dtype: 'U8', shape: [1], data: Uint8Array.of(200) },
    });
    const file = join(dir, 'many.safetensors');
    writeFileSync(file, bytes);
    return loadSafetensors(file).then((t) => {
      expect(Array.from(t.i!.dataSync())).toEqual([5, -6]);
      expect(Array.from(t.d!.dataSync())).toEqual([0.25]);
      expect(Array.from(t.h!.dataSync())).toEqual([1, -2]);
      expect(Array.from(t.bf!.dataSync())).toEqual([1.5]);
      expect(t.u!.dtype).toBe('int32');
    });
  });

  it('malformed files are SafetensorsErrors naming what is wrong', () => {
    const good = encodeSafetensors({ a: { dtype: 'F32', shape: [2, 2], data: new Float32Array(4) }, b: { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
    const bad = (bytes: Uint8Array) => {
      try {
        decodeSafetensors(bytes, 'x.safetensors');
      } catch (e) {
        expect(e).toBeInstanceOf(SafetensorsError);
        return (e as Error).message;
      }
      throw new Error('expected a SafetensorsError');
    };
    expect(bad(good.subarray(0, 4))).toMatch(/too short/);
    expect(bad(good.subarray(0, good.length - 3))).toMatch(/tensor "(a|b)".*truncated|trailing/);
    const header = (h: object) => {
      const j = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + j.length + 16);
      new DataView(out.buffer).setBigUint64(0, BigInt(j.length), true);
      out.set(j, 8);
      return out;
    };
    expect(bad(header({ a: { dtype: 'Q9', shape: [1], data_offsets: [0, 4] } }))).toMatch(/tensor "a": unsupported dtype Q9/);
    expect(bad(header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }))).toMatch(/needs 8/);
    expect(bad(header({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }))).toMatch(/hole of 4 bytes/);
    const notJson = header({});
    notJson[8] = 0x7b + 1;
    expect(bad(notJson)).toMatch(/JSON header does not parse/);
  });
});
