import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fmtShape } from '../dtype';
import { NNError } from '../errors';
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer';
import { defaultGenerator, Generator } from '../random';
import { fsyncDir, writeFileDurable } from './atomic';
import { decodeSafetensors, encodeSafetensors } from './safetensors';

/** A checkpoint that cannot be read or does not fit what it is loaded into; `where` names the file. */
export class CheckpointError extends NNError {
  override name = 'CheckpointError';
}

/** What a checkpoint holds besides weights. */
export interface CheckpointMeta {
  /** Epochs completed. */
  epoch: number;
  /** Default generator state (dropout masks), so a resumed run draws the same numbers. */
  rngState: number[];
  /**
   * The states of the model's own generators (a `Dropout` or augmentation layer given a `seed`),
   * by module path in the model's order, so those layers too draw on where they stopped (Keras keeps
   * a seeded layer's generator state with the model). Absent in older checkpoints.
   */
  moduleRngStates?: [string, number[]][];
  /** Anything else the caller wants back (history, config …). */
  extra?: Record<string, unknown>;
  /** Layer config (Keras models), for reference. */
  config?: unknown;
  /**
   * The model's state-dict keys in its own order (parameters, then buffers). Lets a fresh copy of the
   * same architecture load the checkpoint when its auto-generated layer names differ (`dense_4` for
   * `dense`, as happens when a Keras model is built twice in one process), as Keras's
   * `load_weights` matches by structure.
   */
  weightKeys?: string[];
  /**
   * The version folder (inside the checkpoint folder) holding this checkpoint's files. Absent in
   * checkpoints written before versioned saves (`nn-checkpoint/1`), whose files sit in the folder itself.
   */
  files?: string;
  savedAt: string;
  format: 'nn-checkpoint/1' | 'nn-checkpoint/2';
}

const POINTER = 'checkpoint.json';
const MODEL = 'model.safetensors';
const OPT_JSON = 'optimizer.json';
const OPT_TENSORS = 'optimizer.safetensors';
/** Version folders: `v-<ms since 1970, 15 digits>-<random hex>` (sortable by time). */
const VERSION = /^v-\d{15}-[0-9a-f]{8}$/;
const POINTER_TMP = /^\.checkpoint\.json\.[0-9a-f]+\.tmp$/;

/**
 * Save model weights (safetensors), optimizer state (safetensors + JSON) and training state (JSON)
 * into the folder `dir`.
 *
 * **Guarantee: `dir` always holds a whole, loadable checkpoint** once one save has finished — the
 * previous one until the new one is complete, then the new one — even if the process is killed
 * (`kill -9`) or the machine loses power at any moment. How: the files go into a new version folder
 * `dir/v-<time>-<id>/`, each fsynced, then the folder; then `dir/checkpoint.json` (the training
 * state plus the name of the version folder) is replaced atomically (temporary file, fsync, rename,
 * fsync of `dir`). Only after that are older versions and leftovers of interrupted saves removed
 * (also those of the pre-versioning layout: `dir.tmp-*` / `dir.old-*` beside `dir`). One writer per
 * folder at a time.
 *
 * @param dir - The checkpoint folder (created if needed).
 * @param parts - `model` (its `stateDict()` is saved), optional `optimizer`, `epoch` (epochs completed,
 *   @default 0) and `extra` (JSON, returned by {@link loadCheckpoint}).
 * @example
 * ```ts
 * await saveCheckpoint('runs/ckpt', { model, optimizer: opt, epoch: 3 });
 * const meta = await loadCheckpoint('runs/ckpt', { model, optimizer: opt }); // meta.epoch === 3
 * ```
 */
