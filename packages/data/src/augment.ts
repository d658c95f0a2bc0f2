import { DataConfigError } from './errors.js';
import type { TransformInfo } from './data-loader.js';

// torchvision-style augmentation for samples of typed arrays (PyTorch door). Transforms are plain
// structured-cloneable descriptions; one self-contained function (`applyAugment`) interprets them,
// so it travels to the DataLoader's worker threads as source text (workers compile functions from
// text and cannot see this module). Random numbers come from a small PRNG seeded by
// (seed, epoch, position in the epoch): the same sample position gets the same draw for a given
// seed and epoch, with or without workers, and a new one every epoch.

/** One transform, as data. Build them with the functions below. */
export type AugmentTransform =
  | { kind: 'hflip'; p: number }
  | { kind: 'crop'; size: [number, number]; padding: number; fill: number }
  | { kind: 'affine'; degrees: [number, number]; translate: [number, number] | null; scale: [number, number] | null; fill: number }
  | { kind: 'noise'; mean: number; sigma: number; clip: boolean };

/**
 * torchvision `RandomHorizontalFlip(p)`: mirror the image left–right with probability p.
 *
 * @param options - `p` @default 0.5
 * @example
 * ```ts
 * Compose([RandomHorizontalFlip({ p: 0.5 })], { shape: [1, 28, 28], seed: 1 });
 * ```
 */
export function RandomHorizontalFlip(options: { p?: number } = {}): AugmentTransform {
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1)) throw new DataConfigError('RandomHorizontalFlip', 'p', 'a probability in [0, 1]', p);
  return { kind: 'hflip', p };
}

/**
 * torchvision `RandomCrop(size, padding)`: pad every side by `padding` pixels of `fill`, then cut a
 * `size` window at a uniformly random place (top row uniform in 0…H + 2·padding − height).
 *
 * @param options - `size` (a number for square, or [height, width]); `padding` @default 0; `fill` @default 0
 * @example
 * ```ts
 * RandomCrop({ size: 28, padding: 4 });   // the classic CIFAR/MNIST shift augmentation
 * ```
 */
export function RandomCrop(options: { size: number | readonly [number, number]; padding?: number; fill?: number }): AugmentTransform {
  const size: [number, number] = typeof options.size === 'number' ? [options.size, options.size] : [options.size[0], options.size[1]];
  const padding = options.padding ?? 0;
  if (!size.every((s) => Number.isInteger(s) && s > 0)) throw new DataConfigError('RandomCrop', 'size', 'a positive integer or [height, width]', options.size);
  if (!(Number.isInteger(padding) && padding >= 0)) throw new DataConfigError('RandomCrop', 'padding', 'an integer ≥ 0', padding);
  return { kind: 'crop', size, padding, fill: options.fill ?? 0 };
}

/**
 * torchvision `RandomAffine(degrees, translate, scale)`: rotate by a uniform angle (degrees,
 * counter-clockwise), shift by a uniform whole number of pixels up to translate·size (torchvision
 * rounds the shift), scale by a uniform factor, about the image centre; nearest-pixel sampling
 * (torchvision's default), `fill` outside. The same family of maps as torchvision, not its
 * `grid_sample` bit for bit.
 *
 * @param options - `degrees` (d means [−d, d]); `translate` [fraction of width, of height] @default none;
 *   `scale` [lo, hi] @default none; `fill` @default 0
 * @example
 * ```ts
 * RandomAffine({ degrees: 10, translate: [0.1, 0.1], scale: [0.9, 1.1] });
 * ```
 */
export function RandomAffine(options: { degrees: number | readonly [number, number]; translate?: readonly [number, number]; scale?: readonly [number, number]; fill?: number }): AugmentTransform {
  const d = options.degrees;
  const degrees: [number, number] = typeof d === 'number' ? [-Math.abs(d), Math.abs(d)] : [d[0], d[1]];
  if (!(degrees[0] <= degrees[1])) throw new DataConfigError('RandomAffine', 'degrees', 'a number or [min, max] with min ≤ max', d);
  const t = options.translate, s = options.scale;
  if (t && !t.every((v) => v >= 0 && v <= 1)) throw new DataConfigError('RandomAffine', 'translate', '[a, b] with each in [0, 1]', t);
  if (s && !(s[0] > 0 && s[0] <= s[1])) throw new DataConfigError('RandomAffine', 'scale', '[lo, hi] with 0 < lo ≤ hi', s);
  return { kind: 'affine', degrees, translate: t ? [t[0], t[1]] : null, scale: s ? [s[0], s[1]] : null, fill: options.fill ?? 0 };
}

