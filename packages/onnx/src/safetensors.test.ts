import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tensor } from '@nn/core';
import { SafetensorsError } from './errors';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from './safetensors';
import { PYTHON, tmp } from './test-helpers';

const dir = tmp();

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

  it('writes files PyTorch reads back (parsed in Python with struct/json, values checked there)', async () => {
    const file = join(dir, 'for-torch.safetensors');
    await saveSafetensors(file, { w: tensor([[0.5, 1], [2, 4]]), n: tensor([3, 4], [2], { dtype: 'int32' }) });
    const script = `
import json, struct, sys, torch
b = open(sys.argv[1], 'rb').read()
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
DT = {'F32': torch.float32, 'I32': torch.int32}
out = {}
for k, v in h.items():
    if k == '__metadata__': continue
    s, e = v['data_offsets']
    out[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + e]), dtype=DT[v['dtype']]).reshape(v['shape'])
print(json.dumps({k: [str(t.dtype), list(t.shape), t.double().sum().item()] for k, t in out.items()}, sort_keys=True))`;
    const out = JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })) as Record<string, unknown>;
    expect(out).toEqual({ n: ['torch.int32', [2], 7], w: ['torch.float32', [2, 2], 7.5] });
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