export async function saveCheckpoint(dir: string, parts: { model: Module; optimizer?: Optimizer; epoch?: number; extra?: Record<string, unknown> }): Promise<void> {
  // Encode everything first: a failure here touches no file.
  const sd = parts.model.stateDict();
  const files: [string, Uint8Array | string][] = [[MODEL, encodeSafetensors(sd, { format: 'pt' })]];
  if (parts.optimizer) {
    const { meta, tensors } = parts.optimizer.exportState();
    files.push([OPT_TENSORS, encodeSafetensors(tensors)], [OPT_JSON, JSON.stringify(meta)]);
  }
  const config = typeof (parts.model as { getConfig?: () => unknown }).getConfig === 'function' ? (parts.model as unknown as { getConfig(): unknown }).getConfig() : undefined;
  const gens = ownGenerators(parts.model);
  const version = `v-${String(Date.now()).padStart(15, '0')}-${randomBytes(4).toString('hex')}`;
  const meta: CheckpointMeta = {
    epoch: parts.epoch ?? 0, rngState: defaultGenerator.getState(), ...(parts.extra ? { extra: parts.extra } : {}), ...(config ? { config } : {}),
    ...(gens.length ? { moduleRngStates: gens.map(([p, g]) => [p, g.getState()] as [string, number[]]) } : {}),
    weightKeys: Object.keys(sd), files: version, savedAt: new Date().toISOString(), format: 'nn-checkpoint/2',
  };
  const pointer = JSON.stringify(meta, (_k, v) => (Number.isNaN(v) ? null : v));

  await mkdir(dir, { recursive: true });
  const vdir = join(dir, version);
  const tmp = join(dir, `.${POINTER}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(vdir);
    for (const [name, data] of files) await writeFileDurable(join(vdir, name), data);
    await fsyncDir(vdir);
    await fsyncDir(dir);
    // Publish: one atomic rename replaces the pointer; before it the previous checkpoint is current.
    await writeFileDurable(tmp, pointer);
    await rename(tmp, join(dir, POINTER));
  } catch (e) {
    await rm(tmp, { force: true });
    await rm(vdir, { recursive: true, force: true });
    throw e;
  }
  await fsyncDir(dir);
  await removeLeftovers(dir, version);
}

/**
 * Remove everything in `dir` that the published checkpoint (version `keep`) does not use: older
 * versions, partial versions and pointer temporaries of interrupted saves, the files of a
 * pre-versioning checkpoint in the folder itself, and the pre-versioning `dir.tmp-*`/`dir.old-*`
 * folders beside it. Only names this module writes are touched.
 */
async function removeLeftovers(dir: string, keep: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if ((VERSION.test(name) && name !== keep) || POINTER_TMP.test(name) || name === MODEL || name === OPT_JSON || name === OPT_TENSORS) {
      await rm(join(dir, name), { recursive: true, force: true });
    }
  }
  const parent = dirname(dir), base = basename(dir);
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (isLegacyLeftover(name, base)) await rm(join(parent, name), { recursive: true, force: true });
  }
}

/** `<base>.tmp-<8 hex>` or `<base>.old-<8 hex>`: a folder left beside `dir` by the pre-versioning save. */
const isLegacyLeftover = (name: string, base: string) => name.startsWith(`${base}.`) && /^\.(tmp|old)-[0-9a-f]{8}$/.test(name.slice(base.length));

/**
 * The pre-versioning save renamed `dir` to `dir.old-*` and then `dir.tmp-*` to `dir`; a kill between
 * the two left no `dir`. Then the newest whole leftover (its `checkpoint.json`, written last, is
 * present) is the checkpoint to load. Returns its path, or undefined when `dir` exists or none is found.
 */
async function legacyRecovery(dir: string): Promise<string | undefined> {
  if (await stat(dir).then(() => true, () => false)) return undefined;
  const parent = dirname(dir), base = basename(dir);
  let best: { path: string; savedAt: string } | undefined;
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (!isLegacyLeftover(name, base)) continue;
    try {
      const m = JSON.parse(await readFile(join(parent, name, POINTER), 'utf8')) as CheckpointMeta;
      if (!best || String(m.savedAt) > best.savedAt) best = { path: join(parent, name), savedAt: String(m.savedAt) };
    } catch {
      // not whole: skip
    }
  }
  return best?.path;
}

/**
 * Whether `dir` holds a published checkpoint (`checkpoint.json`), e.g. to decide between resuming
 * and starting afresh. A folder with only an interrupted first save has none.
 *
 * @param dir - The checkpoint folder.
 * @example
 * ```ts
 * if (await hasCheckpoint('runs/ckpt')) await loadCheckpoint('runs/ckpt', { model, optimizer });
 * ```
 */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  return stat(join(dir, POINTER)).then((s) => s.isFile(), () => false);
}

/**
 * Restore what {@link saveCheckpoint} wrote (also checkpoints written before versioned saves).
 * Everything is read and checked before anything changes — every file parses (a truncated file is
 * a {@link CheckpointError} naming it), the weights match the model's keys and shapes, the optimizer
 * state was saved by the same optimizer with the same parameter groups — and only then are the
 * optimizer state, the weights and (unless `restoreRng: false`) the random generator replaced.
 *
 * @param dir - The checkpoint folder.
 * @param parts - `model` to load into, optional `optimizer`, `restoreRng` @default true.
 * @returns The training state (`epoch`, `extra` …).
 * @throws CheckpointError (or the model's StateDictError) with the model and optimizer untouched.
 * @example
 * ```ts
 * const { epoch } = await loadCheckpoint('runs/ckpt', { model, optimizer: opt });
 * await model.fit(x, y, { epochs: 10, initialEpoch: epoch });
 * ```
 */
export async function loadCheckpoint(dir: string, parts: { model: Module; optimizer?: Optimizer; restoreRng?: boolean }): Promise<CheckpointMeta> {
  const read = async (path: string) => {
    try {
      return await readFile(path);
    } catch (e) {
      throw new CheckpointError(`Checkpoint ${dir}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, path);
    }
  };
  const json = <T>(bytes: Buffer, path: string): T => {
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch (e) {
      throw new CheckpointError(`Checkpoint ${dir}: ${path} is not valid JSON (${(e as Error).message}); the file is truncated or corrupt.`, path);
    }
  };
  const legacy = await legacyRecovery(dir);
  if (legacy) dir = legacy;
  const pointerPath = join(dir, POINTER);
  const meta = json<CheckpointMeta>(await read(pointerPath), pointerPath);
  if (!meta || typeof meta !== 'object' || (meta.format !== 'nn-checkpoint/1' && meta.format !== 'nn-checkpoint/2')) {
    throw new CheckpointError(`Checkpoint ${dir}: ${pointerPath} is not an nn checkpoint (format ${JSON.stringify((meta as { format?: unknown } | null)?.format)}).`, pointerPath);
  }
  if (meta.files !== undefined && (typeof meta.files !== 'string' || !VERSION.test(meta.files))) {
    throw new CheckpointError(`Checkpoint ${dir}: ${pointerPath} names an invalid version folder ${JSON.stringify(meta.files)}.`, pointerPath);
  }
  const base = meta.files ? join(dir, meta.files) : dir;

  // 1. Read and decode every file (safetensors are checked strictly; errors name the file).
  const disposeAll = (ts: Record<string, Tensor> | undefined) => { for (const t of Object.values(ts ?? {})) t.dispose(); };
  const modelPath = join(base, MODEL);
  const weights = decodeSafetensors(await read(modelPath), modelPath).tensors;
  let opt: { meta: OptimizerStateDict; tensors: Record<string, Tensor> } | undefined;
  try {
    if (parts.optimizer) {
      const omPath = join(base, OPT_JSON), otPath = join(base, OPT_TENSORS);
      const om = json<OptimizerStateDict>(await read(omPath), omPath);
      opt = { meta: om, tensors: decodeSafetensors(await read(otPath), otPath).tensors };
      // 2a. The optimizer state fits this optimizer (its loadStateDict checks the rest before changing anything).
      const o = parts.optimizer;
      if (!om || typeof om !== 'object' || om.optimizer !== o.name || om.door !== o.door) {
        throw new CheckpointError(`Checkpoint ${dir}: ${omPath} holds the state of ${om?.door} ${om?.optimizer}, cannot load it into ${o.door} ${o.name}.`, omPath);
      }
      if (!Array.isArray(om.paramGroups) || om.paramGroups.length !== o.paramGroups.length) {
        throw new CheckpointError(`Checkpoint ${dir}: ${omPath} has ${om.paramGroups?.length} parameter groups, the optimizer has ${o.paramGroups.length}.`, omPath);
      }
    }
    // 2b. The weights fit the model: same keys, same shapes (loadStateDict would check too, but after
    // the optimizer was already changed).
    const own = parts.model.stateDict();
    const mapped = byStructure(own, weights, meta.weightKeys);
    const missing = Object.keys(own).filter((k) => !(k in mapped));
    const unexpected = Object.keys(mapped).filter((k) => !(k in own));
    const mismatched = Object.keys(own).filter((k) => k in mapped && fmtShape(own[k]!.shape) !== fmtShape(mapped[k]!.shape))
      .map((k) => `${k}: model ${fmtShape(own[k]!.shape)}, file ${fmtShape(mapped[k]!.shape)}`);
    if (missing.length || unexpected.length || mismatched.length) {
      const what = [missing.length ? `missing keys: ${missing.join(', ')}` : '', unexpected.length ? `unexpected keys: ${unexpected.join(', ')}` : '', mismatched.length ? `shape mismatches: ${mismatched.join('; ')}` : ''].filter(Boolean);
      throw new CheckpointError(`Checkpoint ${dir}: ${modelPath} does not fit the model (${what.join('; ')}).`, modelPath);
    }
    // 3. Apply: the optimizer first (it validates its whole state before changing itself), then the weights.
    if (opt) parts.optimizer!.loadStateDict(opt.meta, opt.tensors);
    parts.model.loadStateDict(mapped);
  } finally {
    disposeAll(weights);
    disposeAll(opt?.tensors);
  }
  if (parts.restoreRng !== false && meta.rngState) defaultGenerator.setState(meta.rngState.map((v) => (v === null ? NaN : v)));
  if (parts.restoreRng !== false && meta.moduleRngStates) restoreModuleGenerators(parts.model, meta.moduleRngStates);
  return meta;
}

