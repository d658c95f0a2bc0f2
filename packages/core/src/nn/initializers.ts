import type { DType, Shape } from '../dtype';
import { ValueError } from '../errors';
import * as o from '../ops';
import { defaultGenerator, Generator } from '../random';
import type { Tensor } from '../tensor';

/**
 * Makes initial values for a weight of a shape. The built-in ones carry their `config`
 * (`{className, config}`), which is what a saved model stores.
 */
export type Initializer = ((shape: Shape, dtype?: DType) => Tensor) & { readonly config?: InitializerConfig };

/** A serialized initializer: its name and options (Keras `{class_name, config}`), e.g. `{ className: 'heNormal', config: { seed: 1 } }`. */
export interface InitializerConfig {
  className: string;
  config: Record<string, unknown>;
}

/** Anything accepted where an initializer is expected: a name, a serialized config or a function. */
export type InitializerSpec = InitializerName | Initializer | InitializerConfig;

/** Attach its config to an initializer closure (so it can be saved). */
function tagged(className: string, config: Record<string, unknown>, f: (shape: Shape, dtype?: DType) => Tensor): Initializer {
  const clean = Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined));
  Object.defineProperty(f, 'config', { value: { className, config: clean }, enumerable: false, configurable: true });
  return f as Initializer;
}

/** How kernel dimensions are laid out, which decides fan-in and fan-out. */
export type KernelLayout = 'keras' | 'torch';

/**
 * Fan-in and fan-out of a weight shape. Keras kernels are `(...receptive, in, out)` (Dense (in, out),
 * Conv HWIO); PyTorch weights are `(out, in, ...receptive)` (Linear (out, in), Conv OIHW).
 */
export function computeFans(shape: Shape, layout: KernelLayout = 'keras'): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (layout === 'keras') {
    if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
    const receptive = shape.slice(0, -2).reduce((p, d) => p * d, 1);
    return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
  }
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** Options of {@link varianceScaling}. */
export interface VarianceScalingOptions {
  /** @default 1 */ scale?: number;
  /** @default 'fanIn' */ mode?: 'fanIn' | 'fanOut' | 'fanAvg';
  /** @default 'truncatedNormal' */ distribution?: 'truncatedNormal' | 'untruncatedNormal' | 'uniform';
  seed?: number;
  /** @default 'keras' */ layout?: KernelLayout;
}

const gen = (seed?: number): Generator => (seed === undefined ? defaultGenerator : new Generator(seed));

/**
 * Keras `VarianceScaling`: σ² = scale / n, n = fan-in, fan-out or their mean. The truncated normal
 * is drawn with σ / 0.87962566103423978 so that the truncated distribution's std is σ (as Keras).
 */
export function varianceScaling(opts: VarianceScalingOptions = {}): Initializer {
  const scale = opts.scale ?? 1, mode = opts.mode ?? 'fanIn', dist = opts.distribution ?? 'truncatedNormal';
  if (!(scale > 0)) throw new ValueError(`varianceScaling: scale must be > 0, got ${scale}.`, 'varianceScaling');
  return tagged('varianceScaling', { ...opts }, (shape) => {
    const g = gen(opts.seed);
    const { fanIn, fanOut } = computeFans(shape, opts.layout);
    const n = mode === 'fanIn' ? fanIn : mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    const s = scale / Math.max(1, n);
    if (dist === 'uniform') {
      const limit = Math.sqrt(3 * s);
      return o.randomUniform(shape, -limit, limit, { generator: g });
    }
    if (dist === 'untruncatedNormal') return o.randomNormal(shape, 0, Math.sqrt(s), { generator: g });
    return o.truncatedNormal(shape, 0, Math.sqrt(s) / 0.87962566103423978, { generator: g });
  });
}

/** Options of the seeded Keras initializers. */
export interface SeedOption {
  seed?: number;
}

