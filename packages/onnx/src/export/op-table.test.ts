import { describe, expect, it } from 'vitest';
import { Generator, tensor, withGrad, type Tensor } from '@nn/core';
import { opSpecs, runSpec, sampleValues } from '@nn/core/testing';
import { onnxCheck, maxAbs, tmp } from '../test-helpers';
import { InferenceSession } from '../serve/session';
import { toOnnxBytes } from './export';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Core's op-spec table (every op and kernel, with sample inputs): each row's forward AND its
// backward (the VJP with a fixed upstream gradient) exported as one graph, run in onnxruntime and
// compared with the float64 reference run on the same float32-rounded inputs. Tolerance: float32
// arithmetic on O(1) values through a few chained kernels: 2e-5 relative to max(1, |value|),
// plus the row's own f32Tol for long reductions.
const dir = tmp();

describe("core's op table round-trips through ONNX (forward and backward)", () => {
  const files: string[] = [];
  for (const spec of opSpecs) {
    it(spec.name, async () => {
      const g = new Generator(1);
      const specs = spec.inputs(g);
      const values = specs.map((s) => sampleValues(s, g));
      const ref = runSpec(spec, values, specs, 101, true);
      const dtypes = specs.map((s) => s.dtype ?? (s.fill === 'int' ? 'int32' : 'float32'));
      const gyGen = new Generator(101);
      const gy = Float32Array.from(new Float64Array(ref.out.length).map(() => gyGen.normal()));
      const fn = (...xs: Tensor[]) =>
        withGrad(true, () => {
          xs.forEach((x, i) => { if (dtypes[i] === 'float32' && specs[i]!.grad !== false) x.requiresGrad_(true); });
          const y = spec.run(...xs);
          if (spec.differentiable === false || !y.requiresGrad) return [y];
          y.backward(tensor(gy, y.shape));
          return [y, ...xs.filter((x) => x.grad).map((x) => x.grad!)];
        });
      const bytes = toOnnxBytes(fn, { inputs: specs.map((s, i) => ({ name: `in${i}`, shape: s.shape, dtype: dtypes[i]! })), training: true });
      const file = join(dir, `${spec.name.replace(/[^\w-]/g, '_')}.onnx`);
      writeFileSync(file, bytes);
      files.push(file);
      const session = await InferenceSession.create(bytes, { device: 'cpu', threads: 1 });
      const feeds = Object.fromEntries(values.map((v, i) => [`in${i}`, { data: v instanceof Int32Array ? v : Float32Array.from(v), dims: [...specs[i]!.shape] }]));
      const out = await session.run(feeds);
      const want = [ref.out, ...ref.grads.filter((x): x is Float64Array => x !== null)];
      expect(session.outputNames.length).toBe(want.length);
      session.outputNames.forEach((n, i) => {
        const w = want[i]!;
        const scale = Math.max(1, maxAbs(w, new Float64Array(w.length)));
        expect(maxAbs(w, out[n]!.data), `${spec.name} output ${i}`).toBeLessThanOrEqual(2e-5 * scale + (spec.f32Tol ?? 0));
      });
      await session.release();
    });
  }

  it('every op-table file passes the ONNX checker', () => {
    expect(files.length).toBe(opSpecs.length);
    expect(onnxCheck(files)).toEqual([]);
  });
});
