import { type DType, type Optimizer, type RandomHost, type ScalarHost, type Tensor } from '@nn/core';
import type { LoweringTarget } from '../export/lower-webgpu';
import { TrainStepCompileError } from './errors';
import { buildStepGraph, type StepGraph } from './graph';
import { drawableInGraph, seedFrom, type GraphRandom } from './graph-random';
import { coreOptimizer } from './optim-state';
import { autoChunks, chunksFor } from './chunks';
import { traceStep, type StepContext } from './step-trace';

// Step planning: trace one step, decide what each of its host values is (a random draw fed per
// step, an optimizer scalar fed per step, or a constant), and build the step graph from that plan.

/** A per-step optimizer scalar input: the `seq`-th host scalar of parameter `owner`'s update. */
export interface ScalarSlot {
  readonly owner: Tensor;
  readonly seq: number;
}

/** A planned step: its graph and what to feed its per-step inputs from. */
export interface StepPlan {
  readonly step: StepGraph;
  /** Row chunks the forward and backward run in (1: the whole batch at once). */
  readonly chunks: number;
  /** The random host values, in draw order (an input `random.<i>` each). */
  readonly randoms: readonly RandomHost[];
  /** The per-step optimizer scalars (an input `optim.scalar.<i>` each). */
  readonly scalars: readonly ScalarSlot[];
  /** Parameters the optimizer updates in a step (those with a gradient). */
  readonly gradParams: readonly Tensor[];
}

/** What {@link planStep} needs besides the step context. */
export interface PlanOptions {
  readonly x: { shape: number[]; dtype: DType };
  readonly y: { shape: number[]; dtype: DType };
  /** Keras models' `training` flag. */
  readonly training: boolean;
  readonly opset: number;
  readonly target: LoweringTarget;
  /** 'graph': bernoulli / uniform / normal draws are generated in the graph (see ./graph-random.ts). */
  readonly randomness: 'exact' | 'graph';
  /** Row chunks of the forward and backward (see ./chunks.ts): a count, or 'auto'. */
  readonly batchChunks: number | 'auto';
}

/** `[m, v]` state names of each Adam moment pair (`optim.<i>.expAvg` / `optim.<i>.expAvgSq`). */
function momentPairs(names: readonly string[]): [string, string][] {
  const have = new Set(names);
  return names.flatMap((n) => (/^optim\.\d+\.expAvg$/.test(n) && have.has(`${n}Sq`) ? [[n, `${n}Sq`] as [string, string]] : []));
}

/**
 * Trace the step once and plan its graph. The trace's host values say what changes between steps:
 * random draws (fed per step, drawn from their generators in trace order) and the optimizer's
 * scalars, which its own formulas split into per-step inputs (learning rate, bias corrections) and
 * constants (β, ε …; changing those recompiles, see `hyperKey`).
 */
export function planStep(ctx: StepContext, optimizer: Optimizer, p: PlanOptions): StepPlan {
  const opt = coreOptimizer(optimizer);
  opt.zeroGrad();
  const { x, y } = p;
  const chunks = p.batchChunks === 'auto' ? autoChunks(ctx, x, p.training) : chunksFor(p.batchChunks, x.shape[0]!);
  const c0 = opt.getCounters();
  let a: ReturnType<typeof traceStep>;
  let declared: Map<Tensor, number[]> | undefined;
  try {
    a = traceStep(ctx, x, y, p.training, chunks);
    opt.setCounters(c0);
    declared = opt.hostStep(a.gradParams);
  } finally {
    opt.setCounters(c0);
  }
  // Random numbers drawn from a Generator outside core's random ops are constants of the trace:
  // the graph would repeat them every step. Refuse (the step runs eagerly, with this reason).
  const stray = a.trace.strayDraws?.[0];
  if (stray) {
    throw new TrainStepCompileError(
      `random numbers drawn${stray.scope ? ` in ${stray.scope}` : ''} (${stray.draws} draws from a Generator)`,
      "they are drawn outside core's random ops (rand, randn, bernoulli, randomUniform …), so a compiled step would freeze one draw",
      'Draw with core random ops (they replay per step), or train this model eagerly.',
    );
  }
  const randomIds: number[] = [], randoms: RandomHost[] = [], graphRandoms: GraphRandom[] = [];
  const scalarIds: number[] = [], scalars: ScalarSlot[] = [];
  const perStep = new Map<Tensor, boolean[] | undefined>();
  for (const id of a.trace.hosts ?? []) {
    const v = a.trace.values.get(id)!;
    const h = v.host!;
    if (h.role === 'random') {
      if (p.randomness === 'graph' && drawableInGraph(h)) {
        graphRandoms.push({ id, dist: h.dist, params: h.params, seed: seedFrom(h.generator) });
        continue;
      }
      randomIds.push(id);
      randoms.push(h);
      continue;
    }
    const owner = (h as ScalarHost).owner as Tensor;
    if (!perStep.has(owner)) perStep.set(owner, opt.perStepScalars(owner));
    const flags = perStep.get(owner);
    const value = declared?.get(owner)?.[h.seq];
    if (!flags || value === undefined) {
      throw new TrainStepCompileError(`the optimizer "${opt.name}"`, 'it does not declare the per-step scalars of its update (updateScalars), so a compiled step could not recompute them', 'Use an optimizer from optim.* or optimizers.*, or declare updateScalars in your subclass.');
    }
    if (!Object.is(value, v.data?.[0])) {
      throw new TrainStepCompileError(`the optimizer "${opt.name}"`, `its declared scalar #${h.seq} of ${owner.name ?? 'a parameter'} is ${value}, but its update uploaded ${v.data?.[0]}`);
    }
    if (flags[h.seq]) {
      scalarIds.push(id);
      scalars.push({ owner, seq: h.seq });
    }
  }
  const g = buildStepGraph({
    trace: a.trace, lossId: a.lossId, predId: a.predId, stateNames: new Set(ctx.named.map(([n]) => n)), adamMoments: momentPairs(ctx.named.map(([n]) => n)),
    randomIds, scalarIds, graphRandoms, opset: p.opset, target: p.target,
  });
  return { step: g, chunks, randoms, scalars, gradParams: a.gradParams };
}
