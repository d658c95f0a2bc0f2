import type { IrGraph, IrNode } from './ir';

// Helpers shared by the peephole passes.

export interface Index {
  producer: Map<string, IrNode>;
  consumers: Map<string, IrNode[]>;
  outputs: Set<string>;
}

export function index(g: IrGraph): Index {
  const producer = new Map<string, IrNode>(), consumers = new Map<string, IrNode[]>();
  for (const n of g.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) {
      if (!i) continue;
      const l = consumers.get(i);
      if (l) l.push(n);
      else consumers.set(i, [n]);
    }
  }
  return { producer, consumers, outputs: new Set(g.outputs.map((o) => o.name)) };
}

/** Make every reader of `from` read `to` instead (unless `from` is a graph output). */
export function replaceUses(g: IrGraph, ix: Index, from: string, to: string): boolean {
  if (ix.outputs.has(from)) return false;
  for (const n of ix.consumers.get(from) ?? []) n.inputs = n.inputs.map((s) => (s === from ? to : s));
  return true;
}

export const intsOf = (n: IrNode, k: string): number[] | undefined => {
  const a = n.attrs[k];
  return a && a.kind === 'ints' ? [...a.v] : undefined;
};

export function constValues(g: IrGraph, name: string): number[] | undefined {
  const i = g.inits.get(name);
  return i ? Array.from(i.data as ArrayLike<number | bigint>, Number) : undefined;
}

/** Is `name` a constant whose every element equals `v` (a scalar or a broadcastable filled constant)? */
export function isConstFilled(g: IrGraph, name: string, v: number): boolean {
  const vals = constValues(g, name);
  return !!vals && vals.length > 0 && vals.every((x) => x === v);
}

/** A value's static shape: from the trace, or a graph input's numeric dims. */
export function shapeOf(g: IrGraph, name: string): readonly number[] | undefined {
  const s = g.shapes.get(name);
  if (s) return s;
  const d = g.inputs.find((i) => i.name === name)?.dims;
  return d && d.every((x) => typeof x === 'number') ? (d as number[]) : undefined;
}

/** The rank of a value, from the trace shapes or the graph inputs. */
export function rankOf(g: IrGraph, name: string): number | undefined {
  return g.shapes.get(name)?.length ?? g.inputs.find((i) => i.name === name)?.dims.length;
}

/** The single consumer of `name`, or undefined when it has none or several (or is a graph output). */
export function soleConsumer(ix: Index, name: string): IrNode | undefined {
  const c = ix.consumers.get(name);
  return c && c.length === 1 && !ix.outputs.has(name) ? c[0] : undefined;
}
