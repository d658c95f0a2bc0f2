/**
 * Saddle points versus local minima. In high dimensions almost every point where the gradient is
 * zero is a saddle, not a local minimum (shown by sampling random Hessians); near a saddle the
 * gradient is tiny and plain SGD crawls (a plateau), while momentum, RMSprop and Adam get away
 * faster. Two 2-D surfaces — the saddle f = x² − y² and a double well with a local and a global
 * minimum — and the path of each optimizer from the same start, plotted with a Vega-Lite spec.
 *
 *   npx tsx src/saddle-points.ts
 */
import { join } from 'node:path';
import { nn, optim, optimizers, tensor, type Tensor, type Parameter } from '@nn/core';
import { savePlot, type VegaLiteSpec } from '@nn/monitor';
import { check, fmt, printTable, randnHost, runIfMain, setup, tempDir, type ExampleOptions } from './common';

interface Surface { name: string; f: (x: Tensor, y: Tensor) => Tensor; host: (x: number, y: number) => number; start: [number, number]; box: [number, number] }

const SURFACES: Surface[] = [
  { name: 'saddle: f = x² − y²', f: (x, y) => x.square().sub(y.square()), host: (x, y) => x * x - y * y, start: [1.5, 1e-3], box: [-2, 2] },
  // Double well in x: a local minimum near x ≈ 0.96 and the global one near x ≈ −1.04.
  { name: 'double well: f = (x² − 1)² + 0.3x + y²', f: (x, y) => x.square().sub(1).square().add(x.mul(0.3)).add(y.square()),
    host: (x, y) => (x * x - 1) ** 2 + 0.3 * x + y * y, start: [1.8, 1.2], box: [-2, 2] },
];

type Step = { step(): void; zeroGrad(): void };
const OPTIMIZERS: [string, (p: Parameter) => Step][] = [
  ['SGD', (p) => new optim.SGD([p], { lr: 0.02 })],
  ['momentum 0.9', (p) => new optim.SGD([p], { lr: 0.02, momentum: 0.9 })],
  ['RMSprop', (p) => new optim.RMSprop([p], { lr: 0.02 })],
  ['Adam (PyTorch door)', (p) => new optim.Adam([p], { lr: 0.05 })],
  ['Adam (Keras door)', (p) => { const k = optimizers.Adam({ learningRate: 0.05 }).bind([p]); return { step: () => k.step(), zeroGrad: () => { p.grad?.dispose(); p.grad = null; } }; }],
];

/** Fraction of random symmetric d×d "Hessians" (GOE) that are positive definite, i.e. minima. */
function fractionMinima(d: number, samples: number, g: () => number): number {
  let pd = 0;
  for (let s = 0; s < samples; s++) {
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) a[i * d + j] = a[j * d + i] = g();
    // Cholesky succeeds iff the matrix is positive definite.
    let ok = true;
    for (let j = 0; j < d && ok; j++) {
      let s2 = a[j * d + j]!;
      for (let k = 0; k < j; k++) s2 -= a[j * d + k]! ** 2;
      if (s2 <= 0) { ok = false; break; }
      const l = Math.sqrt(s2);
      a[j * d + j] = l;
      for (let i = j + 1; i < d; i++) {
        let t = a[i * d + j]!;
        for (let k = 0; k < j; k++) t -= a[i * d + k]! * a[j * d + k]!;
        a[i * d + j] = t / l;
      }
    }
    if (ok) pd++;
  }
  return pd / samples;
}