/** Re-tag a preset of varianceScaling under its own name (so configs read 'heNormal', not the preset's parameters). */
const rename = (className: string, opts: SeedOption, f: Initializer): Initializer => tagged(className, { ...opts }, f);

/** Keras initializers, by their Keras names. */
export const initializers = {
  zeros: (): Initializer => tagged('zeros', {}, (shape, dtype = 'float32') => o.zeros(shape, dtype)),
  ones: (): Initializer => tagged('ones', {}, (shape, dtype = 'float32') => o.ones(shape, dtype)),
  constant: (value: number | { value?: number } = 0): Initializer => {
    const v = typeof value === 'number' ? value : value.value ?? 0;
    return tagged('constant', { value: v }, (shape, dtype = 'float32') => o.full(shape, v, dtype));
  },
  /** N(mean, stddev²). @default mean 0, stddev 0.05 (Keras 3) */
  randomNormal: ({ mean = 0, stddev = 0.05, seed }: { mean?: number; stddev?: number } & SeedOption = {}): Initializer =>
    tagged('randomNormal', { mean, stddev, seed }, (shape) => o.randomNormal(shape, mean, stddev, { generator: gen(seed) })),
  /** U(minval, maxval). @default −0.05, 0.05 */
  randomUniform: ({ minval = -0.05, maxval = 0.05, seed }: { minval?: number; maxval?: number } & SeedOption = {}): Initializer =>
    tagged('randomUniform', { minval, maxval, seed }, (shape) => o.randomUniform(shape, minval, maxval, { generator: gen(seed) })),
  /** Normal truncated at two standard deviations. @default mean 0, stddev 0.05 */
  truncatedNormal: ({ mean = 0, stddev = 0.05, seed }: { mean?: number; stddev?: number } & SeedOption = {}): Initializer =>
    tagged('truncatedNormal', { mean, stddev, seed }, (shape) => o.truncatedNormal(shape, mean, stddev, { generator: gen(seed) })),
  /** Glorot (Xavier) normal: σ = √(2 / (fanIn + fanOut)), truncated. */
  glorotNormal: (opts: SeedOption = {}): Initializer => rename('glorotNormal', opts, varianceScaling({ scale: 1, mode: 'fanAvg', distribution: 'truncatedNormal', ...opts })),
  /** Glorot (Xavier) uniform: U(±√(6 / (fanIn + fanOut))). Keras's Dense default. */
  glorotUniform: (opts: SeedOption = {}): Initializer => rename('glorotUniform', opts, varianceScaling({ scale: 1, mode: 'fanAvg', distribution: 'uniform', ...opts })),
  /** He normal: σ = √(2 / fanIn), truncated. */
  heNormal: (opts: SeedOption = {}): Initializer => rename('heNormal', opts, varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'truncatedNormal', ...opts })),
  /** He uniform: U(±√(6 / fanIn)). */
  heUniform: (opts: SeedOption = {}): Initializer => rename('heUniform', opts, varianceScaling({ scale: 2, mode: 'fanIn', distribution: 'uniform', ...opts })),
  /** LeCun normal: σ = √(1 / fanIn), truncated. */
  lecunNormal: (opts: SeedOption = {}): Initializer => rename('lecunNormal', opts, varianceScaling({ scale: 1, mode: 'fanIn', distribution: 'truncatedNormal', ...opts })),
  /** LeCun uniform: U(±√(3 / fanIn)). */
  lecunUniform: (opts: SeedOption = {}): Initializer => rename('lecunUniform', opts, varianceScaling({ scale: 1, mode: 'fanIn', distribution: 'uniform', ...opts })),
  /** A random orthogonal matrix (QR of a Gaussian, sign-corrected), times `gain`. */
  orthogonal: ({ gain = 1, seed }: { gain?: number } & SeedOption = {}): Initializer =>
    tagged('orthogonal', { gain, seed }, (shape) => orthogonalValues(shape, gain, gen(seed))),
  varianceScaling,
  identity: ({ gain = 1 }: { gain?: number } = {}): Initializer => tagged('identity', { gain }, (shape) => {
    if (shape.length !== 2) throw new ValueError(`identity initializer needs a 2-D shape, got [${shape.join(', ')}].`, 'identity');
    const a = new Float32Array(shape[0]! * shape[1]!);
    for (let i = 0; i < Math.min(shape[0]!, shape[1]!); i++) a[i * shape[1]! + i] = gain;
    return o.tensor(a, shape);
  }),
};

