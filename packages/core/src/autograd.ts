import { engine, withGrad } from './engine';
import { fmtShape, shapesEqual, type Shape } from './dtype';
import { GradError } from './errors';
import type { GradNode, Tensor } from './tensor';
import * as ops from './ops';

/**
 * Record an op on the tape when any input requires grad. `vjp` returns one gradient per input, in
 * the shape of the op's broadcast output where it is broadcasting: the tape un-broadcasts centrally.
 */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], vjp: GradNode['vjp'], saved: readonly Tensor[] = []): Tensor {
  if (engine.gradEnabled && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, saved, vjp };
  }
  return out;
}

/** Sum a gradient down to `shape` (the inverse of NumPy broadcasting). */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  let r = axes.length ? ops.sum(g, axes, true) : g;
  if (!shapesEqual(r.shape, shape)) r = ops.reshape(r, shape);
  return r;
}

/** Reverse-mode sweep from `root`. */
export function backward(root: Tensor, gradient: Tensor | undefined, retainGraph: boolean): void {
  if (gradient && !shapesEqual(gradient.shape, root.shape)) {
    throw new GradError(`backward(): gradient shape ${fmtShape(gradient.shape)} does not match tensor shape ${fmtShape(root.shape)}.`, 'backward');
  }
  // Topological order by iterative DFS.
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Array<[Tensor, number]> = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const c = inputs[i]!;
      if (c.requiresGrad && !seen.has(c)) {
        seen.add(c);
        stack.push([c, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  withGrad(false, () => {
    const grads = new Map<Tensor, Tensor>();
    grads.set(root, gradient ?? ops.onesLike(root));
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k]!;
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      const node = t.node;
      if (!node) {
        // A leaf: accumulate into .grad (kept across scopes until zeroGrad).
        const acc = t.grad ? ops.add(t.grad, g) : g === gradient ? ops.identity(g, false) : g;
        if (t.grad && t.grad !== acc) t.grad.dispose();
        t.grad = acc;
        acc.keep();
        continue;
      }
      const ins = node.vjp(g);
      for (let j = 0; j < node.inputs.length; j++) {
        const x = node.inputs[j]!;
        let gx = ins[j];
        if (!x.requiresGrad || !gx) continue;
        gx = unbroadcast(gx, x.shape);
        if (gx.dtype !== x.dtype) gx = ops.cast(gx, x.dtype);
        const prev = grads.get(x);
        grads.set(x, prev ? ops.add(prev, gx) : gx);
      }
      if (!retainGraph) t.node = freed(node.op);
    }
  });
}

/** A node whose graph was freed by backward(): using it again is an error, as in PyTorch. */
function freed(op: string): GradNode {
  return {
    op,
    inputs: [],
    saved: [],
    vjp: () => {
      throw new GradError(`backward(): trying to backward through the graph a second time (op ${op}).`, 'backward', 'Pass { retainGraph: true } to the first backward().');
    },
  };
}
