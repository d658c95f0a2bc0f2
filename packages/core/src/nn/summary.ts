/**
 * Model summaries: the Keras table (layer, output shape, parameter count, totals, trainable vs
 * not) for Sequential and functional models, and for any PyTorch-style module — with output
 * shapes when given an input shape (one dummy forward pass in inference mode, like torchinfo).
 */
import type { DType } from '../dtype';
import { noGrad, scope } from '../engine';
import { ValueError } from '../errors';
import * as o from '../ops';
import { Tensor } from '../tensor';
import { Layer } from './layer';
import { classNameOf, type Module } from './module';
import type { SymShape } from './symbolic';

/** One row of a model summary. */
export interface SummaryRow {
  layer: string;
  outputShape: string;
  params: number;
  /** Functional models: where the inputs come from (`dense[0][0]`). */
  connectedTo?: string;
}

/** Options of {@link summary}. */
export interface SummaryOptions {
  /** Receives the table. @default console.log */
  print?: (text: string) => void;
  /**
   * Input shape WITH the batch axis (or one per input), so that output shapes can be shown for
   * PyTorch-style modules and unbuilt Sequential models. A `null` batch runs with 1.
   */
  inputShape?: SymShape | readonly SymShape[];
  /** Dtype of the dummy input (int32 for embedding lookups). @default 'float32' */
  dtype?: DType;
  /** Levels of submodules listed for PyTorch-style modules. @default 3 */
  depth?: number;
}

/** `print` function or options (the models' `summary()` accept both). */
export type SummaryArg = SummaryOptions | ((text: string) => void);

/** @internal Normalise the argument of `summary()`. */
export const summaryOptions = (a?: SummaryArg): SummaryOptions => (typeof a === 'function' ? { print: a } : a ?? {});

/** Keras shape notation: `(None, 10)`. */
export const symStr = (s: SymShape): string => `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')}${s.length === 1 ? ',' : ''})`;

const fmtBytes = (b: number) => (b < 1024 ? `${b} B` : b < 1024 ** 2 ? `${(b / 1024).toFixed(2)} KB` : `${(b / 1024 ** 2).toFixed(2)} MB`);
const count = (n: number) => n.toLocaleString('en-US');

/** @internal Render rows as the Keras table with totals; prints and returns it. */
export function renderSummary(model: Module, rows: SummaryRow[], print: (text: string) => void = console.log, title?: string): string {
  const conn = rows.some((r) => r.connectedTo !== undefined);
  const w = [
    Math.max(28, ...rows.map((r) => r.layer.length + 2)),
    Math.max(22, ...rows.map((r) => r.outputShape.length + 2)),
    Math.max(12, ...rows.map((r) => count(r.params).length + 2)),
    conn ? Math.max(16, ...rows.map((r) => (r.connectedTo ?? '').length + 2)) : 0,
  ];
  const width = w.reduce((a, b) => a + b, 0);
  const row = (a: string, b: string, c: string, d = '') => (a.padEnd(w[0]!) + b.padEnd(w[1]!) + c.padStart(w[2]!) + (conn ? `  ${d}` : '')).trimEnd();
  const all = model.numParameters();
  const trainable = model.parameters().reduce((s, p) => s + p.size, 0);
  const out = [
    title ?? `Model: "${model instanceof Layer ? model.name : classNameOf(model.constructor as never)}"`,
    '━'.repeat(width),
    row('Layer (type)', 'Output Shape', 'Param #', 'Connected to'),
    '━'.repeat(width),
    ...rows.map((r) => row(r.layer, r.outputShape, count(r.params), r.connectedTo ?? '')),
    '━'.repeat(width),
    ` Total params: ${count(all)} (${fmtBytes(all * 4)})`,
    ` Trainable params: ${count(trainable)} (${fmtBytes(trainable * 4)})`,
    ` Non-trainable params: ${count(all - trainable)} (${fmtBytes((all - trainable) * 4)})`,
  ].join('\n');
  print(out);
  return out;
}

/** The class name users know (PyTorch-door classes exported under another name carry `className`). */
export const typeName = (m: Module): string => classNameOf(m.constructor as never);

const torchShape = (v: unknown): string => {
  if (v instanceof Tensor) return `[${v.shape.join(', ')}]`;
  if (Array.isArray(v)) return v.map(torchShape).join(', ');
  if (v && typeof v === 'object') return Object.entries(v).map(([k, t]) => `${k}: ${torchShape(t)}`).join(', ');
  return '-';
};

/**
 * @internal Rows for a PyTorch-style module: every submodule to `depth` levels (indented, in
 * declaration order) with its parameter count (its own and its children's) and, when an input
 * shape is given, the shape of its first output in a dummy forward pass.
 */
export function moduleRows(m: Module, opts: SummaryOptions): SummaryRow[] {
  const depth = opts.depth ?? 3;
  const listed: [Module, string, number][] = [];
  const walk = (mod: Module, d: number) => {
    if (d > depth) return;
    for (const [name, c] of mod.namedChildren()) {
      listed.push([c, name, d]);
      walk(c, d + 1);
    }
  };
  walk(m, 1);
  const shapes = new Map<Module, { shape: string; calls: number }>();
  if (opts.inputShape) {
    const raw = opts.inputShape;
    const multi = raw.length > 0 && Array.isArray(raw[0]);
    const list = (multi ? raw : [raw]) as SymShape[];
    const hooks = listed.map(([c]) => c.registerForwardHook((mod, _in, out) => {
      const prev = shapes.get(mod);
      shapes.set(mod, prev ? { ...prev, calls: prev.calls + 1 } : { shape: torchShape(out), calls: 1 });
    }));
    const modes = [...m.modules()].map((x) => [x, x.training] as const);
    try {
      m.eval();
      noGrad(() => scope(() => {
        const ins = list.map((s) => {
          if (!Array.isArray(s) || s.some((d) => d !== null && !(Number.isInteger(d) && d > 0))) {
            throw new ValueError(`summary: inputShape must be a shape with the batch axis, e.g. [1, 784] (or one per input), got ${JSON.stringify(s)}.`, 'summary');
          }
          return o.zeros(s.map((d) => d ?? 1), opts.dtype ?? 'float32');
        });
        return void (multi ? m(...ins) : m(ins[0]));
      }));
    } finally {
      for (const h of hooks) h.remove();
      for (const [x, t] of modes) x.training = t;
    }
  }
  return listed.map(([c, name, d]) => {
    const s = shapes.get(c);
    return {
      layer: `${'  '.repeat(d - 1)}${name} (${typeName(c)})`,
      outputShape: s ? `${s.shape}${s.calls > 1 ? ` ×${s.calls}` : ''}` : '-',
      params: c.numParameters(),
    };
  });
}
