import type * as ort from 'onnxruntime-node';
import { noGrad, tensor, type Optimizer, type Tensor } from '@nn/core';
import { openSession } from '../runtime/open-session';
import { restate, sameForm, type StateForm, type StateScales } from './adam-scale';
import { buildReadbackGraph, readbackNames } from './device-state';
import { TrainStepStateError } from './errors';
import { namedState } from './optim-state';
import type { StepContext, StepLoss, TrainableModel } from './step-trace';

/**
 * The training state of a compiled step: weights, buffers and optimizer state as host arrays owned
 * by the engine between steps (some Adam moments stored scaled), their GPU copies on webgpu, and
 * the moves between them and the model's tensors (load, sync, flush, invalidate).
 */
export class TrainState {
  readonly arrays = new Map<string, Float32Array | Int32Array | Uint8Array>();
  tensorsByName = new Map<string, Tensor>();
  /** Each tensor's handle right after {@link sync}: an unchanged handle means nothing was assigned to it since. */
  private synced: Map<string, unknown> | undefined;
  /** How each array is stored when not as is: true value = scale · (stored − offset) (Adam moments, see ./adam-scale.ts). */
  readonly scales = new Map<string, StateForm>();
  /** Where the newest weights are: in the arrays (after ort steps) or in the model's tensors. */
  fresh: 'arrays' | 'tensors' = 'tensors';
  /** webgpu: state tensors that live on the GPU (fed back as inputs), by state name. */
  readonly onDevice = new Map<string, ort.Tensor>();
  /** On the host: the last call's output tensor of each state array, fed back as the next call's input while it still holds that array (no new tensor object per input and call). */
  readonly outputTensors = new Map<string, ort.Tensor>();
  /** The arrays are older than {@link onDevice} (nothing read back since the last call). */
  hostBehind = false;
  /** The read-back session of {@link flush}, by the names it copies. */
  private readback: { key: string; session: ort.InferenceSession } | undefined;
  private ctx: StepContext | undefined;

  constructor(
    private readonly model: TrainableModel,
    private readonly optimizer: Optimizer,
    private readonly loss: StepLoss,
  ) {}

  /** Parameters, buffers and optimizer state by name (rebuilt when state is (re)loaded from the tensors). */
  context(): StepContext {
    const seen = new Set<Tensor>();
    const named: [string, Tensor][] = [];
    const add = (n: string, t: Tensor) => {
      if (seen.has(t)) return;
      seen.add(t);
      named.push([n, t]);
    };
    for (const [n, t] of this.model.namedParameters()) add(n, t);
    for (const [n, t] of this.model.namedBuffers?.() ?? []) add(n, t);
    for (const [n, t] of namedState(this.optimizer)) add(n, t);
    this.tensorsByName = new Map(named);
    this.ctx = { model: this.model, optimizer: this.optimizer, loss: this.loss, named };
    return this.ctx;
  }

  /** The model's tensors may have changed outside the engine: read them again before the next step (see `CompiledTrainStep.invalidate`). */
  invalidate(): void {
    if (this.hostBehind) throw new TrainStepStateError('invalidate', 'the newest weights are still on the GPU and would be lost');
    this.dropDeviceState();
    this.ctx = undefined;
    this.fresh = 'tensors';
  }

  /** State names whose stored scale differs from what a graph wants. */
  needsConversion(want: StateScales): boolean {
    for (const n of new Set([...this.scales.keys(), ...want.keys()])) if (!sameForm(this.scales.get(n), want.get(n))) return true;
    return false;
  }

  /** Forget the GPU copies of the state (after the host arrays or the model's tensors became the newest). */
  dropDeviceState(): void {
    for (const t of this.onDevice.values()) t.dispose();
    this.onDevice.clear();
    this.hostBehind = false;
  }

  /** Read the state the GPU holds back into the host arrays (see `CompiledTrainStep.flush`). */
  async flush(): Promise<void> {
    if (!this.hostBehind) return;
    const names = [...this.onDevice.keys()].sort();
    const key = names.join('|');
    if (this.readback?.key !== key) {
      await this.readback?.session.release();
      const bytes = buildReadbackGraph(names.map((n) => ({ name: n, dtype: this.onDevice.get(n)!.type, shape: [...this.onDevice.get(n)!.dims] })));
      // Outputs at their default location (the host): onnxruntime copies GPU → CPU itself.
      const s = await openSession(bytes, { device: 'webgpu', where: '<state read-back>' });
      this.readback = { key, session: s.session };
    }
    const feeds = Object.fromEntries(names.map((n) => [readbackNames(n).input, this.onDevice.get(n)!]));
    const out = await this.readback.session.run(feeds);
    for (const n of names) this.arrays.set(n, out[readbackNames(n).output]!.data as Float32Array);
    this.hostBehind = false;
  }

  /** Write the host arrays into the model's tensors (see `CompiledTrainStep.sync`). */
  sync(): void {
    if (this.hostBehind) throw new TrainStepStateError('sync', 'the newest weights and optimizer state are on the GPU (device webgpu keeps them there between calls)');
    if (this.fresh !== 'arrays') return;
    noGrad(() => {
      for (const [n, a] of this.arrays) {
        const t = this.tensorsByName.get(n);
        const f = this.scales.get(n);
        if (t) t.assign_(tensor(f ? restate(a as Float32Array, f, undefined) : a, [...t.shape], { dtype: t.dtype }));
      }
    });
    this.fresh = 'tensors';
    this.synced = new Map([...this.tensorsByName].map(([n, t]) => [n, t.handle]));
  }

  /** Copy the model's tensors into the arrays (after eager steps or a user edit). */
  load(): void {
    this.dropDeviceState();
    this.outputTensors.clear();
    this.context();
    // Nothing assigned since sync() wrote the arrays into the tensors (fit syncs every epoch): the
    // arrays still hold those values (or newer ones from later steps). The record stays for the next
    // load (fit's validation loads before the epoch-end callbacks, the next step after them): a full
    // reload would round-trip the scaled Adam moments through the tensors and move the run by a rounding.
    const synced = this.synced;
    if (synced && synced.size === this.tensorsByName.size && [...this.tensorsByName].every(([n, t]) => synced.get(n) === t.handle)) {
      this.fresh = 'arrays';
      return;
    }
    this.synced = undefined;
    for (const [n, t] of this.tensorsByName) {
      const d = t.dataSync();
      // new Float32Array(typedArray) converts natively (Float32Array.from walks an iterator).
      this.arrays.set(n, t.dtype === 'float32' ? new Float32Array(d as Float64Array) : d.slice() as Int32Array | Uint8Array);
    }
    this.scales.clear();
    this.fresh = 'arrays';
  }

  /** Convert the arrays to the way a graph carries them (a step graph's `scales`; absent: as is). */
  represent(want: StateScales): void {
    for (const n of new Set([...this.scales.keys(), ...want.keys()])) {
      const cur = this.scales.get(n), next = want.get(n);
      if (sameForm(cur, next)) continue;
      this.arrays.set(n, restate(this.arrays.get(n) as Float32Array, cur, next));
      if (next) this.scales.set(n, next);
      else this.scales.delete(n);
    }
  }

  /** Drop the GPU copies and free the read-back session (the engine's `dispose()`, after flush and sync). */
  async release(): Promise<void> {
    this.dropDeviceState();
    this.outputTensors.clear();
    await this.readback?.session.release();
    this.readback = undefined;
  }
}