/** The model's own generators (modules with a `generator` other than the default one), by path. */
function ownGenerators(model: Module): [string, Generator][] {
  const out: [string, Generator][] = [];
  for (const [path, m] of model.namedModules()) {
    const g = (m as { generator?: unknown }).generator;
    if (g instanceof Generator && g !== defaultGenerator) out.push([path, g]);
  }
  return out;
}

/**
 * Set the model's own generators to saved states: by path when every path matches, else by position
 * when the counts agree (the same architecture with other auto-generated layer names, as for
 * weights); otherwise they are left as they are.
 */
function restoreModuleGenerators(model: Module, saved: [string, number[]][]): void {
  const own = ownGenerators(model);
  const byPath = new Map(saved);
  const state = (v: number[]) => v.map((x) => (x === null ? NaN : x));
  if (own.every(([p]) => byPath.has(p))) for (const [p, g] of own) g.setState(state(byPath.get(p)!));
  else if (own.length === saved.length) own.forEach(([, g], i) => g.setState(state(saved[i]![1])));
}

/**
 * The saved tensors keyed for `own` (the model's state dict). By name when every name matches;
 * otherwise, when the checkpoint recorded its key order and the two structures agree entry by entry
 * in shape, by position (the same architecture with other auto-generated layer names). Anything else
 * is returned unchanged, so that `loadStateDict` lists the missing and unexpected keys.
 */
function byStructure(own: Record<string, Tensor>, saved: Record<string, Tensor>, savedKeys: string[] | undefined): Record<string, Tensor> {
  const ownKeys = Object.keys(own);
  const byName = ownKeys.length === Object.keys(saved).length && ownKeys.every((k) => k in saved);
  if (byName || !savedKeys || savedKeys.length !== ownKeys.length || !savedKeys.every((k) => k in saved)) return saved;
  const same = ownKeys.every((k, i) => {
    const a = own[k]!, b = saved[savedKeys[i]!]!;
    return a.shape.length === b.shape.length && a.shape.every((d, j) => d === b.shape[j]);
  });
  return same ? Object.fromEntries(ownKeys.map((k, i) => [k, saved[savedKeys[i]!]!])) : saved;
}
