import { Generator } from '@nn/core';
import { TrainStepCompileError } from './errors';

// Random numbers in nn are drawn on the host by a core `Generator` and uploaded, so in a trace a
// dropout mask is a constant. A compiled step must instead take each mask as a per-step INPUT,
// drawn in JS from the same generator, in the same order, with the same rule as eager code — then
// the masks (and the generator's state afterwards) are exactly eager's.
//
// While a step is traced, `Generator.prototype.nextUint32` is wrapped to log which generator drew how
// many numbers since the last upload; an upload right after draws is a random constant.

/** A random constant seen while tracing: which generator drew it, from which state, how many draws. */
export interface RandomConst {
  readonly id: number;
  readonly generator: Generator;
  /** The generator state before its first draw (to replay the uniforms). */
  readonly stateBefore: number[];
  /** 32-bit draws consumed. */
  readonly draws: number;
  readonly size: number;
  readonly data: ArrayLike<number>;
}

/** A dropout (Bernoulli) mask to draw per step: `+(generator.next() < keep)` for each element. */
export interface MaskSpec {
  readonly id: number;
  readonly generator: Generator;
  readonly keep: number;
  readonly size: number;
}

interface Pending {
  gen: Generator;
  state: number[];
  draws: number;
}

/** Logs generator draws during a trace and restores every generator's state afterwards. */
export class RandomRecorder {
  private pending: Pending | null = null;
  private mixed = false;
  private readonly before = new Map<Generator, number[]>();
  private original: (() => number) | null = null;
  readonly consts: RandomConst[] = [];

  install(): void {
    const proto = Generator.prototype as unknown as { nextUint32: () => number };
    const orig = proto.nextUint32;
    this.original = orig;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const rec = this;
    proto.nextUint32 = function (this: Generator): number {
      rec.onDraw(this);
      return orig.call(this);
    };
  }

  uninstall(): void {
    if (this.original) (Generator.prototype as unknown as { nextUint32: () => number }).nextUint32 = this.original;
    this.original = null;
    for (const [g, s] of this.before) g.setState(s);
  }

  private onDraw(g: Generator): void {
    if (!this.before.has(g)) this.before.set(g, g.getState());
    if (!this.pending) this.pending = { gen: g, state: g.getState(), draws: 0 };
    else if (this.pending.gen !== g) this.mixed = true;
    this.pending.draws++;
  }

  /** Called after every upload while tracing. */
  onUpload(id: number, data: ArrayLike<number>): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (this.mixed) throw new TrainStepCompileError('a random tensor', 'it was drawn from more than one generator at once', 'Draw each random tensor from one Generator.');
    this.consts.push({ id, generator: p.gen, stateBefore: p.state, draws: p.draws, size: data.length, data });
  }
}

/** A module that owns a generator and a drop rate (Keras `Dropout.rate`, PyTorch `nn.Dropout.p`). */
function dropRates(modules: Iterable<unknown>, gen: Generator): number[] {
  const out: number[] = [];
  for (const m of modules) {
    const o = m as { generator?: unknown; rate?: unknown; p?: unknown };
    if (o.generator !== gen) continue;
    if (typeof o.rate === 'number') out.push(o.rate);
    else if (typeof o.p === 'number') out.push(o.p);
  }
  return out;
}

/**
 * Recognise a random constant as a dropout mask and find its keep probability: the mask must be 0/1
 * with one uniform (two 32-bit draws) per element, and one drop rate of the modules using that
 * generator must reproduce it exactly from the replayed uniforms. Anything else is refused (it would
 * be frozen into the graph and repeat every step: a wrong result).
 */
export function maskSpec(r: RandomConst, modules: Iterable<unknown>, layer?: string): MaskSpec {
  const what = `the random tensor #${r.id} of ${r.size} values${layer ? ` in ${layer}` : ''}`;
  const binary = Array.prototype.every.call(r.data, (v: number) => v === 0 || v === 1);
  if (!binary || r.draws !== 2 * r.size) {
    throw new TrainStepCompileError(what, 'only dropout (Bernoulli) masks can be drawn per step; this one is another distribution', 'Use Dropout / nn.Dropout, or train this model eagerly.');
  }
  const g = new Generator(0);
  g.setState(r.stateBefore);
  const u = new Float64Array(r.size);
  for (let i = 0; i < r.size; i++) u[i] = g.next();
  const fits = (keep: number) => {
    for (let i = 0; i < r.size; i++) if (+(u[i]! < keep) !== r.data[i]) return false;
    return true;
  };
  const keeps = [...new Set(dropRates(modules, r.generator).map((rate) => 1 - rate))].filter(fits);
  if (keeps.length !== 1) {
    throw new TrainStepCompileError(
      what,
      keeps.length === 0 ? 'no Dropout module of the model with this generator explains the mask (functional dropout?)' : `several drop rates (${keeps.map((k) => 1 - k).join(', ')}) share its generator and all explain it`,
      'Use a Dropout / nn.Dropout module (give it a seed to make its generator its own).',
    );
  }
  return { id: r.id, generator: r.generator, keep: keeps[0]!, size: r.size };
}

/** Draw one mask exactly as core's `bernoulli` does. */
export function drawMask(m: MaskSpec, out: Float32Array<ArrayBufferLike> = new Float32Array(m.size)): Float32Array<ArrayBufferLike> {
  const g = m.generator, keep = m.keep;
  for (let i = 0; i < m.size; i++) out[i] = +(g.next() < keep);
  return out;
}

