import { ShapeError, ValueError } from '../../errors';
import * as o from '../../ops';
import { defaultGenerator, Generator } from '../../random';
import type { Tensor } from '../../tensor';
import { reviveArgs, type Config } from '../config';
import { Layer, type LayerArgs } from '../layer';
import type { CallOptions } from '../module';

// Keras 3 image-augmentation layers (`keras.layers.RandomFlip` & co.), for channels-last images
// [B, H, W, C] or one image [H, W, C]. Active only in training (`fit` switches the model; or pass
// `{ training: true }`); the identity in inference. Random parameters are drawn on the host from a
// seeded core `Generator` (one draw per image, in batch order), then applied with core ops only
// (`gather` + `mul`/`add` for the bilinear resampling), so they run on every backend and are
// differentiable with respect to the input. The per-pixel plan (source indices and weights) is a
// `randomFrom` value and the contrast factors a `randomUniform`: core random values, which a compiled
// step (the `ort` engine) redraws every step from the same generator, so these layers compile and
// give the same numbers there as eagerly. GaussianNoise uses `randomNormal`.

/** How points outside the image are filled (Keras `fill_mode`). */
export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest';
/** How a non-integer source point is read (Keras `interpolation`). */
export type Interpolation = 'bilinear' | 'nearest';

/** Options shared by the augmentation layers. */
export interface AugmentArgs extends LayerArgs {
  /** Seed of the layer's own generator; without it the process-wide default generator is used. */
  seed?: number;
}

/** Options of the resampling layers ({@link RandomTranslation}, {@link RandomRotation}, {@link RandomZoom}). */
export interface ResampleArgs extends AugmentArgs {
  /**
   * `'reflect'` (d c b a | a b c d | d c b a), `'wrap'` (a b c d | a b c d), `'constant'`
   * (`fillValue`), `'nearest'` (a a a a | a b c d | d d d d). @default 'reflect'
   */
  fillMode?: FillMode;
  /** @default 'bilinear' */
  interpolation?: Interpolation;
  /** Value outside the image with `fillMode: 'constant'`. @default 0 */
  fillValue?: number;
}

/** A `[lower, upper]` range from Keras' "float or (lower, upper)" factor. */
function range(where: string, what: string, f: number | readonly [number, number], min = -Infinity): [number, number] {
  const r: [number, number] = typeof f === 'number' ? [-Math.abs(f), Math.abs(f)] : [f[0], f[1]];
  if (!(Number.isFinite(r[0]) && Number.isFinite(r[1]) && r[0] <= r[1] && r[0] >= min)) {
    throw new ValueError(`${where}: ${what} must be a number or [lower, upper] with lower ≤ upper${min > -Infinity ? ` and lower ≥ ${min}` : ''}, got ${JSON.stringify(f)}.`, where);
  }
  return r;
}

const uniform = (g: Generator, [lo, hi]: readonly [number, number]) => (lo === hi ? lo : lo + (hi - lo) * g.next());

/** Images as [B, H, W, C], and whether a batch axis was added. */
function asBatch(layer: Layer, x: Tensor): { x4: Tensor; unbatched: boolean } {
  if (x.rank === 4) return { x4: x, unbatched: false };
  if (x.rank === 3) return { x4: o.reshape(x, [1, ...x.shape]), unbatched: true };
  throw new ShapeError(layer.describe(), 'expected channels-last images [batch, height, width, channels] or one image [height, width, channels]', [x.shape], 'Reshape flat pixels first, e.g. layers.Reshape([28, 28, 1]) before it.');
}

/** Fix an integer index into [0, n) by the fill mode; -1 means "outside" (constant fill). */
function fixIndex(i: number, n: number, mode: FillMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  if (mode === 'nearest') return i < 0 ? 0 : n - 1;
  if (mode === 'wrap') return ((i % n) + n) % n;
  const p = 2 * n; // reflect about the pixel edges: period 2n
  const m = ((i % p) + p) % p;
  return m < n ? m : p - 1 - m;
}

/** How the fill mode and interpolation of a resampling read the source. */
interface ResampleFill {
  mode: FillMode;
  interpolation: Interpolation;
  value: number;
}

/** Rows of the packed per-pixel plan: `corners` index rows, `corners` weight rows, and the outside-weight row. */
const planRows = (fill: ResampleFill) => 2 * (fill.interpolation === 'nearest' ? 1 : 4) + 1;

/**
 * Write the per-pixel plan of an affine resampling into `out` ([rows, B·H·W], see {@link planRows}):
 * for each corner k (1 for nearest, 4 for bilinear) the flat source pixel index (as a float: exact
 * below 2²⁴) and its weight, then the weight that falls outside the image (constant fill).
 */
