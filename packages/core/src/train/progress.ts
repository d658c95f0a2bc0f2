import cliProgress from 'cli-progress';
import type { Logs } from './callbacks';
import { ExponentiallyWeightedAverage } from './ewa';

/** Formats logs like Keras: `loss: 0.4123 - accuracy: 0.8512`. */
export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .filter(([k]) => k !== 'batch' && k !== 'size')
    .map(([k, v]) => `${k}: ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3)}`)
    .join(' - ');
}

/** Options of {@link ProgressReporter}. */
export interface ProgressReporterOptions {
  /**
   * β of an exponentially weighted average (with the course's bias correction, see
   * {@link ExponentiallyWeightedAverage}) of the per-batch values given to `batchEnd`'s `batch`
   * argument, shown as `<name>_ewa` (e.g. `loss_ewa`); it runs on across epochs. @default null (none)
   */
  smoothing?: number | null;
}

/**
 * Keras-style progress: a live bar (cli-progress) on a TTY, one line per epoch otherwise.
 * `verbose` 0 is silent, 1 shows the bar, 2 one line per epoch.
 *
 * @example
 * ```ts
 * const progress = new ProgressReporter(1, epochs, process.stdout, { smoothing: 0.98 });
 * progress.batchEnd(step, { loss: lossSum / seen }, { loss: batchLoss }); // … - loss_ewa: 0.4312
 * ```
 */
export class ProgressReporter {
  private bar: cliProgress.SingleBar | null = null;
  private t0 = 0;
  private readonly smoothed = new Map<string, ExponentiallyWeightedAverage>();
  readonly smoothing: number | null;
  constructor(readonly verbose: 0 | 1 | 2, readonly epochs: number, readonly stream: NodeJS.WriteStream = process.stdout, options: ProgressReporterOptions = {}) {
    this.smoothing = options.smoothing ?? null;
    if (this.smoothing !== null) new ExponentiallyWeightedAverage(this.smoothing); // validates β
  }

  /** The smoothed values so far, as `<name>_ewa` logs (empty without `smoothing`). */
  smoothedLogs(): Logs {
    return Object.fromEntries([...this.smoothed].map(([k, a]) => [`${k}_ewa`, a.value]));
  }

  epochBegin(epoch: number, steps: number | undefined): void {
    this.t0 = performance.now();
    if (this.verbose === 0) return;
    if (this.verbose === 1 && this.stream.isTTY && steps) {
      this.stream.write(`Epoch ${epoch + 1}/${this.epochs}\n`);
      this.bar = new cliProgress.SingleBar(
        { format: '{value}/{total} [{bar}] {eta_formatted} {logs}', barsize: 30, stream: this.stream, hideCursor: true, clearOnComplete: false },
        cliProgress.Presets.legacy,
      );
      this.bar.start(steps, 0, { logs: '' });
    }
  }

  /**
   * @param step - 0-based batch index in the epoch.
   * @param logs - What to show (Keras shows running means over the epoch).
   * @param batch - This batch's own values (e.g. `{ loss }`), smoothed when `smoothing` is set.
   */
  batchEnd(step: number, logs: Logs, batch?: Logs): void {
    if (this.smoothing !== null && batch) {
      for (const [k, v] of Object.entries(batch)) {
        if (k === 'batch' || k === 'size') continue;
        let a = this.smoothed.get(k);
        if (!a) this.smoothed.set(k, (a = new ExponentiallyWeightedAverage(this.smoothing)));
        a.update(v);
      }
    }
    this.bar?.update(step + 1, { logs: formatLogs({ ...logs, ...this.smoothedLogs() }) });
  }

  epochEnd(epoch: number, logs: Logs): void {
    const secs = (performance.now() - this.t0) / 1000;
    logs = { ...logs, ...this.smoothedLogs() };
    if (this.bar) {
      this.bar.update({ logs: `${formatLogs(logs)} - ${secs.toFixed(1)}s` });
      this.bar.stop();
      this.bar = null;
    } else if (this.verbose !== 0) {
      this.stream.write(`Epoch ${epoch + 1}/${this.epochs} - ${secs.toFixed(1)}s - ${formatLogs(logs)}\n`);
    }
  }
}
