import { join } from 'node:path';
import { InvalidOptionError } from '../errors.js';
import type { Callback, Logs, ModelLike } from '../types.js';
import { SummaryWriter } from './summary-writer.js';

/** Options for the {@link TensorBoard} callback. */
export interface TensorBoardOptions {
  /** Folder of this run; `train/` and `validation/` event files go below it, as in Keras. */
  logDir: string;
  /**
   * `'epoch'` logs `epoch_<metric>` once per epoch; `'batch'` also logs `batch_<metric>` every
   * batch; a number N logs batch values every N batches.
   * @default 'epoch'
   */
  updateFreq?: 'epoch' | 'batch' | number;
  /**
   * Every how many epochs to write histograms of weights and gradients (0: never).
   * @default 1
   */
  histogramFreq?: number;
  /**
   * Write gradient histograms (the gradients left by the epoch's last backward pass).
   * @default true
   */
  writeGrads?: boolean;
  /** Markdown written once as the text summary `notes` at the start of training. */
  notes?: string;
  /** The model, when `fit` does not call `setModel`. */
  model?: ModelLike;
}

/**
 * Keras-style TensorBoard callback: scalars per epoch (and per batch if asked), histograms of
 * every parameter and its gradient (`weights/<name>`, `gradients/<name>`) from
 * `model.namedParameters()`, and text notes. Training values go to `<logDir>/train`, `val_`
 * values (without the prefix) to `<logDir>/validation`, so TensorBoard overlays the two.
 *
 * @example
 * await model.fit(ds, { epochs: 10, callbacks: [new TensorBoard({ logDir: 'logs/run1' })] });
 * // then: tensorboard --logdir logs
 */
export class TensorBoard implements Callback {
  private train: SummaryWriter | null = null;
  private val: SummaryWriter | null = null;
  private model: ModelLike | undefined;
  private globalBatch = 0;
  private readonly updateFreq: 'epoch' | 'batch' | number;
  private readonly histogramFreq: number;

  constructor(readonly options: TensorBoardOptions) {
    if (!options || typeof options.logDir !== 'string') throw new InvalidOptionError('TensorBoard: options.logDir', options?.logDir, 'a folder path');
    this.updateFreq = options.updateFreq ?? 'epoch';
    if (typeof this.updateFreq === 'number' && !(Number.isInteger(this.updateFreq) && this.updateFreq > 0)) {
      throw new InvalidOptionError('TensorBoard: options.updateFreq', this.updateFreq, "'epoch', 'batch' or a positive integer");
    }
    this.histogramFreq = options.histogramFreq ?? 1;
    this.model = options.model;
    if (this.updateFreq !== 'epoch') this.onBatchEnd = (_batch, logs) => this.batchEnd(logs);
  }

  /** Logs `batch_*` scalars every `updateFreq` batches; absent with `updateFreq: 'epoch'` (a batch hook makes `fit` with an engine (`ortEngine()`) run one batch per call, so it is defined only when batches are logged). */
  readonly onBatchEnd?: (batch: number, logs?: Logs) => void;

  setModel(model: unknown): void {
    this.model = model as ModelLike;
  }

  /** The training-split writer (created on first use). */
  get trainWriter(): SummaryWriter {
    return (this.train ??= new SummaryWriter(join(this.options.logDir, 'train')));
  }

  /** The validation-split writer (created on first use). */
  get valWriter(): SummaryWriter {
    return (this.val ??= new SummaryWriter(join(this.options.logDir, 'validation')));
  }

  onTrainBegin(): void {
    this.globalBatch = 0;
    if (this.options.notes) this.trainWriter.addText('notes', this.options.notes, 0);
  }

  private batchEnd(logs?: Logs): void {
    const every = this.updateFreq === 'batch' ? 1 : this.updateFreq === 'epoch' ? 0 : this.updateFreq;
    const step = this.globalBatch++;
    if (!every || step % every !== 0 || !logs) return;
    for (const [k, v] of Object.entries(logs)) {
      if (typeof v === 'number' && !k.startsWith('val_')) this.trainWriter.addScalar(`batch_${k}`, v, step);
    }
  }

  onEpochEnd(epoch: number, logs?: Logs): void {
    for (const [k, v] of Object.entries(logs ?? {})) {
      if (typeof v !== 'number') continue;
      if (k.startsWith('val_')) this.valWriter.addScalar(`epoch_${k.slice(4)}`, v, epoch);
      else this.trainWriter.addScalar(`epoch_${k}`, v, epoch);
    }
    if (this.histogramFreq > 0 && epoch % this.histogramFreq === 0) this.writeHistograms(epoch);
    this.train?.flush();
    this.val?.flush();
  }

  /** Writes weight (and gradient) histograms of the model's parameters at `step`. */
  writeHistograms(step: number): void {
    if (!this.model || typeof this.model.namedParameters !== 'function') return;
    for (const [name, p] of this.model.namedParameters()) {
      this.trainWriter.addHistogram(`weights/${name}`, p.dataSync(), step);
      if (this.options.writeGrads !== false && p.grad) this.trainWriter.addHistogram(`gradients/${name}`, p.grad.dataSync(), step);
    }
  }

  onTrainEnd(): void {
    this.close();
  }

  /** Flushes and closes both event files. */
  close(): void {
    this.train?.close();
    this.val?.close();
    this.train = null;
    this.val = null;
  }
}
