import type { TraceResult, TraceValue } from '@nn/core';
import { buildGraph, type GraphInput } from '../export/build';
import { staticDims } from '../export/dynamic';
import { serializeModel } from '../export/serialize';
import { lowerForTarget, type LoweringTarget } from '../export/lower-webgpu';
import { simplify } from '../export/simplify';
import { VERSION } from '../version';
import { scaleAdamMoments, type StateScales } from './adam-scale';
import { TrainStepCompileError } from './errors';
import { generateInGraph, type GraphRandom } from './graph-random';

/** Where each graph input's value comes from at run time. */
export type InputSlot =
  | { readonly kind: 'x' | 'y'; readonly name: string }
  | { readonly kind: 'state'; readonly name: string; readonly shape: readonly number[]; readonly dtype: string }
  | { readonly kind: 'random'; readonly name: string; readonly index: number; readonly shape: readonly number[]; readonly dtype: string }
  | { readonly kind: 'scalar'; readonly name: string; readonly index: number; readonly shape: readonly number[]; readonly dtype: string };

/** What each graph output is. */
export type OutputSlot = { readonly kind: 'loss' | 'pred'; readonly name: string } | { readonly kind: 'state'; readonly name: string; readonly state: string; readonly dtype: string; readonly shape: readonly number[] };

/** A compiled step graph: the ONNX bytes and the meaning of its inputs and outputs. */
export interface StepGraph {
  readonly bytes: Uint8Array;
  readonly inputs: readonly InputSlot[];
  readonly outputs: readonly OutputSlot[];
  readonly nodeCount: number;
  /** State inputs the graph carries scaled (true value = scale · stored value; see ./adam-scale.ts). */
  readonly scales: StateScales;
  /** Random values the graph generates itself (randomness 'graph', see ./graph-random.ts). */
  readonly inGraphRandoms: number;
}

/** What {@link buildStepGraph} turns into graph inputs. */
export interface StepGraphSpec {
  readonly trace: TraceResult;
  /** The loss value; absent for an inference graph (its only output is the predictions). */
  readonly lossId?: number;
  readonly predId: number;
  /** Names of externals that are graph inputs (parameters, buffers, optimizer state). */
  readonly stateNames: ReadonlySet<string>;
  /** Host values drawn per step (dropout masks, noise …), in draw order. */
  readonly randomIds: readonly number[];
  /** Host values fed per step (the optimizer's per-step scalars); every other host value is compiled in as a constant. */
  readonly scalarIds: readonly number[];
  /** Host random values generated inside the graph instead of fed (randomness 'graph'). @default none */
  readonly graphRandoms?: readonly GraphRandom[];
  readonly opset?: number;
  /** State inputs `[m, v]` of Adam moment pairs to carry scaled when their update has core's form. */
  readonly adamMoments?: ReadonlyArray<readonly [string, string]>;
  /** Write the graph for this execution provider (`'webgpu'`: no LogSoftmax, see ../export/lower-webgpu.ts). @default 'default' */
  readonly target?: LoweringTarget;
}

const asInput = (v: TraceValue, name: string): TraceValue => ({ ...v, kind: 'input', name });

/**
 * Turn a traced training step into one ONNX graph: the batch, every parameter / buffer / optimizer
 * buffer, each dropout mask and each per-step optimizer scalar are inputs; the loss, the predictions
 * and the new value of every tensor updated in place are outputs. Reuses the exporter's lowering.
 */