function fillPlan(out: { length: number; [i: number]: number }, maps: readonly (readonly number[])[], H: number, W: number, fill: ResampleFill): void {
  const B = maps.length, P = H * W, N = B * P;
  const corners = fill.interpolation === 'nearest' ? 1 : 4;
  // One corner: write its source index and weight (or count its weight as outside the image).
  let outside = 0;
  const put = (k: number, q: number, base: number, py: number, px: number, w: number) => {
    const iy = fixIndex(py, H, fill.mode), ix = fixIndex(px, W, fill.mode);
    if (iy < 0 || ix < 0) {
      outside += w;
      out[k * N + q] = base;
      out[(corners + k) * N + q] = 0;
    } else {
      out[k * N + q] = base + iy * W + ix;
      out[(corners + k) * N + q] = w;
    }
  };
  for (let b = 0; b < B; b++) {
    const [a0, a1, a2, b0, b1, b2] = maps[b]!;
    const base = b * P;
    for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
      const q = base + y * W + xx;
      const sx = a0! * xx + a1! * y + a2!, sy = b0! * xx + b1! * y + b2!;
      outside = 0;
      if (corners === 1) put(0, q, base, Math.round(sy), Math.round(sx), 1);
      else {
        const y0 = Math.floor(sy), x0 = Math.floor(sx), fy = sy - y0, fx = sx - x0;
        put(0, q, base, y0, x0, (1 - fy) * (1 - fx));
        put(1, q, base, y0, x0 + 1, (1 - fy) * fx);
        put(2, q, base, y0 + 1, x0, fy * (1 - fx));
        put(3, q, base, y0 + 1, x0 + 1, fy * fx);
      }
      out[2 * corners * N + q] = outside;
    }
  }
}

/** Apply a packed plan (see {@link fillPlan}) to [B, H, W, C] images with core ops (gathers, products, sums). */
function applyPlan(x4: Tensor, plan: Tensor, fill: ResampleFill): Tensor {
  const [B, H, W, C] = x4.shape as [number, number, number, number];
  const N = B * H * W;
  const corners = fill.interpolation === 'nearest' ? 1 : 4;
  const flat = o.reshape(x4, [N, C]);
  let y: Tensor | null = null;
  for (let k = 0; k < corners; k++) {
    const idx = o.cast(o.reshape(o.slice(plan, [k, 0], [1, N]), [N]), 'int32');
    const w = o.reshape(o.slice(plan, [corners + k, 0], [1, N]), [N, 1]);
    const term = o.mul(o.gather(flat, idx), w);
    y = y ? o.add(y, term) : term;
  }
  if (fill.mode === 'constant' && fill.value !== 0) y = o.add(y!, o.mul(o.reshape(o.slice(plan, [2 * corners, 0], [1, N]), [N, 1]), fill.value));
  return o.reshape(y!, [B, H, W, C]);
}

/**
 * Resample each image through an affine map (Keras `affine_transform`): output pixel (x, y) reads
 * the input at (a0·x + a1·y + a2, b0·x + b1·y + b2), x the column and y the row, one map per image
 * drawn from `generator` by `draw` (in batch order). The per-pixel plan is a `randomFrom` value, so
 * a compiled step (the `ort` engine) recomputes it every step from the same generator, as eager
 * code does; it is applied with up to four `gather`s, so it runs on any backend.
 */
function randomResample(x4: Tensor, generator: Generator, draw: (g: Generator) => number[], fill: ResampleFill, name: string): Tensor {
  const [B, H, W] = x4.shape as [number, number, number];
  const N = B * H * W;
  if (N >= 2 ** 24) throw new ValueError(`${name}: ${B} images of ${H}×${W} are too many pixels for one batch (the pixel index must stay below 2^24); use smaller batches.`, name);
  const plan = o.randomFrom([planRows(fill), N], (g, out) => fillPlan(out, Array.from({ length: B }, () => draw(g)), H, W, fill), { generator, dist: name });
  return applyPlan(x4, plan, fill);
}