/**
 * torchvision v2 `GaussianNoise(mean, sigma, clip)`: add N(mean, sigma²) to every value, then clip
 * to [0, 1] when `clip` (for images scaled to [0, 1]; turn it off for z-scored data).
 *
 * @param options - `mean` @default 0; `sigma` @default 0.1; `clip` @default true
 * @example
 * ```ts
 * GaussianNoise({ sigma: 0.05 });
 * ```
 */
export function GaussianNoise(options: { mean?: number; sigma?: number; clip?: boolean } = {}): AugmentTransform {
  const sigma = options.sigma ?? 0.1;
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new DataConfigError('GaussianNoise', 'sigma', 'a finite number ≥ 0', sigma);
  return { kind: 'noise', mean: options.mean ?? 0, sigma, clip: options.clip ?? true };
}

/** Options of {@link Compose}. */
export interface ComposeOptions {
  /** Image layout of the sample's values: [channels, height, width] (PyTorch's CHW). */
  shape: readonly [number, number, number];
  /** Seed of the draws. @default 0 */
  seed?: number;
  /**
   * Which part of a sample is the image: a key of an object sample (`{ x, y }` → `'x'`), an index
   * of a tuple, or `null` when the sample is the typed array itself. @default 'x'
   */
  key?: string | number | null;
}

/** The context {@link applyAugment} reads (structured-cloneable). */
export interface AugmentContext {
  transforms: AugmentTransform[];
  shape: [number, number, number];
  seed: number;
  key: string | number | null;
}

/**
 * Apply the transforms to one sample (a copy; the input is not changed). Self-contained on purpose:
 * it is sent to worker threads as source text, so it uses nothing from outside its body.
 *
 * @param sample - the sample (see {@link ComposeOptions.key}).
 * @param _index - the sample's place in its batch (unused).
 * @param ctx - from `Compose(...).context`.
 * @param info - epoch and position in the epoch (the DataLoader passes it).
 */
