import type { IrGraph } from './ir';

/** A dimension: a fixed size, or `a·B + c` for the batch size B. */
export type DimSpec = number | { readonly a: number; readonly c: number };

export const isStatic = (d: DimSpec): d is number => typeof d === 'number';

/** Evaluate a dimension at a concrete batch size. */
export const dimAt = (d: DimSpec, batch: number): number => (typeof d === 'number' ? d : d.a * batch + d.c);

/** `x + y` of two dimensions. */
export function dimAdd(x: DimSpec, y: DimSpec): DimSpec {
  if (isStatic(x) && isStatic(y)) return x + y;
  const ax = isStatic(x) ? 0 : x.a, cx = isStatic(x) ? x : x.c;
  const ay = isStatic(y) ? 0 : y.a, cy = isStatic(y) ? y : y.c;
  return ax + ay === 0 ? cx + cy : { a: ax + ay, c: cx + cy };
}

export const dimEq = (x: DimSpec, y: DimSpec): boolean =>
  isStatic(x) || isStatic(y) ? x === y : x.a === y.a && x.c === y.c;

/**
 * A 1-D int64 tensor holding `dims`: a constant when all are fixed, otherwise a Concat of constant
 * runs and `a·B + c` computed from the runtime batch size.
 */
export function shapeTensor(g: IrGraph, dims: readonly DimSpec[], batch: () => string): string {
  if (dims.every(isStatic)) return g.i64(dims as number[]);
  const parts: string[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length) parts.push(g.i64(run));
    run = [];
  };
  for (const d of dims) {
    if (isStatic(d)) {
      run.push(d);
      continue;
    }
    flush();
    let t = batch();
    if (d.a !== 1) t = g.add1('Mul', [t, g.i64([d.a])]);
    if (d.c !== 0) t = g.add1('Add', [t, g.i64([d.c])]);
    parts.push(t);
  }
  flush();
  return parts.length === 1 ? parts[0]! : g.add1('Concat', parts, { axis: { kind: 'int', v: 0 } });
}
