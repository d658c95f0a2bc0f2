import type { Backend } from '../backend/backend';
import { referenceBackend } from '../backend/reference';
import { sizeOf, fmtShape, type TypedArray } from '../dtype';
import { engine, scope, withGrad } from '../engine';
import * as o from '../ops';
import { Generator } from '../random';
import { Tensor, upload } from '../tensor';
import { opSpecs, type InputSpec, type OpSpec } from './op-specs';

/** Host values for one sample input (Float64 for float32 so the reference keeps full precision). */
export function sampleValues(spec: InputSpec, g: Generator): Float64Array | Int32Array {
  const n = sizeOf(spec.shape);
  if (spec.dtype === 'int32' || spec.fill === 'int') {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = g.int(spec.high ?? 10);
    return a;
  }
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    switch (spec.fill ?? 'normal') {
      case 'positive': a[i] = 0.2 + 1.8 * g.next(); break;
      case 'negative': a[i] = -0.2 - 1.8 * g.next(); break;
      case 'awayFromZero': a[i] = (g.next() < 0.5 ? -1 : 1) * (0.1 + 1.9 * g.next()); break;
      case 'distinct': a[i] = (i - n / 2) * 0.37 + 0.05 * g.next(); break;
      case 'sparse': a[i] = g.next() < 0.35 ? 0 : g.normal(); break;
      default: a[i] = g.normal();
    }
  }
  if (spec.fill === 'distinct') for (let i = n - 1; i > 0; i--) { const j = g.int(i + 1); [a[i], a[j]] = [a[j]!, a[i]!]; }
  return a;
}

function toF32(a: Float64Array | Int32Array): TypedArray {
  return a instanceof Int32Array ? a : Float32Array.from(a);
}

function makeInputs(specs: InputSpec[], values: (Float64Array | Int32Array)[], f32: boolean): Tensor[] {
  return specs.map((s, i) => {
    const dtype = s.dtype ?? (s.fill === 'int' ? 'int32' : 'float32');
    const v = values[i]!;
    const t = upload(f32 ? toF32(v) : v, s.shape, dtype);
    if (dtype === 'float32' && s.grad !== false) t.requiresGrad = true;
    return t;
  });
}

/** Result of running one op spec on a backend. */
export interface SpecRun {
  out: Float64Array;
  shape: number[];
  grads: (Float64Array | null)[];
}

/** Run a spec's forward and (if differentiable) backward with an upstream gradient `gy`. */
export function runSpec(spec: OpSpec, values: (Float64Array | Int32Array)[], specs: InputSpec[], gySeed: number, f32: boolean): SpecRun {
  return scope(() => {
    const ins = makeInputs(specs, values, f32);
    const y = spec.run(...ins);
    const out = Float64Array.from(y.dataSync());
    const grads: (Float64Array | null)[] = [];
    if (spec.differentiable !== false && y.requiresGrad) {
      const gy = new Generator(gySeed);
      const gv = new Float64Array(y.size).map(() => gy.normal());
      y.backward(upload(f32 ? Float32Array.from(gv) : gv, y.shape, 'float32'));
      for (const t of ins) grads.push(t.grad ? Float64Array.from(t.grad.dataSync()) : null);
      for (const t of ins) { t.grad?.dispose(); t.grad = null; }
    }
    return { out, shape: [...y.shape], grads };
  });
}

/**
 * Finite-difference check of a spec's VJP on the active backend (meant for the float64 reference):
 * compares ⟨gy, ∂f/∂x_i⟩ from autograd with central differences, per element.
 * Returns the worst relative error max|a − n| / max(1, |n|).
 */
