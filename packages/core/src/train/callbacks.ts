import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NNError, ValueError } from '../errors';
import type { Module } from '../nn/module';
import { tensor } from '../ops';
import type { TypedArray } from '../dtype';
import type { Tensor } from '../tensor';

/** Values logged per batch and per epoch: 'loss', 'accuracy', 'val_loss', 'lr' … */
export type Logs = Record<string, number>;

/**
 * A Keras-style callback. Every hook is optional and may be async; an exception thrown in a hook
 * stops training and reaches the caller of `fit`.
 */
export interface Callback {
  setModel?(model: Module): void;
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
  /** Training was interrupted (SIGINT) after the current step; save what must survive. */
  onInterrupt?(epoch: number, logs?: Logs): void | Promise<void>;
}

/** What callbacks can reach on the model being trained. */
export interface TrainingModel extends Module {
  stopTraining?: boolean;
}

type Mode = 'min' | 'max' | 'auto';
const better = (mode: Mode, monitor: string) => {
  const m = mode === 'auto' ? (/acc|auc|precision|recall|f1/.test(monitor) ? 'max' : 'min') : mode;
  return m === 'min' ? (a: number, b: number, d: number) => a < b - d : (a: number, b: number, d: number) => a > b + d;
};

/** Options of {@link earlyStopping}. */
export interface EarlyStoppingOptions {
  /** @default 'val_loss' */ monitor?: string;
  /** Minimum change that counts as an improvement. @default 0 */ minDelta?: number;
  /** Stop after this many epochs in a row without improvement (Keras `patience`). @default 0 */ patience?: number;
  /** @default 'auto' */ mode?: Mode;
  /** Restore the weights of the best epoch at the end. @default false */ restoreBestWeights?: boolean;
  /** Epochs to wait before monitoring. @default 0 */ startFromEpoch?: number;
  /** @default 0 */ verbose?: number;
}