export function applyAugment(sample: unknown, _index: number, ctx: AugmentContext, info: TransformInfo = { epoch: 0, position: 0 }): unknown {
  // mulberry32 over a hash of (seed, epoch, position)
  let h = Math.imul((ctx.seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (info.epoch >>> 0) ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = Math.imul(h ^ (info.position >>> 0) ^ (h >>> 16), 0x27d4eb2f) >>> 0;
  let st = h;
  const rand = () => {
    st = (st + 0x6d2b79f5) >>> 0;
    let t = st;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rand();
  const normal = () => {
    let u = 0;
    while (u === 0) u = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  };
  const key = ctx.key;
  const src = (key === null ? sample : (sample as Record<string | number, unknown>)[key]) as ArrayLike<number>;
  const [C, H0, W0] = ctx.shape;
  if (!src || typeof src.length !== 'number' || src.length !== C * H0 * W0) {
    throw new Error(`augment: sample${key === null ? '' : `[${JSON.stringify(key)}]`} has ${src && typeof src.length === 'number' ? src.length : 'no'} values; shape [${ctx.shape.join(', ')}] needs ${C * H0 * W0}.`);
  }
  let H = H0, W = W0;
  let img = Float32Array.from(src);
  for (const t of ctx.transforms) {
    if (t.kind === 'hflip') {
      if (rand() < t.p) {
        const out = new Float32Array(C * H * W);
        for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[(c * H + y) * W + x] = img[(c * H + y) * W + (W - 1 - x)]!;
        img = out;
      }
    } else if (t.kind === 'crop') {
      const [th, tw] = t.size, p = t.padding;
      const ph = H + 2 * p, pw = W + 2 * p;
      if (th > ph || tw > pw) throw new Error(`augment: RandomCrop size [${th}, ${tw}] is larger than the padded image [${ph}, ${pw}].`);
      const top = Math.floor(rand() * (ph - th + 1)), left = Math.floor(rand() * (pw - tw + 1));
      const out = new Float32Array(C * th * tw);
      for (let c = 0; c < C; c++) for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
        const sy = top + y - p, sx = left + x - p;
        out[(c * th + y) * tw + x] = sy >= 0 && sy < H && sx >= 0 && sx < W ? img[(c * H + sy) * W + sx]! : t.fill;
      }
      img = out;
      H = th;
      W = tw;
    } else if (t.kind === 'affine') {
      const a = (uniform(t.degrees[0], t.degrees[1]) * Math.PI) / 180;
      const tx = t.translate ? Math.round(uniform(-t.translate[0] * W, t.translate[0] * W)) : 0;
      const ty = t.translate ? Math.round(uniform(-t.translate[1] * H, t.translate[1] * H)) : 0;
      const sc = t.scale ? uniform(t.scale[0], t.scale[1]) : 1;
      // Output pixel → input pixel: inverse of (rotate by a counter-clockwise, scale, then shift) about the centre.
      const cx = (W - 1) / 2, cy = (H - 1) / 2, cos = Math.cos(a), sin = Math.sin(a);
      const out = new Float32Array(C * H * W);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const dx = x - cx - tx, dy = y - cy - ty;
        // image rows grow downwards, so a counter-clockwise turn on screen is (cos, −sin; sin, cos) in (x, −y)
        const sx = Math.round(cx + (cos * dx - sin * dy) / sc), sy = Math.round(cy + (sin * dx + cos * dy) / sc);
        for (let c = 0; c < C; c++) out[(c * H + y) * W + x] = sx >= 0 && sx < W && sy >= 0 && sy < H ? img[(c * H + sy) * W + sx]! : t.fill;
      }
      img = out;
    } else if (t.kind === 'noise') {
      for (let i = 0; i < img.length; i++) {
        const v = img[i]! + t.mean + t.sigma * normal();
        img[i] = t.clip ? Math.min(1, Math.max(0, v)) : v;
      }
    }
  }
  if (key === null) return img;
  if (Array.isArray(sample)) {
    const copy = [...(sample as unknown[])];
    copy[key as number] = img;
    return copy;
  }
  return { ...(sample as object), [key]: img };
}

/** Result of {@link Compose}: the transforms as a function, and what to hand a DataLoader. */
export interface Composed {
  /** The structured-cloneable description the function reads. */
  readonly context: AugmentContext;
  /** Apply to one sample at (epoch, position) — for use outside a DataLoader. */
  apply(sample: unknown, info?: TransformInfo): unknown;
  /** Spread into `new DataLoader(ds, { ...aug.loaderOptions(), numWorkers: 2 })`. */
  loaderOptions(): { transform: typeof applyAugment; transformContext: AugmentContext };
}

/**
 * torchvision `transforms.Compose`: run transforms in order on each sample's image, in the
 * DataLoader (in its worker threads with `numWorkers > 0`). Draws are seeded by (seed, epoch,
 * position in the epoch), so a run is reproducible with or without workers and every epoch sees
 * new augmentations. Use it on the training loader only (evaluation data stays as it is).
 *
 * @param transforms - from {@link RandomHorizontalFlip}, {@link RandomCrop}, {@link RandomAffine}, {@link GaussianNoise}.
 * @param options - see {@link ComposeOptions}.
 * @example
 * ```ts
 * const aug = Compose([RandomHorizontalFlip(), RandomCrop({ size: 28, padding: 2 })], { shape: [1, 28, 28], seed: 1 });
 * const loader = new DataLoader(trainSet, { batchSize: 128, shuffle: true, numWorkers: 2, ...aug.loaderOptions() });
 * ```
 */
export function Compose(transforms: readonly AugmentTransform[], options: ComposeOptions): Composed {
  const shape = options.shape;
  if (!(Array.isArray(shape) && shape.length === 3 && shape.every((s) => Number.isInteger(s) && s > 0))) throw new DataConfigError('Compose', 'shape', '[channels, height, width] of positive integers', shape);
  const kinds = ['hflip', 'crop', 'affine', 'noise'];
  transforms.forEach((t, i) => {
    if (!t || !kinds.includes((t as { kind?: string }).kind ?? '')) throw new DataConfigError('Compose', `transforms[${i}]`, 'a transform from RandomHorizontalFlip, RandomCrop, RandomAffine or GaussianNoise', t);
  });
  const context: AugmentContext = { transforms: transforms.map((t) => ({ ...t })) as AugmentTransform[], shape: [shape[0], shape[1], shape[2]], seed: options.seed ?? 0, key: options.key === undefined ? 'x' : options.key };
  return {
    context,
    apply: (sample, info = { epoch: 0, position: 0 }) => applyAugment(sample, 0, context, info),
    loaderOptions: () => ({ transform: applyAugment, transformContext: context }),
  };
}
