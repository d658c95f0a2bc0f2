// Test helpers (not exported): fixed parameters and gradient sequences with values exact in float32.
import { tensor } from '../ops';
import { hostTensor } from './host';
import type { Tensor } from '../tensor';

/** Initial weights (dyadic: exact in float32, so the float64 reference starts from exactly these). */
export const W0 = [1, -0.5, 0.25, 2];
/** Gradients fed at steps 1, 2, 3, 4 (dyadic too). */
export const GRADS = [
  [0.5, -1.25, 2, 0],
  [0.25, 0.75, -0.5, 1.5],
  [-1, 0.125, 0.375, -2],
  [0.625, -0.25, 1, 0.5],
];

/** A fresh parameter tensor holding {@link W0} (or `values`, at full float64 precision on the reference backend). */
export function param(values: number[] = W0): Tensor {
  return hostTensor(values, [values.length]).requiresGrad_().keep();
}

/** Set `p.grad` (disposing the previous one). */
export function setGrad(p: Tensor, g: number[]): void {
  p.grad?.dispose();
  p.grad = tensor(g, [g.length]).keep();
}

/** Run `steps` updates with {@link GRADS}, returning the weights after each step. */
export function run(opt: { step(): unknown }, p: Tensor, steps = 4): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    setGrad(p, GRADS[t]!);
    opt.step();
    out.push(Array.from(p.dataSync()));
  }
  return out;
}

/** Run the JS reference `f(w, g, t)` (elementwise, mutating closures for state) the same way. */
export function reference(update: (w: number, g: number, i: number, t: number) => number, steps = 4): number[][] {
  const w = [...W0];
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    for (let i = 0; i < w.length; i++) w[i] = update(w[i]!, GRADS[t - 1]![i]!, i, t);
    out.push([...w]);
  }
  return out;
}

/** Largest relative error |a − b| / max(|b|, 1e-300) over nested arrays. */
export function maxRelErr(a: number[][], b: number[][]): number {
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => {
    const r = b[i]![j]!;
    m = Math.max(m, Math.abs(v - r) / Math.max(Math.abs(r), 1e-300));
  }));
  return m;
}
