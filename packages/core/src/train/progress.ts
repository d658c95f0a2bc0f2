import cliProgress from 'cli-progress';
import type { Logs } from './callbacks';

/** Formats logs like Keras: `loss: 0.4123 - accuracy: 0.8512`. */
export function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .filter(([k]) => k !== 'batch' && k !== 'size')
    .map(([k, v]) => `${k}: ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3)}`)
    .join(' - ');
}

/**
 * Keras-style progress: a live bar (cli-progress) on a TTY, one line per epoch otherwise.
 * `verbose` 0 is silent, 1 shows the bar, 2 one line per epoch.
 */
export class ProgressReporter {
  private bar: cliProgress.SingleBar | null = null;
  private t0 = 0;
  constructor(readonly verbose: 0 | 1 | 2, readonly epochs: number, readonly stream: NodeJS.WriteStream = process.stdout) {}

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

  batchEnd(step: number, logs: Logs): void {
    this.bar?.update(step + 1, { logs: formatLogs(logs) });
  }

  epochEnd(epoch: number, logs: Logs): void {
    const secs = (performance.now() - this.t0) / 1000;
    if (this.bar) {
      this.bar.update({ logs: `${formatLogs(logs)} - ${secs.toFixed(1)}s` });
      this.bar.stop();
      this.bar = null;
    } else if (this.verbose !== 0) {
      this.stream.write(`Epoch ${epoch + 1}/${this.epochs} - ${secs.toFixed(1)}s - ${formatLogs(logs)}\n`);
    }
  }
}