export function gradCheck(spec: OpSpec, seed: number, eps = 1e-6): number {
  const g = new Generator(seed);
  const specs = spec.inputs(g);
  const values = specs.map((s) => sampleValues(s, g));
  const base = runSpec(spec, values, specs, seed + 1, false);
  const gy = new Generator(seed + 1);
  const gv = new Float64Array(base.out.length).map(() => gy.normal());
  const f = (vals: (Float64Array | Int32Array)[]) =>
    scope(() => withGrad(false, () => {
      const y = spec.run(...makeInputs(specs, vals, false));
      const d = y.dataSync();
      let s = 0;
      for (let i = 0; i < d.length; i++) s += d[i]! * gv[i]!;
      return s;
    }));
  let worst = 0;
  specs.forEach((s, i) => {
    const v = values[i];
    if (!(v instanceof Float64Array) || s.grad === false) return;
    // An input that got no gradient (an op without a rule, or a cut graph) must really have a zero
    // one: comparing against zeros keeps a forgotten VJP from passing unnoticed.
    const analytic = base.grads[i] ?? new Float64Array(v.length);
    for (let k = 0; k < v.length; k++) {
      const orig = v[k]!;
      v[k] = orig + eps;
      const fp = f(values);
      v[k] = orig - eps;
      const fm = f(values);
      v[k] = orig;
      const num = (fp - fm) / (2 * eps);
      worst = Math.max(worst, Math.abs(analytic[k]! - num) / Math.max(1, Math.abs(num)));
    }
  });
  return worst;
}

/** One conformance finding. */
export interface ConformanceResult {
  name: string;
  /** Worst |backend − reference| / max(1, |reference|) over outputs and gradients. */
  maxError: number;
  tolerance: number;
  problems: string[];
}

/**
 * Run every op spec on `backend` and on the float64 reference with the same float32-rounded inputs,
 * and compare forward values, gradients, output shapes and leaked handles.
 *
 * Tolerance: 1e-5 relative (float32 has a 6e-8 unit roundoff; the ops here sum at most ~100 terms,
 * so accumulated rounding stays well below 1e-5), widened per spec via `f32Tol` for convolutions.
 */
export function runConformance(backend: Backend, seeds: readonly number[] = [1, 2], specs: readonly OpSpec[] = opSpecs): ConformanceResult[] {
  const ref = referenceBackend();
  const results: ConformanceResult[] = [];
  const prev = engine.backend;
  try {
    for (const spec of specs) {
      const problems: string[] = [];
      let maxError = 0;
      const tolerance = Math.max(1e-5, spec.f32Tol ?? 0);
      for (const seed of seeds) {
        const g = new Generator(seed);
        const ispecs = spec.inputs(g);
        const values = ispecs.map((s) => {
          const v = sampleValues(s, g);
          return v instanceof Float64Array ? Float64Array.from(Float32Array.from(v)) : v;
        });
        engine.backend = ref;
        const want = runSpec(spec, values, ispecs, seed + 7, false);
        engine.backend = backend;
        const before = backend.numHandles();
        let got: SpecRun;
        try {
          got = runSpec(spec, values, ispecs, seed + 7, true);
        } catch (e) {
          problems.push(`seed ${seed}: threw ${(e as Error).message}`);
          continue;
        }
        const leaked = backend.numHandles() - before;
        if (leaked !== 0) problems.push(`seed ${seed}: ${leaked} handles leaked`);
        if (fmtShape(got.shape) !== fmtShape(want.shape)) problems.push(`seed ${seed}: shape ${fmtShape(got.shape)} vs reference ${fmtShape(want.shape)}`);
        const cmp = (a: Float64Array, b: Float64Array, what: string) => {
          if (a.length !== b.length) return problems.push(`seed ${seed}: ${what} has ${a.length} values vs ${b.length}`);
          for (let i = 0; i < a.length; i++) {
            const e = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
            if (!(e <= maxError)) maxError = Number.isNaN(e) ? Infinity : Math.max(maxError, e);
          }
          return 0;
        };
        cmp(got.out, want.out, 'output');
        want.grads.forEach((wg, i) => {
          const gg = got.grads[i];
          if (wg && !gg) problems.push(`seed ${seed}: no gradient for input ${i}`);
          else if (wg && gg) cmp(gg, wg, `gradient ${i}`);
        });
      }
      if (maxError > tolerance) problems.push(`max error ${maxError.toExponential(2)} > tolerance ${tolerance}`);
      results.push({ name: spec.name, maxError, tolerance, problems });
    }
  } finally {
    engine.backend = prev;
  }
  return results;
}

export { o as ops };