/** Names accepted wherever an initializer is expected (camelCase or Keras snake_case). */
export type InitializerName = keyof typeof initializers | 'glorot_uniform' | 'glorot_normal' | 'he_normal' | 'he_uniform' | 'lecun_normal' | 'lecun_uniform' | 'random_normal' | 'random_uniform' | 'truncated_normal';

/**
 * Resolve an initializer given by name (camelCase, snake_case or Keras's PascalCase class name), by
 * serialized config `{className, config}`, or as a function.
 *
 * @example
 * ```ts
 * getInitializer('he_normal', 'zeros');
 * getInitializer({ className: 'RandomNormal', config: { stddev: 0.1, seed: 1 } }, 'zeros');
 * ```
 */
export function getInitializer(init: InitializerSpec | undefined, fallback: InitializerName): Initializer {
  if (typeof init === 'function') return init;
  const spec = init ?? fallback;
  const raw = typeof spec === 'string' ? spec : spec.className;
  const name = raw.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).replace(/^[A-Z]/, (c) => c.toLowerCase()) as keyof typeof initializers;
  const make = initializers[name] as ((o?: object) => Initializer) | undefined;
  const options = typeof spec === 'string' ? undefined : spec.config;
  if (!make || (name === 'varianceScaling' && !options)) {
    throw new ValueError(`Unknown initializer "${raw}". Known: ${Object.keys(initializers).join(', ')}.`, 'initializer');
  }
  return name === 'constant' ? initializers.constant((options ?? {}) as { value?: number }) : make(options);
}

/**
 * The saved form of an initializer: its name when it has no options, else `{className, config}`.
 * Throws for a plain function (it cannot be rebuilt from JSON).
 */
export function serializeInitializer(init: InitializerSpec, where: string): InitializerName | InitializerConfig {
  if (typeof init === 'string') return init;
  if (typeof init !== 'function') return init;
  if (!init.config) {
    throw new ValueError(`${where}: a custom initializer function cannot be saved in a config. Use a built-in initializer (by name or from \`initializers\`).`, where);
  }
  return Object.keys(init.config.config).length ? init.config : (init.config.className as InitializerName);
}

/** Orthogonal values of a shape: rows × cols with cols = product of the other axes (Keras convention). */
export function orthogonalValues(shape: Shape, gain: number, g: Generator): Tensor {
  if (shape.length < 2) throw new ValueError('orthogonal initializer needs at least 2 dimensions.', 'orthogonal');
  const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1), cols = shape[shape.length - 1]!;
  // Keras flattens to (rows, cols); QR of an (max × min) Gaussian gives orthonormal columns.
  const n = Math.max(rows, cols), m = Math.min(rows, cols);
  const a: number[][] = Array.from({ length: n }, () => Array.from({ length: m }, () => g.normal()));
  // Modified Gram–Schmidt on the columns, sign-corrected like d = sign(diag(R)).
  const q: number[][] = Array.from({ length: n }, () => new Array<number>(m).fill(0));
  for (let j = 0; j < m; j++) {
    const v = a.map((r) => r[j]!);
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i]![k]! * v[i]!;
      for (let i = 0; i < n; i++) v[i]! -= dot * q[i]![k]!;
    }
    const norm = Math.hypot(...v);
    for (let i = 0; i < n; i++) q[i]![j] = v[i]! / norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows >= cols ? q[r]![c]! : q[c]![r]!);
  return o.tensor(out, shape);
}
