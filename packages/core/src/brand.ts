// Brand checks that work across two copies of @nn/core in one process (an ESM and a CJS build, or
// two installed versions): `instanceof` compares classes of one copy only, a `Symbol.for` key is
// shared by every copy. Packages built on core (onnx, data, monitor …) check kinds with these.

const MODULE: unique symbol = Symbol.for('nn.Module') as never;
const LAYER: unique symbol = Symbol.for('nn.Layer') as never;
const OPTIMIZER: unique symbol = Symbol.for('nn.Optimizer') as never;
const KERAS_OPTIMIZER: unique symbol = Symbol.for('nn.KerasOptimizer') as never;

/** The brand keys, one per kind of object. */
export const BRANDS: { readonly module: typeof MODULE; readonly layer: typeof LAYER; readonly optimizer: typeof OPTIMIZER; readonly kerasOptimizer: typeof KERAS_OPTIMIZER } = {
  module: MODULE,
  layer: LAYER,
  optimizer: OPTIMIZER,
  kerasOptimizer: KERAS_OPTIMIZER,
};

const has = (x: unknown, key: symbol): boolean =>
  (typeof x === 'object' || typeof x === 'function') && x !== null && (x as Record<symbol, unknown>)[key] === true;

/** True for an nn `Module` (PyTorch-style module or Keras-style layer/model) of any copy of @nn/core. */
export const isModule = (x: unknown): x is import('./nn/module').Module => has(x, BRANDS.module);
/** True for a Keras-style `Layer` (and `Model`) of any copy of @nn/core. */
export const isLayer = (x: unknown): x is import('./nn/layer').Layer => has(x, BRANDS.layer);
/** True for a core optimizer (either door) of any copy of @nn/core. */
export const isBaseOptimizer = (x: unknown): x is import('./optim/optimizer').BaseOptimizer<import('./optim/optimizer').BaseHyper> => has(x, BRANDS.optimizer);
/** True for a Keras-door optimizer of any copy of @nn/core. */
export const isKerasOptimizer = (x: unknown): x is import('./optim/keras-optimizer').KerasOptimizer<import('./optim/keras-optimizer').KerasHyper> => has(x, BRANDS.kerasOptimizer);
