import { describe, expect, it } from 'vitest';
import { tensor } from '../ops';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from './safetensors';

/** A file with the given JSON header and `dataLen` data bytes (values 1, 2, 3 … so misreads show). */
function file(header: unknown, dataLen: number): Uint8Array {
  const j = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + j.length + dataLen);
  new DataView(out.buffer).setBigUint64(0, BigInt(j.length), true);
  out.set(j, 8);
  for (let i = 0; i < dataLen; i++) out[8 + j.length + i] = i + 1;
  return out;
}
/** The SafetensorsError message decoding `bytes` throws (fails the test on any other outcome). */
function error(bytes: Uint8Array): string {
  try {
    decodeSafetensors(bytes, 'w.safetensors');
  } catch (e) {
    expect(e, String(e)).toBeInstanceOf(SafetensorsError);
    return (e as Error).message;
  }
  throw new Error('expected a SafetensorsError, the file was accepted');
}
const f32 = (shape: number[], offs: unknown) => ({ dtype: 'F32', shape, data_offsets: offs });

describe('strict safetensors reader (core, also used by @nn/onnx)', () => {
  it('round-trips what encodeSafetensors writes', () => {
    const bytes = encodeSafetensors({ a: tensor([[1, 2], [3, 4]]), i: tensor(new Int32Array([7, -8]), [2], { dtype: 'int32' }) }, { format: 'pt' });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(Array.from(tensors.a!.dataSync())).toEqual([1, 2, 3, 4]);
    expect([tensors.i!.dtype, ...tensors.i!.dataSync()]).toEqual(['int32', 7, -8]);
    expect(metadata).toEqual({ format: 'pt' });
  });

  it('rejects negative, overlapping, gapped and out-of-range offsets, naming the tensor and the file', () => {
    // [-4, 0] read the last 4 header bytes as a weight before.
    expect(error(file({ w: f32([1], [-4, 0]) }, 0))).toMatch(/^w\.safetensors tensor "w": invalid data_offsets \[-4,0\]/);
    expect(error(file({ a: f32([2], [0, 8]), b: f32([1], [4, 8]) }, 8))).toMatch(/tensor "b": data_offsets overlap/);
    expect(error(file({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, 12))).toMatch(/tensor "b": leaves a hole of 4 bytes/);
    expect(error(file({ a: f32([1], [4, 8]) }, 8))).toMatch(/tensor "a": leaves a hole of 4 bytes/);
    expect(error(file({ a: f32([2], [0, 8]) }, 4))).toMatch(/tensor "a": data_offsets end at 8 but the data section has 4 bytes/);
    expect(error(file({ a: f32([1], [0, 4]) }, 12))).toMatch(/8 trailing bytes/);
    expect(error(file({ a: f32([1], [8, 4]) }, 8))).toMatch(/tensor "a": invalid data_offsets/);
    expect(error(file({ a: f32([1], [0.5, 4.5]) }, 8))).toMatch(/tensor "a": invalid data_offsets/);
  });

  it('rejects null entries, bad shapes, size ≠ shape × dtype, bad metadata and bad header lengths with SafetensorsError', () => {
    expect(error(file({ a: null }, 0))).toMatch(/tensor "a": the entry is null/);
    expect(error(file({ a: 3 }, 0))).toMatch(/tensor "a": the entry is 3/);
    expect(error(file({ a: f32([-1], [0, 4]) }, 4))).toMatch(/tensor "a": invalid shape \[-1\]/);
    expect(error(file({ a: f32([1.5], [0, 4]) }, 4))).toMatch(/tensor "a": invalid shape/);
    expect(error(file({ a: { dtype: 'F32', data_offsets: [0, 4] } }, 4))).toMatch(/tensor "a": invalid shape undefined/);
    expect(error(file({ a: f32([3], [0, 8]) }, 8))).toMatch(/tensor "a": data_offsets \[0, 8\] span 8 bytes but F32 \[3\] needs 12/);
    expect(error(file({ a: { dtype: 'Q9', shape: [1], data_offsets: [0, 4] } }, 4))).toMatch(/tensor "a": unsupported dtype Q9/);
    expect(error(file({ __metadata__: { k: 1 } }, 0))).toMatch(/__metadata__ is not an object of strings/);
    expect(error(file([1, 2], 0))).toMatch(/header is not a JSON object/);
    expect(error(file(null, 0))).toMatch(/header is not a JSON object/);
    const long = file({}, 0);
    new DataView(long.buffer).setBigUint64(0, 2n ** 63n, true);
    expect(error(long)).toMatch(/the header claims \d+ bytes/);
    expect(error(new Uint8Array(5))).toMatch(/too short/);
    const big = file({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, 8);
    new DataView(big.buffer).setBigInt64(big.length - 8, 2n ** 40n, true);
    expect(error(big)).toMatch(/tensor "a": I64 value 1099511627776 at index 0 does not fit in int32/);
  });
});