export function buildStepGraph(spec: StepGraphSpec): StepGraph {
  const t = spec.trace;
  const opset = spec.opset ?? 17;
  const values = new Map(t.values);
  const ids: number[] = [...t.inputs];
  const gin: GraphInput[] = [];
  const slots: InputSlot[] = [];
  t.inputs.forEach((id, i) => {
    const v = t.values.get(id)!;
    const name = i === 0 ? 'batch.x' : 'batch.y';
    gin.push({ name, dtype: v.dtype as GraphInput['dtype'], shape: [...v.shape] });
    slots.push({ kind: i === 0 ? 'x' : 'y', name });
  });
  const stateId = new Map<string, number>();
  for (const v of t.values.values()) {
    if (v.kind !== 'external' || !v.name || !spec.stateNames.has(v.name)) continue;
    stateId.set(v.name, v.id);
    values.set(v.id, asInput(v, v.name));
    ids.push(v.id);
    gin.push({ name: v.name, dtype: v.dtype as GraphInput['dtype'], shape: [...v.shape] });
    slots.push({ kind: 'state', name: v.name, shape: [...v.shape], dtype: v.dtype });
  }
  spec.randomIds.forEach((id, index) => {
    const v = t.values.get(id)!, name = `random.${index}`;
    values.set(id, asInput(v, name));
    ids.push(id);
    gin.push({ name, dtype: v.dtype as GraphInput['dtype'], shape: [...v.shape] });
    slots.push({ kind: 'random', name, index, shape: [...v.shape], dtype: v.dtype });
  });
  spec.scalarIds.forEach((id, index) => {
    const v = t.values.get(id)!, name = `optim.scalar.${index}`;
    values.set(id, asInput(v, name));
    ids.push(id);
    gin.push({ name, dtype: v.dtype as GraphInput['dtype'], shape: [...v.shape] });
    slots.push({ kind: 'scalar', name, index, shape: [...v.shape], dtype: v.dtype });
  });
  // Generated in the graph: an input while lowering, replaced by its generator nodes afterwards.
  const generated = (spec.graphRandoms ?? []).map((r, index) => {
    const v = t.values.get(r.id)!, name = `random.graph.${index}`;
    values.set(r.id, asInput(v, name));
    ids.push(r.id);
    gin.push({ name, dtype: v.dtype as GraphInput['dtype'], shape: [...v.shape] });
    return { r, name, shape: [...v.shape] };
  });
  // Every other host value is a constant of this graph (a scalar that depends only on fixed hyperparameters).
  const fed = new Set([...spec.randomIds, ...spec.scalarIds, ...generated.map((x) => x.r.id)]);
  for (const id of t.hosts ?? []) {
    if (fed.has(id)) continue;
    const v = t.values.get(id)!;
    if (!v.data) throw new TrainStepCompileError(`a ${v.host?.role ?? 'host'} value${v.scope ? ` in ${v.scope}` : ''}`, 'it has no value to compile in and is not fed per step');
    values.set(id, { ...v, kind: 'const', data: v.dtype === 'int32' ? Int32Array.from(v.data) : Float32Array.from(v.data) });
  }

  const outIds = spec.lossId === undefined ? [spec.predId] : [spec.lossId, spec.predId];
  const outNames = spec.lossId === undefined ? ['pred'] : ['loss', 'pred'];
  const outs: OutputSlot[] = [...(spec.lossId === undefined ? [] : [{ kind: 'loss', name: 'loss' } as const]), { kind: 'pred', name: 'pred' }];
  for (const [ext, next] of t.assigns) {
    const v = t.values.get(ext)!;
    if (!v.name || !spec.stateNames.has(v.name)) {
      throw new TrainStepCompileError(
        `an in-place update (assign_) of a ${v.shape.length ? `[${v.shape.join(', ')}]` : 'scalar'} tensor`,
        'it is not a parameter, a buffer or optimizer state, so the compiled step could not carry it between steps',
        'Register the tensor as a buffer (Module.registerBuffer) or a Parameter.',
      );
    }
    outIds.push(next);
    outNames.push(`${v.name}:new`);
    outs.push({ kind: 'state', name: `${v.name}:new`, state: v.name, dtype: v.dtype, shape: [...v.shape] });
  }
  const mod: TraceResult = { values, ops: t.ops, inputs: ids, outputs: outIds, assigns: new Map() };
  // Each op's module (recorded by the trace) names the layer in lowering errors and node names.
  const layers = new Map(t.ops.flatMap((o) => (o.scope ? [[o, o.scope] as const] : [])));
  const target = spec.target ?? 'default';
  let g = buildGraph({ trace: mod, dims: staticDims(mod), opset, inputs: gin, outputNames: outNames, layers, target });
  g = lowerForTarget(simplify(g), target);
  for (const x of generated) generateInGraph(g, x.name, x.r, x.shape);
  const scales = scaleAdamMoments(g, spec.adamMoments ?? []);
  const bytes = serializeModel(g, { opset, producerName: 'nn', producerVersion: VERSION, graphName: 'nn_train_step' });
  return { bytes, inputs: slots, outputs: outs, nodeCount: g.nodes.length, scales, inGraphRandoms: generated.length };
}
