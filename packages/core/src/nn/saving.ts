/**
 * Model configs and `model.save(dir)` / `loadModel(dir)`: `config.json` (the architecture: layer
 * configs and, for functional models, the graph of calls) and `model.safetensors` (the weights,
 * named as in `stateDict()`). Data only, never code; each file is written atomically.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DType } from '../dtype';
import { writeFileAtomic } from '../io/atomic';
import { decodeSafetensors, encodeSafetensors } from '../io/safetensors';
import type { Tensor } from '../tensor';
import { reviveArgs, SerializationError, type Config } from './config';
import type { Layer } from './layer';
import { FunctionalModel, Sequential } from './model';
import { deserializeLayer, serializeLayer, type LayerConfig } from './registry';
import { Input, SymbolicTensor } from './symbolic';

/** File names inside a saved model's folder. */
export const CONFIG_FILE = 'config.json';
export const WEIGHTS_FILE = 'model.safetensors';
const FORMAT = 'nn.model';
const VERSION = 1;

/** A reference to a tensor in a saved graph: a model input, or output `index` of node `node`. */
type TensorRef = { input: number } | { node: number; index: number };
interface NodeConfig {
  layer: string;
  inputs: TensorRef | TensorRef[];
  options: Config;
}
interface InputConfig {
  name: string;
  shape: (number | null)[];
  batchSize: number | null;
  dtype: DType;
}
type Kind = 'single' | 'list' | 'dict';

// ---- Sequential ----

/** @internal Sequential's config: its layers and, once known, its input shape. */
export function sequentialConfig(m: Sequential): Config {
  const shape = m._inputShape();
  return { name: m.name, trainable: m.trainable, layers: m.layers.map(serializeLayer), ...(shape ? { buildInputShape: [...shape] } : {}) };
}

/** @internal */
export function sequentialFromConfig(config: Config): Sequential {
  const { layers = [], buildInputShape, ...rest } = config as { layers?: LayerConfig[]; buildInputShape?: (number | null)[] } & Config;
  const built = (layers as LayerConfig[]).map((l) => deserializeLayer(l, `Sequential "${String(rest.name)}"`));
  const first = built[0];
  const needInput = buildInputShape && !(first && first.inputShapeArg);
  const items = needInput ? [Input({ shape: buildInputShape.slice(1), batchSize: buildInputShape[0] ?? null }), ...built] : built;
  return new Sequential(items, reviveArgs(rest));
}

// ---- functional ----

/** @internal A functional model's config: distinct layers, inputs, the calls in order, outputs. */
export function functionalConfig(m: FunctionalModel): Config {
  const refs = new Map<SymbolicTensor, TensorRef>();
  m.inputs.forEach((t, i) => refs.set(t, { input: i }));
  const names = new Map<unknown, string>();
  const layers: LayerConfig[] = [];
  for (const l of m.layers) {
    const lc = serializeLayer(l);
    const name = (l as Layer).name;
    if ([...names.values()].includes(name)) {
      throw new SerializationError(`Cannot save ${m.describe()}: two different layers are named "${name}". Give them distinct names.`, m.name);
    }
    names.set(l, name);
    layers.push(lc);
  }
  const nodes: NodeConfig[] = m.nodes.map((n, k) => {
    const ref = (s: SymbolicTensor): TensorRef => {
      const r = refs.get(s);
      if (!r) throw new SerializationError(`Cannot save ${m.describe()}: node ${k} reads a tensor that is not computed before it.`, m.name);
      return r;
    };
    const inputs = Array.isArray(n.inputs) ? (n.inputs as SymbolicTensor[]).map(ref) : ref(n.inputs as SymbolicTensor);
    n.outputs.forEach((s, i) => s && refs.set(s, { node: k, index: i }));
    let options: Config;
    try {
      options = JSON.parse(JSON.stringify(n.options ?? {})) as Config;
    } catch {
      throw new SerializationError(`Cannot save ${m.describe()}: the call options of layer "${names.get(n.module)}" are not JSON.`, m.name);
    }
    return { layer: names.get(n.module)!, inputs, options };
  });
  const inputs: InputConfig[] = m.inputs.map((t) => ({ name: t.name, shape: t.shape.slice(1) as (number | null)[], batchSize: t.shape[0] ?? null, dtype: t.dtype }));
  return {
    name: m.name, trainable: m.trainable, layers, inputs, nodes,
    outputs: m.outputs.map((s) => refs.get(s)!),
    inputKind: (m.inputNames ? 'dict' : m._multiIn ? 'list' : 'single') as Kind, inputNames: m.inputNames,
    outputKind: (m.outputNames ? 'dict' : m._multiOut ? 'list' : 'single') as Kind, outputNames: m.outputNames,
  };
}

