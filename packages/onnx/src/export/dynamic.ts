import type { TraceResult } from '@nn/core';
import { DynamicBatchError } from '../errors';
import type { DimSpec } from './dims';

/** Attributes that hold shapes or offsets and may legitimately change with the batch size. */
const SHAPE_ATTRS: Record<string, readonly string[]> = {
  reshape: ['shape'],
  fill: ['shape'],
  broadcastTo: ['shape'],
  slice: ['begin', 'size'],
  scatterAdd: ['outShape'],
  // Only the spatial entries of these are used by the lowering; the batch entry may differ.
  conv2dBackpropInput: ['inputShape'],
  avgPoolGrad: ['inputShape'],
};

/** Shape resolution for a graph traced at one or two batch sizes. */
export interface Dims {
  attr(opIndex: number, key: string): DimSpec[];
  value(id: number): DimSpec[];
  /** A scalar constant whose value is `a·B + c` (e.g. the 1/n of a mean over the batch), or undefined. */
  constant(id: number): { a: number; c: number } | undefined;
}

function linear(d1: number, d2: number, b1: number, b2: number, what: () => string): DimSpec {
  if (d1 === d2) return d1;
  const a = (d2 - d1) / (b2 - b1), c = d1 - a * b1;
  if (!Number.isInteger(a) || !Number.isInteger(c)) throw new DynamicBatchError(`${what()} is ${d1} at batch ${b1} and ${d2} at batch ${b2}, not a multiple of the batch size`);
  return { a, c };
}

function spec(xs: readonly number[], ys: readonly number[], b1: number, b2: number, what: () => string): DimSpec[] {
  if (xs.length !== ys.length) throw new DynamicBatchError(`${what()} has rank ${xs.length} at batch ${b1} and ${ys.length} at batch ${b2}`);
  return xs.map((x, i) => linear(x, ys[i]!, b1, b2, () => `${what()} entry ${i}`));
}

/** Static shapes of a single trace. */
export function staticDims(t: TraceResult): Dims {
  return {
    attr: (i, key) => [...(t.ops[i]!.attrs[key] as number[])],
    value: (id) => [...t.values.get(id)!.shape],
    constant: () => undefined,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const dataEqual = (a: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined) => {
  if (!a || !b) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
};

/**
 * Compare two traces of one model at batch sizes `b1` and `b2`: the ops must be the same, with the
 * same inputs and attributes, except shape attributes, which become `a·B + c`. Anything else that
 * differs means the graph's structure depends on the batch size: a {@link DynamicBatchError}.
 */
export function batchDims(t1: TraceResult, t2: TraceResult, b1: number, b2: number): Dims {
  const desc = (i: number) => `op #${i} (${t1.ops[i]!.kernel}${t1.ops[i]!.attrs.op ? `:${String(t1.ops[i]!.attrs.op)}` : ''})`;
  if (t1.ops.length !== t2.ops.length) throw new DynamicBatchError(`${t1.ops.length} kernel calls at batch ${b1} but ${t2.ops.length} at batch ${b2}`);
  if (!same(t1.inputs, t2.inputs) || !same(t1.outputs, t2.outputs)) throw new DynamicBatchError('the inputs or outputs differ');
  t1.ops.forEach((o1, i) => {
    const o2 = t2.ops[i]!;
    if (o1.kernel !== o2.kernel) throw new DynamicBatchError(`${desc(i)} is ${o2.kernel} at batch ${b2}`, o1.kernel);
    if (!same(o1.inputs, o2.inputs) || o1.output !== o2.output) throw new DynamicBatchError(`${desc(i)} reads different values`, o1.kernel);
    const free = SHAPE_ATTRS[o1.kernel] ?? [];
    for (const k of new Set([...Object.keys(o1.attrs), ...Object.keys(o2.attrs)])) {
      if (free.includes(k) || same(o1.attrs[k], o2.attrs[k])) continue;
      throw new DynamicBatchError(`${desc(i)} attribute "${k}" is ${JSON.stringify(o1.attrs[k])} at batch ${b1} and ${JSON.stringify(o2.attrs[k])} at batch ${b2}`, o1.kernel);
    }
  });
  const linearConsts = new Map<number, { a: number; c: number }>();
  for (const [id, v1] of t1.values) {
    const v2 = t2.values.get(id);
    if (!v2 || v2.kind !== v1.kind) throw new DynamicBatchError(`value #${id} differs`);
    if (v1.kind === 'const' && (!same(v1.shape, v2.shape) || !dataEqual(v1.data as ArrayLike<number>, v2.data as ArrayLike<number>))) {
      // A scalar that is linear in the batch size (a count such as n in a mean's gradient) is computed at run time.
      if (v1.data?.length === 1 && same(v1.shape, v2.shape) && v1.dtype !== 'bool') {
        const d1 = Number(v1.data[0]), d2 = Number(v2.data![0]);
        const a = (d2 - d1) / (b2 - b1), c = d1 - a * b1;
        if (Number.isInteger(a) && Number.isInteger(c)) {
          linearConsts.set(id, { a, c });
          continue;
        }
      }
      const user = t1.ops.findIndex((o) => o.inputs.includes(id));
      throw new DynamicBatchError(
        `a constant of shape [${v1.shape.join(', ')}] at batch ${b1} is ${same(v1.shape, v2.shape) ? 'different' : `[${v2.shape.join(', ')}]`} at batch ${b2}${user >= 0 ? `, used by ${desc(user)}` : ''}`,
        user >= 0 ? t1.ops[user]!.kernel : undefined,
      );
    }
  }
  const cacheV = new Map<number, DimSpec[]>();
  return {
    constant: (id) => linearConsts.get(id),
    attr: (i, key) => spec(t1.ops[i]!.attrs[key] as number[], t2.ops[i]!.attrs[key] as number[], b1, b2, () => `${desc(i)} attribute "${key}"`),
    value: (id) => {
      let r = cacheV.get(id);
      if (!r) cacheV.set(id, (r = spec(t1.values.get(id)!.shape, t2.values.get(id)!.shape, b1, b2, () => `the shape of value #${id}`)));
      return r;
    },
  };
}