export async function main(opts: ExampleOptions = {}): Promise<void> {
  await setup();
  const g = randnHost(61);
  printTable([1, 2, 3, 5, 10].map((d) => ({ dimensions: d, 'critical points that are minima (random Hessians)': `${(fractionMinima(d, 20_000, g) * 100).toFixed(2)}%` })));
  console.log('In many dimensions a zero gradient almost always means a saddle point, not a bad local minimum.\n');

  const steps = opts.small ? 80 : 150;
  const paths: { surface: string; optimizer: string; step: number; x: number; y: number }[] = [];
  const rows: Record<string, string | number>[] = [];
  const escape = new Map<string, number>();
  for (const s of SURFACES) {
    for (const [name, make] of OPTIMIZERS) {
      const p = new nn.Parameter(tensor(s.start));
      const opt = make(p);
      let escaped = -1;
      for (let t = 0; t <= steps; t++) {
        const [x, y] = p.dataSync() as Float32Array;
        paths.push({ surface: s.name, optimizer: name, step: t, x: x!, y: y! });
        if (escaped < 0 && Math.abs(y!) > 1) escaped = t;
        if (Math.abs(x!) > 3 || Math.abs(y!) > 3) break; // left the plot (the saddle is unbounded below)
        if (t === steps) break;
        opt.zeroGrad();
        const loss = s.f(p.slice([0], [1]), p.slice([1], [1])).sum();
        loss.backward();
        opt.step();
        loss.dispose();
      }
      const last = paths.at(-1)!;
      if (s === SURFACES[0]) escape.set(name, escaped < 0 ? Infinity : escaped);
      rows.push({ surface: s.name, optimizer: name, end: `(${last.x.toFixed(2)}, ${last.y.toFixed(2)})`, 'f(end)': fmt(s.host(last.x, last.y)),
                  note: s === SURFACES[0] ? (escaped < 0 ? `still on the plateau after ${steps} steps` : `left the saddle (y beyond ±1) at step ${escaped}`)
                    : last.x < 0 ? 'global minimum' : 'local minimum' });
    }
  }
  printTable(rows);
  check(escape.get('Adam (PyTorch door)')! < escape.get('SGD')!, 'Adam escapes the saddle before plain SGD');
  check(escape.get('momentum 0.9')! < escape.get('SGD')!, 'momentum escapes the saddle before plain SGD');

  // The plot: a heat map of each surface (a grid of rects) with the paths on top.
  const grid: { surface: string; x: number; x2: number; y: number; y2: number; f: number }[] = [];
  const cells = 40;
  for (const s of SURFACES) {
    const [lo, hi] = s.box, h = (hi - lo) / cells;
    for (let i = 0; i < cells; i++) for (let j = 0; j < cells; j++) {
      const x = lo + i * h, y = lo + j * h;
      grid.push({ surface: s.name, x, x2: x + h, y, y2: y + h, f: s.host(x + h / 2, y + h / 2) });
    }
  }
  const spec: VegaLiteSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Optimizer paths from the same start',
    hconcat: SURFACES.map((s) => ({
      title: s.name,
      width: 320, height: 320,
      layer: [
        { data: { values: grid.filter((c) => c.surface === s.name) }, mark: { type: 'rect' },
          encoding: { x: { field: 'x', type: 'quantitative', scale: { domain: s.box }, title: 'x' }, x2: { field: 'x2' },
                      y: { field: 'y', type: 'quantitative', scale: { domain: s.box }, title: 'y' }, y2: { field: 'y2' },
                      color: { field: 'f', type: 'quantitative', scale: { scheme: 'greys' }, legend: { title: 'f(x, y)' } } } },
        { data: { values: paths.filter((q) => q.surface === s.name) }, mark: { type: 'line', point: { size: 12 }, clip: true },
          encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, order: { field: 'step', type: 'quantitative' },
                      color: { field: 'optimizer', type: 'nominal', scale: { scheme: 'category10' } } } },
      ],
      resolve: { scale: { color: 'independent' } },
    })),
  } as VegaLiteSpec;
  const dir = await tempDir('saddle');
  await savePlot(spec, join(dir, 'optimizer-paths.svg'));
  await savePlot(spec, join(dir, 'optimizer-paths.png'));
  console.log(`plot: ${join(dir, 'optimizer-paths.png')} (and .svg)`);
}

runIfMain(import.meta.url, main);