/** Base of the augmentation layers: the training switch, the generator, input checks, config. */
abstract class Augmentation extends Layer {
  readonly generator: Generator;
  /** The seed given at construction, if any. */
  readonly seed?: number;
  constructor(args: AugmentArgs) {
    super(args);
    if (args.seed !== undefined) this.seed = args.seed;
    this.generator = args.seed === undefined ? defaultGenerator : new Generator(args.seed);
  }
  override call(x: Tensor, opts: CallOptions = {}): Tensor {
    if (!(opts.training ?? this.training)) return x;
    const { x4, unbatched } = asBatch(this, x);
    const y = this.augment(x4);
    return unbatched ? o.reshape(y, x.shape) : y;
  }
  /** Transform a batch [B, H, W, C] (training only). */
  protected abstract augment(x4: Tensor): Tensor;
  override computeOutputShape(inputShape: never): never {
    return inputShape;
  }
  override getConfig(): Config {
    return { ...super.getConfig(), seed: this.seed ?? null };
  }
}

/** Base of the layers that resample through an affine map. */
abstract class Resampling extends Augmentation {
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly fillValue: number;
  constructor(args: ResampleArgs) {
    super(args);
    this.fillMode = args.fillMode ?? 'reflect';
    this.interpolation = args.interpolation ?? 'bilinear';
    this.fillValue = args.fillValue ?? 0;
    if (!['reflect', 'wrap', 'constant', 'nearest'].includes(this.fillMode)) throw new ValueError(`${this.describe()}: fillMode must be 'reflect', 'wrap', 'constant' or 'nearest', got '${this.fillMode}'.`, this.name);
    if (!['bilinear', 'nearest'].includes(this.interpolation)) throw new ValueError(`${this.describe()}: interpolation must be 'bilinear' or 'nearest', got '${this.interpolation}'.`, this.name);
  }
  protected augment(x4: Tensor): Tensor {
    const [, H, W] = x4.shape as [number, number, number];
    return randomResample(x4, this.generator, (g) => this.draw(g, H, W), { mode: this.fillMode, interpolation: this.interpolation, value: this.fillValue }, this.describe());
  }
  /** One image's affine map [a0, a1, a2, b0, b1, b2] (output → input), drawing from `g`. */
  protected abstract draw(g: Generator, H: number, W: number): number[];
  override getConfig(): Config {
    return { ...super.getConfig(), fillMode: this.fillMode, interpolation: this.interpolation, fillValue: this.fillValue };
  }
}

/** Options of {@link RandomFlip}. */
export interface RandomFlipArgs extends AugmentArgs {
  /** @default 'horizontal_and_vertical' (Keras' default) */
  mode?: 'horizontal' | 'vertical' | 'horizontal_and_vertical';
}

/**
 * Keras `RandomFlip`: in training, each image is flipped left–right (`'horizontal'`) and/or
 * up–down (`'vertical'`), each with probability ½, independently per image.
 *
 * @param args - see {@link RandomFlipArgs}.
 * @example
 * ```ts
 * const aug = new Sequential([layers.RandomFlip({ mode: 'horizontal', seed: 1 }), layers.RandomTranslation(0.1, 0.1)]);
 * aug(images, { training: true });   // images: [B, 28, 28, 1]
 * ```
 */
export class RandomFlip extends Augmentation {
  /** Registered and saved name (kept explicit: bundlers may rename self-referencing classes). */
  static override className = 'RandomFlip';
  readonly mode: 'horizontal' | 'vertical' | 'horizontal_and_vertical';
  constructor(args: RandomFlipArgs = {}) {
    super(args);
    this.mode = args.mode ?? 'horizontal_and_vertical';
    if (!['horizontal', 'vertical', 'horizontal_and_vertical'].includes(this.mode)) throw new ValueError(`${this.describe()}: mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', got '${this.mode}'.`, this.name);
  }
  protected augment(x4: Tensor): Tensor {
    const [, H, W] = x4.shape as [number, number, number];
    const h = this.mode !== 'vertical', v = this.mode !== 'horizontal';
    return randomResample(x4, this.generator, (g) => {
      const fx = h && g.next() < 0.5, fy = v && g.next() < 0.5;
      return [fx ? -1 : 1, 0, fx ? W - 1 : 0, 0, fy ? -1 : 1, fy ? H - 1 : 0];
    }, { mode: 'nearest', interpolation: 'nearest', value: 0 }, this.describe());
  }
  override getConfig(): Config {
    return { ...super.getConfig(), mode: this.mode };
  }
}

/**
 * Keras `RandomTranslation(heightFactor, widthFactor)`: in training, shift each image by a
 * uniform fraction of its height and width (a number f means [−f, f]; positive moves down/right),
 * filling the uncovered area by `fillMode`.
 *
 * @param heightFactor - fraction of the height, f or [lower, upper].
 * @param widthFactor - fraction of the width, f or [lower, upper].
 * @param args - see {@link ResampleArgs}. @default fillMode 'reflect', interpolation 'bilinear'
 * @example
 * ```ts
 * layers.RandomTranslation(0.1, 0.1, { fillMode: 'constant', seed: 7 });
 * ```
 */
