import { scope, trace, withGrad, type DType } from '@nn/core';
import { forward, penalties, type StepContext } from './step-trace';

// Row chunks ("cache blocking"): a step whose forward treats every row on its own may run its
// forward and backward in chunks of rows (the graph holds one copy per chunk; the loss and the
// optimizer see the whole batch). The numbers are the whole batch's, up to the order float32 sums
// the chunks' gradient contributions in. What changes is the working set: a small CNN's batch-256
// activations are megabytes that no cache holds, and onnxruntime's passes over them are bound by
// memory; in 32-row chunks its step measured 16% cheaper on this machine's CPU (bench/cnn-step.ts).

/** The largest per-chunk activation the automatic rule aims for (bytes). */
const CHUNK_BYTES = 1.5 * 2 ** 20;
/**
 * Above this many bytes of trainable parameters, no chunks: every chunk past the first adds a pass
 * over each weight gradient (the chunks' contributions are summed), and a dense layer's
 * weight-gradient product gets a shorter inner dimension. Measured (bench/cnn-step.ts, one thread,
 * Intel Xeon): 784-2048-2048-10 (23 MB of weights, 8 KB of activations per row) ran 10% slower in
 * 2 / 8 chunks than whole at batch 256 / 1024 (144 vs 129, 376 vs 341 ms); 784-1024-1024-10 (7 MB)
 * the same either way; the small CNN (52 KB) 20% faster in 8 chunks at batch 256.
 */
const MAX_PARAM_BYTES = CHUNK_BYTES;
/** No chunk has fewer rows than this: smaller matrix products lose more than the cache gains. */
const MIN_ROWS = 16;
/** The probe trace's batch: a prime, so that no feature size is mistaken for the batch axis. */
const PROBE = 7;
/** Op attributes that name axes: an op that works along the row axis couples rows. */
const AXIS_ATTRS = ['axis', 'axes', 'dim', 'dims', 'axisList'] as const;

/**
 * The forward's largest activation per row (bytes), from a trace of the forward alone at a probe
 * batch; undefined when rows are not independent in it: an op mixes rows (its output loses the row
 * axis, it works along axis 0, it moves axis 0, or it is a product over it), the forward draws random numbers (a chunked step would draw them
 * in another order than eager steps), writes buffers (BatchNorm's batch statistics), or adds
 * penalties (Keras activity regularizers are per batch).
 */
export function rowBytes(ctx: StepContext, x: { shape: readonly number[]; dtype: DType }, training: boolean): number | undefined {
  let pens = 0;
  const t = scope(() =>
    withGrad(true, () =>
      trace(
        (xs) => {
          const pred = forward(ctx.model, xs!, training);
          pens = penalties(ctx.model).length;
          return [pred];
        },
        [{ name: 'x', shape: [PROBE, ...x.shape.slice(1)], dtype: x.dtype }],
        { params: ctx.named, ...(ctx.model.namedModules ? { modules: ctx.model.namedModules() as Iterable<[string, object]> } : {}) },
      ),
    ),
  );
  if (pens > 0 || (t.hosts?.length ?? 0) > 0 || t.assigns.size > 0 || (t.strayDraws?.length ?? 0) > 0) return undefined;
  let most = 0;
  for (const op of t.ops) {
    const out = t.values.get(op.output)!;
    const rowed = op.inputs.map((i) => t.values.get(i)!).filter((v) => v.shape[0] === PROBE);
    if (rowed.length > 0) {
      if (out.shape[0] !== PROBE) return undefined;
      // A transpose that moves the row axis, or a product over it, mixes rows even when another
      // axis happens to have the probe's size.
      const perm = op.attrs.perm;
      if (Array.isArray(perm) && perm[0] !== 0) return undefined;
      if (op.kernel === 'matmul' && op.attrs.transposeA && t.values.get(op.inputs[0]!)!.shape[0] === PROBE) return undefined;
      const rank = rowed[0]!.shape.length;
      for (const k of AXIS_ATTRS) {
        const a = op.attrs[k];
        const axes = typeof a === 'number' ? [a] : Array.isArray(a) ? (a as unknown[]).filter((v): v is number => typeof v === 'number') : [];
        if (axes.some((ax) => ax === 0 || ax === -rank)) return undefined;
      }
    }
    if (out.shape[0] === PROBE) most = Math.max(most, (out.shape.reduce((p, d) => p * d, 1) / PROBE) * 4);
  }
  return most;
}

/**
 * How many row chunks `'auto'` runs a batch in: the fewest whose rows divide the batch, keep the
 * largest activation near {@link CHUNK_BYTES} and are at least {@link MIN_ROWS}; 1 when the rows are
 * not independent (see {@link rowBytes}), the whole batch is small enough, or the model's trainable
 * parameters exceed {@link MAX_PARAM_BYTES}.
 */
export function autoChunks(ctx: StepContext, x: { shape: readonly number[]; dtype: DType }, training: boolean): number {
  const batch = x.shape[0]!;
  if (batch < 2 * MIN_ROWS) return 1;
  let paramBytes = 0;
  for (const [, p] of ctx.model.namedParameters()) if (p.requiresGrad) paramBytes += p.shape.reduce((a, d) => a * d, 1) * 4;
  if (paramBytes > MAX_PARAM_BYTES) return 1;
  let perRow: number | undefined;
  try {
    perRow = rowBytes(ctx, x, training);
  } catch {
    return 1; // the probe batch does not trace (a model fixed to one batch size): no chunks
  }
  if (!perRow) return 1;
  const target = Math.max(MIN_ROWS, Math.floor(CHUNK_BYTES / perRow));
  if (target >= batch) return 1;
  for (let c = 2; batch / c >= MIN_ROWS; c++) if (batch % c === 0 && batch / c <= target) return c;
  return 1;
}

/** A chunk count the user gave, for one batch size: itself when it divides the batch, else 1. */
export function chunksFor(n: number, batch: number): number {
  return batch % n === 0 ? n : 1;
}
