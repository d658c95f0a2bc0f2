import { endScope, noGrad, startScope } from '../engine';
import type { Tensor } from '../tensor';
import { asList, batchLoss, bindIfNeeded, forward, partLogs, sampleWeights, warnIfLogitsToProbabilityLoss, type BoundMetric } from './batch';
import type { Compiled, Trainable } from './compile';
import type { FitEngineSession } from './fit-engine';

/** What one eager step reports to fit's loop. */
export interface EagerStepResult {
  /** The weighted total loss, with the regularization penalties. */
  readonly loss: number;
  /** Each output's own loss, by log key (models with several outputs). */
  readonly parts: Record<string, number>;
  /** Samples in the batch. */
  readonly size: number;
}

/**
 * Core's eager training step as a fit engine session: forward, loss, backward and optimizer step on
 * the active backend, for any batch fit trains — several inputs and outputs, class weights — updating
 * the compiled metrics from the predictions while they are alive. The weights live in the model's
 * tensors, so `sync` and `invalidate` have nothing to do. fit's one loop runs it like any engine
 * (`engine: 'eager'`, and whenever the chosen engine cannot train the batches).
 */
export class EagerSession implements FitEngineSession {
  private first = true;

  constructor(
    private readonly model: Trainable,
    private readonly c: Compiled,
    private readonly opts: { readonly metrics: readonly BoundMetric[]; readonly outKeys: readonly string[]; readonly classWeight?: Record<number, number> },
  ) {}

  /** One step on one batch (tensors stay the caller's). */
  stepBatch(xb: Tensor | Tensor[], yb: Tensor | Tensor[] | undefined, sampleWeight: Tensor | null = null): EagerStepResult {
    const token = startScope('fit-step');
    try {
      const ys = asList(yb);
      // Keras: class weights and sample weights multiply.
      const cw = sampleWeights(this.opts.classWeight, yb);
      const sw = cw && sampleWeight ? cw.mul(sampleWeight) : cw ?? sampleWeight;
      const preds = forward(this.model, xb, true);
      if (this.first) {
        // A Keras model builds its weights on the first call: bind the optimizer now.
        bindIfNeeded(this.c, this.model);
        warnIfLogitsToProbabilityLoss(this.c, preds[0]!);
        this.first = false;
      }
      const parts: Tensor[] = [];
      const loss = batchLoss(this.c, this.model, ys, preds, sw, this.opts.outKeys.length ? parts : undefined);
      this.c.optimizer.zeroGrad();
      loss.backward();
      this.c.optimizer.step();
      const out = { loss: loss.item(), parts: partLogs([...this.opts.outKeys], parts), size: preds[0]!.shape[0] ?? 1 };
      noGrad(() => {
        for (const b of this.opts.metrics) b.m.update(ys[b.out]!, preds[b.out]!);
      });
      return out;
    } finally {
      endScope(token);
    }
  }

  async step(x: Tensor, y: Tensor): Promise<number> {
    return this.stepBatch(x, y).loss;
  }
  sync(): void {}
  invalidate(): void {}
  async dispose(): Promise<void> {}
}
