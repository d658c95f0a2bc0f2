/**
 * The layer registry: built-in Keras layers by class name, plus user layers added with
 * {@link registerLayer}. Saving writes `{className, config}`; loading looks the class up here.
 */
import { Activation, KerasLeakyReLU } from './layers/activations';
import { Conv2D } from './layers/conv';
import { Dense } from './layers/dense';
import { Dropout } from './layers/dropout';
import { Embedding } from './layers/embedding';
import { BatchNormalization, LayerNormalization, Normalization } from './layers/normalization';
import { AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D } from './layers/pooling';
import { Add, Concatenate, Flatten, Reshape } from './layers/reshaping';
import { GaussianNoise, RandomContrast, RandomFlip, RandomRotation, RandomTranslation, RandomZoom } from './layers/preprocessing';
import { SerializationError, type Config } from './config';
import { Layer } from './layer';
import { FunctionalModel, Sequential } from './model';
import { classNameOf, Module } from './module';

/** A layer class that can be rebuilt from its config. */
export type LayerClass = (abstract new (...args: never[]) => Layer) & { fromConfig(config: Config): Layer; className?: string };

/** A layer as saved: its registered class name and its config. */
export interface LayerConfig {
  className: string;
  config: Config;
}

const byName = new Map<string, LayerClass>();
const byClass = new Map<LayerClass, string>();
let builtinsDone = false;

// Registered on first use, not at import, so that import cycles (model ↔ registry) stay harmless.
function ensureBuiltins(): void {
  if (builtinsDone) return;
  builtinsDone = true;
  const builtins: LayerClass[] = [
    Dense, Activation, KerasLeakyReLU, Dropout, BatchNormalization, LayerNormalization, Normalization, Flatten, Reshape,
    Concatenate, Add, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Embedding, Sequential,
    RandomFlip, RandomTranslation, RandomRotation, RandomZoom, RandomContrast, GaussianNoise,
  ];
  for (const c of builtins) put(c, classNameOf(c));
  put(FunctionalModel, 'Functional');
}

function put(cls: LayerClass, name: string): void {
  const had = byName.get(name);
  if (had && had !== cls) {
    throw new SerializationError(`registerLayer: the name "${name}" is already registered for another class (${had.name}). Pass a different name: registerLayer(${cls.name}, 'MyName').`, 'registerLayer');
  }
  byName.set(name, cls);
  byClass.set(cls, name);
}

/**
 * Register a custom layer class so models using it can be saved and loaded (Keras
 * `register_keras_serializable`). The class must rebuild from its config: either its constructor
 * takes the config object as its only argument (the default `fromConfig`), or it defines
 * `static fromConfig(config)`; `getConfig()` must return every constructor argument.
 *
 * @param cls - The layer class.
 * @param name - The name written to saved configs. @default the class's own static `className`, else `cls.name`
 * @example
 * ```ts
 * class Scale extends Layer {
 *   constructor(readonly args: LayerArgs & { factor: number }) { super(args); }
 *   call(x: Tensor) { return x.mul(this.args.factor); }
 *   getConfig() { return { ...super.getConfig(), factor: this.args.factor }; }
 * }
 * registerLayer(Scale);
 * ```
 */
export function registerLayer<C extends LayerClass>(cls: C, name: string = classNameOf(cls)): C {
  ensureBuiltins();
  if (!(cls.prototype instanceof Layer)) throw new SerializationError(`registerLayer: ${cls.name} is not a Layer subclass.`, 'registerLayer');
  put(cls, name);
  return cls;
}

/** The class registered under `name`, or undefined. */
export function getRegisteredLayer(name: string): LayerClass | undefined {
  ensureBuiltins();
  return byName.get(name);
}

/** A layer's `{className, config}`; throws for PyTorch-style modules and unregistered classes. */
export function serializeLayer(m: Module): LayerConfig {
  ensureBuiltins();
  const ctor = m.constructor as LayerClass;
  if (!(m instanceof Layer)) {
    throw new SerializationError(
      `Cannot save ${classNameOf(ctor)} as a config: it is a PyTorch-style module, not a Keras layer. Use the Keras layer (e.g. layers.Dense for nn.Linear), or save its weights with stateDict() and saveSafetensors().`,
      classNameOf(ctor),
    );
  }
  const className = byClass.get(ctor);
  if (!className) {
    throw new SerializationError(
      `Cannot save ${m.describe()}: its class ${classNameOf(ctor)} is not registered. Call registerLayer(${classNameOf(ctor)}) first, and make sure getConfig() returns every constructor argument (or define static fromConfig).`,
      m.name,
    );
  }
  return { className, config: m.getConfig() };
}

/** Rebuild a layer from `{className, config}`. */
export function deserializeLayer(lc: LayerConfig, where = 'loadModel'): Layer {
  ensureBuiltins();
  if (!lc || typeof lc.className !== 'string') throw new SerializationError(`${where}: expected {className, config}, got ${JSON.stringify(lc)?.slice(0, 80)}.`, where);
  const cls = byName.get(lc.className);
  if (!cls) {
    throw new SerializationError(
      `${where}: unknown layer class "${lc.className}". If it is your own layer, call registerLayer(${lc.className}) before loading. Registered: ${[...byName.keys()].join(', ')}.`,
      where,
    );
  }
  return cls.fromConfig(lc.config ?? {});
}
