import { saveCheckpoint } from '../io/checkpoint';
import { NNError } from '../errors';
import type { Module } from '../nn/module';
import type { Callback, Logs } from './callbacks';
import type { Trainable } from './fit';

/** Options of {@link ModelCheckpoint}. */
export interface ModelCheckpointOptions {
  /** Directory to write; `{epoch}` is replaced by the 1-based epoch (e.g. 'ckpt/epoch-{epoch}'). */
  dir: string;
  /** @default 'val_loss' */ monitor?: string;
  /** Only save when the monitored value improves. @default false */ saveBestOnly?: boolean;
  /** @default 'auto' */ mode?: 'min' | 'max' | 'auto';
  /** Also save the optimizer state (for exact resume). @default true */ saveOptimizer?: boolean;
  /** @default 0 */ verbose?: number;
}

/**
 * Save a checkpoint at the end of each epoch (or when the monitored value improves), atomically,
 * and on SIGINT (Keras `ModelCheckpoint`). A NaN loss never overwrites the last good checkpoint.
 */
export class ModelCheckpoint implements Callback {
  private model?: Trainable;
  private best = NaN;
  /** Epochs saved so far. */
  readonly saved: number[] = [];
  constructor(readonly opts: ModelCheckpointOptions) {
    if (!opts?.dir) throw new NNError('ModelCheckpoint: { dir } is required.', 'ModelCheckpoint');
  }
  setModel(m: Module) {
    this.model = m as Trainable;
  }
  private path(epoch: number) {
    return this.opts.dir.replace('{epoch}', String(epoch + 1).padStart(3, '0'));
  }
  private async save(epoch: number) {
    await saveCheckpoint(this.path(epoch), {
      model: this.model!,
      ...(this.opts.saveOptimizer !== false && this.model!.optimizer ? { optimizer: this.model!.optimizer } : {}),
      epoch: epoch + 1,
    });
    this.saved.push(epoch + 1);
    if (this.opts.verbose) console.log(`Epoch ${epoch + 1}: saved checkpoint to ${this.path(epoch)}`);
  }
  async onEpochEnd(epoch: number, logs: Logs = {}) {
    if (logs.loss !== undefined && !Number.isFinite(logs.loss)) return; // keep the last good one
    if (!this.opts.saveBestOnly) return this.save(epoch);
    const key = this.opts.monitor ?? 'val_loss';
    const v = logs[key];
    if (v === undefined) throw new NNError(`ModelCheckpoint: monitored value "${key}" is not in the logs (available: ${Object.keys(logs).join(', ')}).`, 'ModelCheckpoint');
    const mode = this.opts.mode === 'auto' || !this.opts.mode ? (/acc|auc|precision|recall|f1/.test(key) ? 'max' : 'min') : this.opts.mode;
    if (Number.isNaN(this.best) || (mode === 'min' ? v < this.best : v > this.best)) {
      this.best = v;
      await this.save(epoch);
    }
  }
  async onInterrupt(epoch: number, logs: Logs = {}) {
    if (logs.loss === undefined || Number.isFinite(logs.loss)) await this.save(epoch);
  }
}