/** Stop when a monitored value stops improving (Keras `EarlyStopping`). */
export class EarlyStopping implements Callback {
  model?: TrainingModel;
  best = NaN;
  wait = 0;
  stoppedEpoch = -1;
  bestEpoch = -1;
  private bestWeights: Map<string, TypedArray> | null = null;
  private readonly isBetter: (a: number, b: number, d: number) => boolean;
  constructor(readonly opts: EarlyStoppingOptions = {}) {
    if ((opts.patience ?? 0) < 0) throw new ValueError(`EarlyStopping: patience must be ≥ 0, got ${opts.patience}.`, 'EarlyStopping');
    this.isBetter = better(opts.mode ?? 'auto', opts.monitor ?? 'val_loss');
  }
  setModel(m: Module) {
    this.model = m;
  }
  onTrainBegin() {
    this.best = NaN;
    this.wait = 0;
    this.bestWeights = null;
  }
  onEpochEnd(epoch: number, logs: Logs = {}) {
    const key = this.opts.monitor ?? 'val_loss';
    const v = logs[key];
    if (v === undefined) {
      throw new NNError(`EarlyStopping: monitored value "${key}" is not in the logs (available: ${Object.keys(logs).join(', ')}).`, 'EarlyStopping', 'Pass validationData or validationSplit, or monitor another value.');
    }
    if (epoch < (this.opts.startFromEpoch ?? 0)) return;
    if (Number.isNaN(this.best) || this.isBetter(v, this.best, this.opts.minDelta ?? 0)) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.opts.restoreBestWeights) this.bestWeights = snapshot(this.model!);
      return;
    }
    // Keras: stop once `patience` epochs in a row have not improved (patience 0: the first one).
    this.wait++;
    if (this.wait >= (this.opts.patience ?? 0) && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }
  onTrainEnd() {
    if (this.opts.restoreBestWeights && this.bestWeights) restore(this.model!, this.bestWeights);
    if (this.stoppedEpoch >= 0 && this.opts.verbose) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping (best ${this.opts.monitor ?? 'val_loss'} ${this.best.toFixed(4)} at epoch ${this.bestEpoch + 1})`);
  }
}

/** Keras-style factory for {@link EarlyStopping}. */
export const earlyStopping = (opts?: EarlyStoppingOptions) => new EarlyStopping(opts);

/** A host copy of every weight and buffer, at the backend's own precision (float64 on the reference). */
function snapshot(m: Module): Map<string, TypedArray> {
  const out = new Map<string, TypedArray>();
  for (const [k, t] of Object.entries(m.stateDict())) out.set(k, t.dataSync().slice());
  return out;
}
function restore(m: Module, w: Map<string, TypedArray>) {
  const sd = m.stateDict();
  const src: Record<string, Tensor> = {};
  for (const [k, v] of w) src[k] = tensor(v, sd[k]!.shape, { dtype: sd[k]!.dtype });
  m.loadStateDict(src);
  for (const t of Object.values(src)) t.dispose();
}

/** Stop training when the loss becomes NaN or infinite (Keras `TerminateOnNaN`). */
export class TerminateOnNaN implements Callback {
  model?: TrainingModel;
  /** Set when triggered: where the NaN appeared. */
  triggered: { epoch: number; batch: number } | null = null;
  private epoch = 0;
  setModel(m: Module) {
    this.model = m;
  }
  onEpochBegin(epoch: number) {
    this.epoch = epoch;
  }
  onBatchEnd(batch: number, logs: Logs = {}) {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      this.triggered = { epoch: this.epoch, batch };
      console.warn(`TerminateOnNaN: invalid loss ${loss} at epoch ${this.epoch + 1}, step ${batch + 1}; terminating training.`);
      this.model!.stopTraining = true;
    }
  }
}

/** Options of {@link CSVLogger}. */
export interface CSVLoggerOptions {
  /** @default ',' */ separator?: string;
  /** Append to an existing file. @default false */ append?: boolean;
}

/** Stream epoch results to a CSV file (Keras `CSVLogger`). */
export class CSVLogger implements Callback {
  private keys: string[] | null = null;
  private first = true;
  constructor(readonly filename: string, readonly opts: CSVLoggerOptions = {}) {}
  async onTrainBegin() {
    await mkdir(dirname(this.filename), { recursive: true });
    this.first = !this.opts.append;
    if (!this.opts.append) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(this.filename, '');
    }
  }
  async onEpochEnd(epoch: number, logs: Logs = {}) {
    const sep = this.opts.separator ?? ',';
    this.keys ??= Object.keys(logs).sort();
    const lines: string[] = [];
    if (this.first) {
      lines.push(['epoch', ...this.keys].join(sep));
      this.first = false;
    }
    lines.push([String(epoch), ...this.keys.map((k) => (logs[k] === undefined ? '' : String(logs[k])))].join(sep));
    await appendFile(this.filename, lines.join('\n') + '\n');
  }
}

/** Set the learning rate at the start of each epoch from `schedule(epoch, lr)` (Keras `LearningRateScheduler`). */
export class LearningRateScheduler implements Callback {
  model?: TrainingModel & { optimizer?: { lr: number } };
  constructor(readonly schedule: (epoch: number, lr: number) => number, readonly verbose = 0) {}
  setModel(m: Module) {
    this.model = m;
  }
  onEpochBegin(epoch: number) {
    const opt = (this.model as unknown as { optimizer?: { lr: number } }).optimizer;
    if (!opt) throw new NNError('LearningRateScheduler: the model has no optimizer; call compile() first.', 'LearningRateScheduler');
    const lr = this.schedule(epoch, opt.lr);
    if (!Number.isFinite(lr) || lr < 0) throw new ValueError(`LearningRateScheduler: schedule returned an invalid learning rate ${lr} at epoch ${epoch}.`, 'LearningRateScheduler');
    opt.lr = lr;
    if (this.verbose) console.log(`Epoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${lr}.`);
  }
  onEpochEnd(_e: number, logs: Logs = {}) {
    const opt = (this.model as unknown as { optimizer?: { lr: number } }).optimizer;
    if (opt) logs.lr = opt.lr;
  }
}

/** Options of {@link ReduceLROnPlateauCallback}. */
export interface ReduceLROnPlateauCallbackOptions {
  /** @default 'val_loss' */ monitor?: string;
  /** @default 0.1 */ factor?: number;
  /** @default 10 */ patience?: number;
  /** @default 'auto' */ mode?: Mode;
  /** @default 1e-4 */ minDelta?: number;
  /** @default 0 */ cooldown?: number;
  /** @default 0 */ minLr?: number;
  /** @default 0 */ verbose?: number;
}

/** Multiply the learning rate by `factor` when a monitored value plateaus (Keras `ReduceLROnPlateau`). */
export class ReduceLROnPlateauCallback implements Callback {
  model?: TrainingModel;
  private best = NaN;
  private wait = 0;
  private cooldown = 0;
  private readonly isBetter: (a: number, b: number, d: number) => boolean;
  constructor(readonly opts: ReduceLROnPlateauCallbackOptions = {}) {
    if ((opts.factor ?? 0.1) >= 1) throw new ValueError(`ReduceLROnPlateau: factor must be < 1, got ${opts.factor}.`, 'ReduceLROnPlateau');
    this.isBetter = better(opts.mode ?? 'auto', opts.monitor ?? 'val_loss');
  }
  setModel(m: Module) {
    this.model = m;
  }
  onEpochEnd(epoch: number, logs: Logs = {}) {
    const opt = (this.model as unknown as { optimizer?: { lr: number } }).optimizer!;
    logs.lr = opt.lr;
    const v = logs[this.opts.monitor ?? 'val_loss'];
    if (v === undefined) return;
    if (this.cooldown > 0) this.cooldown--;
    if (Number.isNaN(this.best) || this.isBetter(v, this.best, this.opts.minDelta ?? 1e-4)) {
      this.best = v;
      this.wait = 0;
    } else if (this.cooldown <= 0 && ++this.wait >= (this.opts.patience ?? 10)) {
      const lr = Math.max(opt.lr * (this.opts.factor ?? 0.1), this.opts.minLr ?? 0);
      if (lr < opt.lr) {
        opt.lr = lr;
        if (this.opts.verbose) console.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${lr}.`);
      }
      this.cooldown = this.opts.cooldown ?? 0;
      this.wait = 0;
    }
  }
}

/** A callback made from functions (Keras `LambdaCallback`). */
export function lambdaCallback(hooks: Callback): Callback {
  return hooks;
}
