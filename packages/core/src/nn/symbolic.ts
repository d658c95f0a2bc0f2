import { fmtShape, type DType } from '../dtype';
import { ValueError } from '../errors';
import type { Module } from './module';

/** A dimension of a symbolic shape: `null` is unknown (the batch axis). */
export type SymShape = readonly (number | null)[];

/** Where a symbolic tensor came from: the call of a module on other symbolic tensors. */
export interface SymNode {
  readonly module: Module;
  readonly inputs: SymbolicTensor | readonly SymbolicTensor[];
  readonly options: Readonly<Record<string, unknown>>;
  /** Index of this output when the call returned several. */
  readonly outputIndex: number;
  /** Output count of the call. */
  readonly numOutputs: number;
}

let symCounter = 0;

/**
 * A placeholder flowing through layer calls to describe a functional model (a Keras "KerasTensor").
 * It has a shape and dtype but no values.
 */
export class SymbolicTensor {
  readonly id = ++symCounter;
  constructor(
    readonly shape: SymShape,
    readonly dtype: DType,
    readonly node: SymNode | null,
    readonly name: string,
  ) {}
  /** Number of axes. */
  get rank(): number {
    return this.shape.length;
  }
  toString(): string {
    return `SymbolicTensor(${this.name}, ${fmtShape(this.shape.map((d) => d ?? -1))})`;
  }
}

/** Options of {@link Input}. */
export interface InputOptions {
  /** Shape without the batch axis, e.g. `[784]` or `[28, 28, 1]`. */
  shape: readonly (number | null)[];
  /** Fixed batch size. @default null (any) */
  batchSize?: number | null;
  /** @default 'float32' */
  dtype?: DType;
  name?: string;
}

let inputCounter = 0;

/**
 * A symbolic model input (Keras `keras.Input`).
 *
 * @example
 * ```ts
 * const inputs = Input({ shape: [784] });
 * const outputs = layers.Dense(10)(layers.Dense(64, { activation: 'relu' })(inputs));
 * const model = Model({ inputs, outputs });
 * ```
 */
export function Input(opts: InputOptions): SymbolicTensor {
  if (!opts || !Array.isArray(opts.shape)) throw new ValueError('Input: pass { shape: [...] } (the shape without the batch axis).', 'Input');
  for (const d of opts.shape) if (d !== null && (!Number.isInteger(d) || d <= 0)) throw new ValueError(`Input: invalid dimension ${d} in shape ${JSON.stringify(opts.shape)}.`, 'Input');
  const name = opts.name ?? (inputCounter++ === 0 ? 'input_layer' : `input_layer_${inputCounter - 1}`);
  return new SymbolicTensor([opts.batchSize ?? null, ...opts.shape], opts.dtype ?? 'float32', null, name);
}

/** True when any (nested) argument is symbolic. */
export function hasSymbolic(args: readonly unknown[]): boolean {
  return args.some((a) => a instanceof SymbolicTensor || (Array.isArray(a) && a.some((b) => b instanceof SymbolicTensor)));
}