export class RandomTranslation extends Resampling {
  /** Registered and saved name (kept explicit: bundlers may rename self-referencing classes). */
  static override className = 'RandomTranslation';
  readonly heightRange: [number, number];
  readonly widthRange: [number, number];
  constructor(readonly heightFactor: number | readonly [number, number], readonly widthFactor: number | readonly [number, number], args: ResampleArgs = {}) {
    super(args);
    this.heightRange = range(this.describe(), 'heightFactor', heightFactor, -1);
    this.widthRange = range(this.describe(), 'widthFactor', widthFactor, -1);
  }
  protected draw(g: Generator, H: number, W: number): number[] {
    const dy = uniform(g, this.heightRange) * H, dx = uniform(g, this.widthRange) * W;
    return [1, 0, -dx, 0, 1, -dy];
  }
  override getConfig(): Config {
    return { ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor };
  }
  static override fromConfig(config: Config): RandomTranslation {
    const { heightFactor, widthFactor, ...rest } = reviveArgs(config);
    return new RandomTranslation(heightFactor as number, widthFactor as number, rest);
  }
}

/**
 * Keras `RandomRotation(factor)`: in training, rotate each image about its centre by a uniform
 * angle of factor·2π (a number f means [−f, f]; positive is counter-clockwise), as Keras 3's
 * affine map.
 *
 * @param factor - fraction of a full turn, f or [lower, upper].
 * @param args - see {@link ResampleArgs}.
 * @example
 * ```ts
 * layers.RandomRotation(0.05);   // up to ±18°
 * ```
 */
export class RandomRotation extends Resampling {
  /** Registered and saved name (kept explicit: bundlers may rename self-referencing classes). */
  static override className = 'RandomRotation';
  readonly angleRange: [number, number];
  constructor(readonly factor: number | readonly [number, number], args: ResampleArgs = {}) {
    super(args);
    this.angleRange = range(this.describe(), 'factor', factor);
  }
  protected draw(g: Generator, H: number, W: number): number[] {
    const a = uniform(g, this.angleRange) * 2 * Math.PI;
    const c = Math.cos(a), s = Math.sin(a);
    const xo = (W - 1 - (c * (W - 1) - s * (H - 1))) / 2, yo = (H - 1 - (s * (W - 1) + c * (H - 1))) / 2;
    return [c, -s, xo, s, c, yo];
  }
  override getConfig(): Config {
    return { ...super.getConfig(), factor: this.factor };
  }
  static override fromConfig(config: Config): RandomRotation {
    const { factor, ...rest } = reviveArgs(config);
    return new RandomRotation(factor as number, rest);
  }
}

/**
 * Keras `RandomZoom(heightFactor, widthFactor?)`: in training, zoom each image about its centre
 * by 1 + a uniform draw from the factor (positive zooms out — the picture shrinks — negative zooms
 * in). Without `widthFactor` the same zoom is used for both axes (aspect kept).
 *
 * @param heightFactor - f or [lower, upper], lower > −1.
 * @param widthFactor - f or [lower, upper], or null for "same as height". @default null
 * @param args - see {@link ResampleArgs}.
 * @example
 * ```ts
 * layers.RandomZoom(0.1);   // zoom factor in [0.9, 1.1]
 * ```
 */
export class RandomZoom extends Resampling {
  /** Registered and saved name (kept explicit: bundlers may rename self-referencing classes). */
  static override className = 'RandomZoom';
  readonly heightRange: [number, number];
  readonly widthRange: [number, number] | null;
  constructor(readonly heightFactor: number | readonly [number, number], readonly widthFactor: number | readonly [number, number] | null = null, args: ResampleArgs = {}) {
    super(args);
    this.heightRange = range(this.describe(), 'heightFactor', heightFactor, -1);
    if (this.heightRange[0] <= -1) throw new ValueError(`${this.describe()}: heightFactor lower bound must be > -1, got ${this.heightRange[0]}.`, this.name);
    this.widthRange = widthFactor === null ? null : range(this.describe(), 'widthFactor', widthFactor, -1);
    if (this.widthRange && this.widthRange[0] <= -1) throw new ValueError(`${this.describe()}: widthFactor lower bound must be > -1, got ${this.widthRange[0]}.`, this.name);
  }
  protected draw(g: Generator, H: number, W: number): number[] {
    const zy = 1 + uniform(g, this.heightRange);
    const zx = this.widthRange ? 1 + uniform(g, this.widthRange) : zy;
    return [zx, 0, ((W - 1) / 2) * (1 - zx), 0, zy, ((H - 1) / 2) * (1 - zy)];
  }
  override getConfig(): Config {
    return { ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor };
  }
  static override fromConfig(config: Config): RandomZoom {
    const { heightFactor, widthFactor, ...rest } = reviveArgs(config);
    return new RandomZoom(heightFactor as number, (widthFactor ?? null) as number | null, rest);
  }
}

