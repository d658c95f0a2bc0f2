// exportOnnx (and saveSafetensors) write through a temporary file and a rename: a failure at any
// point leaves an existing file at the target path whole, and no temporary file behind.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getBackend, linear, manualSeed, randn, tensor, Tensor } from '@nn/core';
import { UnsupportedOpError } from '../errors';
import { saveSafetensors } from '../safetensors';
import { InferenceSession } from '../serve/session';
import { tmp } from '../test-helpers';
import { exportOnnx } from './export';

// Failures injected into the file system calls the atomic writer makes.
const inject = vi.hoisted(() => ({ write: false, rename: false, writes: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const err = (code: string, msg: string) => Object.assign(new Error(`${code}: ${msg}`), { code });
  return {
    ...real,
    writeFile: async (...args: Parameters<typeof real.writeFile>) => {
      inject.writes.push(String(args[0]));
      if (inject.write) {
        // Half the bytes reach the disk, then the device is full.
        await real.writeFile(args[0], (args[1] as Uint8Array).subarray(0, Math.floor((args[1] as Uint8Array).length / 2)));
        throw err('ENOSPC', 'no space left on device, write');
      }
      return real.writeFile(...args);
    },
    rename: async (...args: Parameters<typeof real.rename>) => {
      if (inject.rename) throw err('EXDEV', 'cross-device link not permitted, rename');
      return real.rename(...args);
    },
  };
});

manualSeed(21);
const w = randn([4, 6]), b = randn([4]);
const model = (x: Tensor) => linear(x, w, true).add(b).tanh();
const opts = { inputs: { x: [null, 6] }, params: [['fc.weight', w], ['fc.bias', b]] as [string, Tensor][] };

/** A directory holding a good model.onnx from a first export; returns it, the path and its bytes. */
async function withExisting() {
  const dir = tmp();
  const file = join(dir, 'model.onnx');
  const bytes = await exportOnnx(model, file, opts);
  inject.writes.length = 0;
  return { dir, file, before: Buffer.from(bytes) };
}
const errorOf = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

describe('atomic writes', () => {
  afterEach(() => {
    inject.write = false;
    inject.rename = false;
    inject.writes.length = 0;
  });

  it('a successful export replaces the file with the whole new model and leaves no temporary file', async () => {
    const { dir, file, before } = await withExisting();
    const other = (x: Tensor) => linear(x, w, true).add(b).relu();
    const bytes = await exportOnnx(other, file, opts);
    expect(readdirSync(dir)).toEqual(['model.onnx']);
    const now = readFileSync(file);
    expect(now.equals(Buffer.from(bytes))).toBe(true);
    expect(now.equals(before)).toBe(false);
    // Written to a temporary name in the same directory, then renamed.
    expect(inject.writes).toHaveLength(1);
    expect(inject.writes[0]).toMatch(/model\.onnx\.\d+\.[0-9a-f]+\.tmp$/);
    const s = await InferenceSession.create(file, { device: 'cpu' });
    expect((await s.run({ x: randn([3, 6]) })).output!.dims).toEqual([3, 4]);
  });

  it('a write that fails midway (disk full) leaves the old file whole and removes the partial temporary file', async () => {
    const { dir, file, before } = await withExisting();
    inject.write = true;
    const e = await errorOf(exportOnnx((x: Tensor) => model(x).mul(2), file, opts));
    expect(e?.message).toMatch(/ENOSPC/);
    expect(inject.writes).toHaveLength(1);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['model.onnx']);
    // The old file still loads and runs.
    await InferenceSession.create(file, { device: 'cpu' });
  });

  it('a failed rename leaves the old file whole and removes the temporary file', async () => {
    const { dir, file, before } = await withExisting();
    inject.rename = true;
    const e = await errorOf(exportOnnx((x: Tensor) => model(x).mul(2), file, opts));
    expect(e?.message).toMatch(/EXDEV/);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['model.onnx']);
  });

  it('an export that fails while tracing writes nothing', async () => {
    const { dir, file, before } = await withExisting();
    const broken = (x: Tensor) => {
      const h = model(x);
      throw new Error(`forward failed after an op (h: [${h.shape.join(', ')}])`);
    };
    expect((await errorOf(exportOnnx(broken, file, opts)))?.message).toMatch(/forward failed/);
    // A kernel with no lowering at the requested opset (scatterAdd needs opset ≥ 16).
    const scatter = (x: Tensor) => new Tensor(getBackend().scatterAdd(x.ref('t'), tensor(Array.from({ length: x.shape[0]! }, (_, i) => i % 4), [x.shape[0]!], { dtype: 'int32' }).ref('t'), 0, [4, 6]), [4, 6], 'float32');
    expect(await errorOf(exportOnnx(scatter, file, { inputs: { x: [5, 6] }, opset: 15 }))).toBeInstanceOf(UnsupportedOpError);
    expect(inject.writes).toEqual([]);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['model.onnx']);
  });

  it('saveSafetensors is atomic too', async () => {
    const dir = tmp();
    const file = join(dir, 'w.safetensors');
    writeFileSync(file, 'old contents');
    inject.write = true;
    expect((await errorOf(saveSafetensors(file, { w })))?.message).toMatch(/ENOSPC/);
    expect(readFileSync(file, 'utf8')).toBe('old contents');
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
  });
});
