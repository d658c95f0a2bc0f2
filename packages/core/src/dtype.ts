/** Element type of a tensor. */
export type DType = 'float32' | 'int32' | 'bool';

/** A tensor's shape: one entry per axis. `null` marks an unknown dimension of a symbolic input. */
export type Shape = readonly number[];

/** Typed arrays a backend may hand back. The reference backend reads float32 tensors as Float64Array. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Nested JS arrays accepted by {@link tensor}. */
export type NestedArray = number | boolean | NestedArray[];

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Format a shape as `[2, 3]`. */
export function fmtShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

/** The constructor of the array type that holds a dtype's values on the host. */
export function arrayCtor(dtype: DType): Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor {
  return dtype === 'float32' ? Float32Array : dtype === 'int32' ? Int32Array : Uint8Array;
}

/** The array type that holds a dtype's values on the host. */
export function arrayFor(dtype: DType, n: number): Float32Array | Int32Array | Uint8Array {
  return new (arrayCtor(dtype))(n);
}
