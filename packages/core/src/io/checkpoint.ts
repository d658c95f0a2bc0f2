import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NNError } from '../errors';
import type { Module } from '../nn/module';
import type { Tensor } from '../tensor';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer';
import { defaultGenerator } from '../random';
import { decodeSafetensors, encodeSafetensors } from './safetensors';

/** What a checkpoint holds besides weights. */
export interface CheckpointMeta {
  /** Epochs completed. */
  epoch: number;
  /** Default generator state (dropout masks), so a resumed run draws the same numbers. */
  rngState: number[];
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
  savedAt: string;
  format: 'nn-checkpoint/1';
}

/**
 * Save model weights (safetensors), optimizer state (safetensors + JSON) and training state (JSON)
 * into directory `dir`, atomically: everything is written to a temporary directory that is then
 * renamed into place, so a crash leaves the previous checkpoint intact.
 */
export async function saveCheckpoint(dir: string, parts: { model: Module; optimizer?: Optimizer; epoch?: number; extra?: Record<string, unknown> }): Promise<void> {
  const tmp = `${dir}.tmp-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  try {
    const sd = parts.model.stateDict();
    await writeFile(join(tmp, 'model.safetensors'), encodeSafetensors(sd, { format: 'pt' }));
    if (parts.optimizer) {
      const { meta, tensors } = parts.optimizer.exportState();
      await writeFile(join(tmp, 'optimizer.safetensors'), encodeSafetensors(tensors));
      await writeFile(join(tmp, 'optimizer.json'), JSON.stringify(meta));
    }
    const config = typeof (parts.model as { getConfig?: () => unknown }).getConfig === 'function' ? (parts.model as unknown as { getConfig(): unknown }).getConfig() : undefined;
    const meta: CheckpointMeta = { epoch: parts.epoch ?? 0, rngState: defaultGenerator.getState(), ...(parts.extra ? { extra: parts.extra } : {}), ...(config ? { config } : {}), weightKeys: Object.keys(sd), savedAt: new Date().toISOString(), format: 'nn-checkpoint/1' };
    await writeFile(join(tmp, 'checkpoint.json'), JSON.stringify(meta, (_k, v) => (Number.isNaN(v) ? null : v)));
    const old = `${dir}.old-${randomBytes(4).toString('hex')}`;
    const exists = await stat(dir).then(() => true, () => false);
    if (exists) await rename(dir, old);
    await rename(tmp, dir);
    if (exists) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Restore what {@link saveCheckpoint} wrote; returns the training state. */
export async function loadCheckpoint(dir: string, parts: { model: Module; optimizer?: Optimizer; restoreRng?: boolean }): Promise<CheckpointMeta> {
  const read = async (f: string) => {
    try {
      return await readFile(join(dir, f));
    } catch (e) {
      throw new NNError(`Checkpoint ${dir}: cannot read ${f} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`, dir);
    }
  };
  const meta = JSON.parse((await read('checkpoint.json')).toString()) as CheckpointMeta;
  const { tensors } = decodeSafetensors(await read('model.safetensors'), join(dir, 'model.safetensors'));
  parts.model.loadStateDict(byStructure(parts.model.stateDict(), tensors, meta.weightKeys));
  for (const t of Object.values(tensors)) t.dispose();
  if (parts.optimizer) {
    const om = JSON.parse((await read('optimizer.json')).toString()) as OptimizerStateDict;
    const ot = decodeSafetensors(await read('optimizer.safetensors'), join(dir, 'optimizer.safetensors')).tensors;
    parts.optimizer.loadStateDict(om, ot);
    for (const t of Object.values(ot)) t.dispose();
  }
  if (parts.restoreRng !== false && meta.rngState) defaultGenerator.setState(meta.rngState.map((v) => (v === null ? NaN : v)));
  return meta;
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