/** Options of {@link RandomContrast}. */
export interface RandomContrastArgs extends AugmentArgs {
  /**
   * Outputs are clipped to this range (Keras 3's `value_range`, default [0, 255]); `null` turns the
   * clip off (e.g. for z-scored inputs). @default [0, 255]
   */
  valueRange?: readonly [number, number] | null;
}

/**
 * Keras `RandomContrast(factor)`: in training, each image's channels are stretched about their
 * mean: (x − mean)·c + mean, with c uniform in [1 − lower, 1 + upper] (a number f means
 * [1 − f, 1 + f]), then clipped to `valueRange`.
 *
 * @param factor - f or [lower, upper], each in [0, 1].
 * @param args - see {@link RandomContrastArgs}.
 * @example
 * ```ts
 * layers.RandomContrast(0.2, { valueRange: [0, 1] });
 * ```
 */
export class RandomContrast extends Augmentation {
  /** Registered and saved name (kept explicit: bundlers may rename self-referencing classes). */
  static override className = 'RandomContrast';
  readonly lower: number;
  readonly upper: number;
  readonly valueRange: readonly [number, number] | null;
  constructor(readonly factor: number | readonly [number, number], args: RandomContrastArgs = {}) {
    super(args);
    [this.lower, this.upper] = typeof factor === 'number' ? [factor, factor] : [factor[0], factor[1]];
    if (!(this.lower >= 0 && this.lower <= 1 && this.upper >= 0)) throw new ValueError(`${this.describe()}: factor must be f or [lower, upper] with 0 ≤ lower ≤ 1 and upper ≥ 0, got ${JSON.stringify(factor)}.`, this.name);
    this.valueRange = args.valueRange === undefined ? [0, 255] : args.valueRange;
  }
  protected augment(x4: Tensor): Tensor {
    const B = x4.shape[0]!;
    const lo = 1 - this.lower, hi = 1 + this.upper;
    // A core random op: a compiled step redraws the factors every step.
    const c = lo === hi ? o.full([B, 1, 1, 1], lo) : o.randomUniform([B, 1, 1, 1], lo, hi, { generator: this.generator });
    const m = o.mean(x4, [1, 2], true);
    const y = o.add(o.mul(o.sub(x4, m), c), m);
    return this.valueRange ? o.clip(y, this.valueRange[0], this.valueRange[1]) : y;
  }
  override getConfig(): Config {
    return { ...super.getConfig(), factor: this.factor, valueRange: (this.valueRange ? [...this.valueRange] : null) };
  }
  static override fromConfig(config: Config): RandomContrast {
    const { factor, ...rest } = reviveArgs(config);
    return new RandomContrast(factor as number, rest as RandomContrastArgs);
  }
}

/**
 * Keras `GaussianNoise(stddev)`: in training, adds N(0, stddev²) noise to every element; identity
 * in inference. Any input shape.
 *
 * @param stddev - standard deviation of the noise, ≥ 0.
 * @param args - see {@link AugmentArgs}.
 * @example
 * ```ts
 * layers.GaussianNoise(0.1, { seed: 3 });
 * ```
 */
export class GaussianNoise extends Augmentation {
  /** Registered and saved name (kept explicit: bundlers may rename self-referencing classes). */
  static override className = 'GaussianNoise';
  constructor(readonly stddev: number, args: AugmentArgs = {}) {
    super(args);
    if (!(stddev >= 0 && Number.isFinite(stddev))) throw new ValueError(`${this.describe()}: stddev must be a finite number ≥ 0, got ${stddev}.`, this.name);
  }
  override call(x: Tensor, opts: CallOptions = {}): Tensor {
    if (!(opts.training ?? this.training) || this.stddev === 0) return x;
    return o.add(x, o.randomNormal(x.shape, 0, this.stddev, { generator: this.generator }));
  }
  protected augment(x4: Tensor): Tensor {
    return x4;
  }
  override getConfig(): Config {
    return { ...super.getConfig(), stddev: this.stddev };
  }
  static override fromConfig(config: Config): GaussianNoise {
    const { stddev, ...rest } = reviveArgs(config);
    return new GaussianNoise(stddev as number, rest);
  }
}