/** @internal Rebuild a functional model by replaying its calls on fresh inputs. */
export function functionalFromConfig(config: Config): FunctionalModel {
  const c = config as {
    name?: string; trainable?: boolean; layers: LayerConfig[]; inputs: InputConfig[]; nodes: NodeConfig[]; outputs: TensorRef[];
    inputKind: Kind; inputNames: string[] | null; outputKind: Kind; outputNames: string[] | null;
  };
  const where = `Functional "${c.name ?? ''}"`;
  const layers = new Map<string, Layer>();
  for (const lc of c.layers) {
    const l = deserializeLayer(lc, where);
    layers.set(l.name, l);
  }
  const inputs = c.inputs.map((i) => Input({ shape: i.shape, batchSize: i.batchSize, dtype: i.dtype, name: i.name }));
  const outs: SymbolicTensor[][] = [];
  const get = (r: TensorRef): SymbolicTensor => {
    const t = 'input' in r ? inputs[r.input] : outs[r.node]?.[r.index];
    if (!t) throw new SerializationError(`${where}: the config refers to a missing tensor ${JSON.stringify(r)}.`, where);
    return t;
  };
  c.nodes.forEach((n) => {
    const layer = layers.get(n.layer);
    if (!layer) throw new SerializationError(`${where}: node calls unknown layer "${n.layer}".`, where);
    const args = Array.isArray(n.inputs) ? n.inputs.map(get) : get(n.inputs);
    const y = layer(args, n.options) as SymbolicTensor | SymbolicTensor[];
    outs.push(Array.isArray(y) ? y : [y]);
  });
  const pack = <T>(kind: Kind, list: T[], names: string[] | null): T | T[] | Record<string, T> =>
    kind === 'single' ? list[0]! : kind === 'dict' ? Object.fromEntries(names!.map((n, i) => [n, list[i]!])) : list;
  const m = new FunctionalModel({
    inputs: pack(c.inputKind, inputs, c.inputNames) as SymbolicTensor,
    outputs: pack(c.outputKind, c.outputs.map(get), c.outputNames) as SymbolicTensor,
    ...(c.name ? { name: c.name } : {}),
  });
  if (c.trainable === false) m.trainable = false;
  return m;
}

// ---- save / load ----

/**
 * Save a Sequential or functional model to a folder: `config.json` and `model.safetensors`.
 * Custom layers must be registered ({@link registerLayer}).
 *
 * @param model - The model (any built-in Keras layer works too).
 * @param dir - The folder; created if needed, existing files replaced atomically.
 * @example
 * ```ts
 * await model.save('out/my-model');
 * const again = await loadModel('out/my-model');
 * ```
 */
export async function saveModel(model: Layer, dir: string): Promise<void> {
  const architecture = serializeLayer(model);
  const sd = model.stateDict();
  const config = { format: FORMAT, version: VERSION, ...architecture, weights: { file: WEIGHTS_FILE, names: Object.keys(sd) } };
  await writeFileAtomic(join(dir, WEIGHTS_FILE), encodeSafetensors(sd, { format: FORMAT }));
  await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(config, null, 1)}\n`);
}

/**
 * Load a model saved with `model.save(dir)`: rebuild it from `config.json` and load its weights
 * (every weight must be present and of the saved shape).
 *
 * @param dir - The folder written by `save`.
 * @returns The rebuilt model (Sequential, functional model or layer), in inference mode.
 */
export async function loadModel(dir: string): Promise<Layer> {
  const path = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new SerializationError(`loadModel: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Is "${dir}" a folder written by model.save()?`, path);
  }
  let saved: { format?: string; version?: number; className: string; config: Config; weights?: { file?: string } };
  try {
    saved = JSON.parse(text);
  } catch (e) {
    throw new SerializationError(`loadModel: ${path} is not valid JSON (${(e as Error).message}).`, path);
  }
  if (saved.format !== FORMAT || typeof saved.version !== 'number' || saved.version > VERSION) {
    throw new SerializationError(`loadModel: ${path} is not an nn model config (format "${saved.format}", version ${saved.version}; expected "${FORMAT}" ≤ ${VERSION}).`, path);
  }
  const model = deserializeLayer(saved, `loadModel(${dir})`);
  const wpath = join(dir, saved.weights?.file ?? WEIGHTS_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(wpath);
  } catch (e) {
    throw new SerializationError(`loadModel: cannot read the weights ${wpath} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, wpath);
  }
  const { tensors } = decodeSafetensors(bytes, wpath);
  try {
    model.loadStateDict(tensors);
  } finally {
    for (const t of Object.values(tensors) as Tensor[]) t.dispose();
  }
  return model;
}
