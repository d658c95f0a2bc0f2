import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fit, manualSeed, nn, optimizers, randint, randn } from '@nn/core';

// What users install is dist/, not src/: these run the built ESM and CommonJS outputs of @nn/core and
// @nn/onnx in a plain node process (turbo builds them before `test`).
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const built = ['../dist/index.js', '../dist/index.cjs', '../../core/dist/index.js', '../../core/dist/index.cjs'].every((p) => existsSync(here(p)));

interface Augment { fallbacks: string[]; randoms: number; ort: number; loss: number[] }
interface Chunked { chunks: number; ort: number; loss: number[] }
interface Spin { ort?: number; error?: string }

function run(script: string): { format: string; before: string[]; after: string[]; loss: number[]; sameCore?: boolean; augment: Augment; chunks: { two: Chunked; one: Chunked }; spin: { off: Spin; bad: Spin } } {
  const out = execFileSync(process.execPath, [here(`../test-dist/${script}`)], { cwd: here('..'), encoding: 'utf8', env: { ...process.env, NN_FIT_ENGINE: '' } });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('the built packages: fit({ engine: "ort" }) from require and from import', () => {
  it('dist is built (npm test builds it first; run `npm run build` before running this file alone)', () => {
    expect(built).toBe(true);
  });

  // The same model, seed and data, eagerly on the float64 reference backend (from sources).
  const eager = async () => {
    manualSeed(1);
    const x = randn([64, 8]), y = randint(0, 3, [64]);
    const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(16, 3));
    model.compile({ optimizer: optimizers.Adam({ learningRate: 1e-2 }), loss: 'crossentropy' });
    return (await fit(model, x, y, { epochs: 3, batchSize: 16, verbose: 0, engine: 'eager' })).history.loss!;
  };

  for (const script of ['fit-ort.cjs', 'fit-ort.mjs']) {
    it(`${script}: core loads @nn/onnx in its own module format, the engine registers itself and trains like eager fit`, async () => {
      const r = run(script);
      // Nothing registered before fit: core loaded @nn/onnx by name, which registered 'ort'.
      expect(r.before).toEqual([]);
      expect(r.after).toEqual(['ort']);
      if (r.format === 'cjs') expect(r.sameCore).toBe(true);
      // float32 compiled steps vs float64 eager: 1e-5 relative, as the parity tests (and the same dropout masks).
      const want = await eager();
      r.loss.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, want[i]!)));
      // Keras augmentation layers compile (their plans are per-step random inputs: flip + translation),
      // and nn.CrossEntropyLoss() as the loss is called (input, target): steps 2 and 3 ran in onnxruntime.
      expect(r.augment.fallbacks).toEqual([]);
      expect(r.augment.randoms).toBeGreaterThanOrEqual(2);
      expect(r.augment.ort).toBe(2);
      expect(r.augment.loss.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
      // batchChunks: 2 runs the compiled steps (3 of 4; the first is eager) in 2 row chunks and gives
      // the unchunked graph's losses (float32 summation order only: 1e-5 relative, as chunks.test.ts).
      expect([r.chunks.two.chunks, r.chunks.one.chunks]).toEqual([2, 1]);
      expect([r.chunks.two.ort, r.chunks.one.ort]).toEqual([3, 3]);
      r.chunks.two.loss.forEach((v, i) => expect(Math.abs(v - r.chunks.one.loss[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(r.chunks.one.loss[i]!))));
      // spinWait: false reaches the built session (steps 2 and 3 compiled on 2 threads); 'no' is refused by name.
      expect(r.spin.off).toEqual({ ort: 2 });
      expect(r.spin.bad.error).toMatch(/spinWait: expected true or false, got "no"/);
    });
  }
});
