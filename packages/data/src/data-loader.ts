import { availableParallelism } from 'node:os';
import { endScope, HOST_BATCHES, startScope, type HostBatch as CoreHostBatch } from '@nn/core';
import { collateHost, type HostBatch } from './collate.js';
import { Dataset } from './dataset.js';
import { toBatch, type DefaultBatch } from './default-collate.js';
import { DataConfigError } from './errors.js';
import { randomSeed } from './random.js';

/** Options of {@link DataLoader}; names follow `torch.utils.data.DataLoader`. */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch. @default 1 */
  batchSize?: number;
  /** Reshuffle every epoch (a full permutation for indexable data, else a buffer). @default false */
  shuffle?: boolean;
  /** Shuffle buffer for streams. @default 10_000 */
  shuffleBuffer?: number;
  /** Seed of the shuffles: same seed, same order. @default a random seed */
  seed?: number;
  /** Drop the last incomplete batch. @default false */
  dropLast?: boolean;
  /**
   * Worker threads that run `transform` and stack batches (0: all in this thread).
   * @default 0
   */
  numWorkers?: number;
  /** Alias of `numWorkers` (the name in the API sketch). */
  workers?: number;
  /**
   * Per-sample preprocessing, run in the workers when `numWorkers > 0`. It travels as source text:
   * self-contained, data through `transformContext` (third argument). `index` is the sample's place
   * in its batch; the fourth argument says which epoch and which place in the epoch (what seeded
   * augmentation such as `augment.Compose` derives its random numbers from).
   */
  transform?: (sample: T, index: number, context: any, info: TransformInfo) => unknown;
  /** Structured-cloneable data handed to `transform`. */
  transformContext?: unknown;
  /** Batches to read ahead. @default 2 */
  prefetch?: number;
  /** Turns a list of samples into a batch. @default stacking into `[x, y]` tensors */
  collate?: (samples: any[]) => B | Promise<B>;
  /**
   * Free each step's intermediates automatically: every batch opens a core scope that closes when
   * the next batch is requested (or the loop ends), disposing the batch and every tensor the loop
   * body made — except parameters, gradients and optimizer state, and tensors you `keep()`. This is
   * what keeps a plain PyTorch-style loop's memory flat on tfjs. Turn it off to manage memory yourself.
   * @default true
   */
  autoScope?: boolean;
}

/**
 * Batches a {@link Dataset} the PyTorch way: shuffle, batch, collate, read ahead, and optionally
 * preprocess in worker threads. Each `for await` is one epoch; `setEpoch` picks one explicitly.
 *
 * @example
 * ```ts
 * const loader = new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1, numWorkers: 2,
 *   transform: (s) => ({ x: s.x.map((v) => v / 255), y: s.y }) });
 * for await (const [x, y] of loader) { ... }
 * ```
 */
/** Where a sample is, for {@link DataLoaderOptions.transform}: its epoch and its position in that epoch. */
export interface TransformInfo {
  epoch: number;
  position: number;
}

export class DataLoader<T, B = DefaultBatch> implements AsyncIterable<B> {
  readonly dataset: Dataset<T>;
  readonly batchSize: number;
  private readonly pipeline: Dataset<unknown>;
  private readonly collate: ((samples: any[]) => B | Promise<B>) | undefined;
  private epoch = 0;
  private readonly autoScope: boolean;
  private readonly dropLast: boolean;
  private warnedEmpty = false;

  constructor(dataset: Dataset<T> | readonly T[], options: DataLoaderOptions<T, B> = {}) {
    this.dataset = dataset instanceof Dataset ? dataset : Dataset.fromItems(dataset);
    this.autoScope = options.autoScope ?? true;
    this.dropLast = options.dropLast ?? false;
    const where = 'DataLoader';
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new DataConfigError(where, 'batchSize', 'an integer ≥ 1', batchSize);
    this.batchSize = batchSize;
    const workers = options.numWorkers ?? options.workers ?? 0;
    if (!Number.isInteger(workers) || workers < 0 || workers > 4 * availableParallelism())
      throw new DataConfigError(where, 'numWorkers', `an integer in [0, ${4 * availableParallelism()}]`, workers);
    const prefetch = options.prefetch ?? 2;
    if (!Number.isInteger(prefetch) || prefetch < 0) throw new DataConfigError(where, 'prefetch', 'an integer ≥ 0', prefetch);

    let ds: Dataset<unknown> = this.dataset;
    if (options.shuffle) ds = ds.shuffle({ seed: options.seed ?? randomSeed(), buffer: options.shuffleBuffer ?? 10_000 });
    // With a transform, each sample travels as [sample, epoch, position] so the transform knows
    // where it is (seeded augmentation), in this thread or a worker.
    if (options.transform) {
      const src = ds.node;
      ds = new Dataset<unknown>({
        length: src.length,
        async *iterate(ctx) {
          let k = 0;
          for await (const v of src.iterate(ctx)) yield [v, ctx.epoch, k++];
        },
      });
    }
    const batches = ds.batch(batchSize, { dropRemainder: options.dropLast ?? false });
    const collate = options.collate;
    this.collate = collate;
    let out: Dataset<unknown>;
    if (workers > 0) {
      // Workers transform each sample and, with the default collate, stack the batch too:
      // one message per batch, and the main thread only wraps host arrays in tensors.
      out = batches.parallelMap(workerBatchFn, {
        workers,
        context: {
          transform: options.transform ? options.transform.toString() : null,
          collate: collate ? null : collateHost.toString(),
          user: options.transformContext,
        },
      });
    } else {
      const t = options.transform;
      const ctx = options.transformContext;
      const transformed = t
        ? batches.map(async (b) => Promise.all(b.map((s, i) => {
          const [v, epoch, position] = s as [T, number, number];
          return t(v, i, ctx, { epoch, position });
        })))
        : batches;
      out = collate ? transformed : transformed.map((b) => collateHost(b));
    }
    // Read-ahead holds host data only: tensors are made when the consumer takes a batch, so they
    // belong to the consumer's scope and none is left undisposed when a loop breaks early.
    this.pipeline = prefetch > 0 ? out.prefetch(prefetch) : out;
  }

  /** Batches per epoch, when the dataset's length is known. */
  get length(): number | undefined {
    return this.pipeline.length;
  }

  /** Makes the next iteration read epoch `epoch` (its shuffle order). */
  setEpoch(epoch: number): void {
    this.epoch = epoch;
  }

  [Symbol.asyncIterator](): AsyncIterator<B> {
    return this.iterate();
  }

  /**
   * One pass (epoch) of batches. Without `epoch`, passes are numbered 0, 1, 2 … per loader (what
   * `for await` does); with it, that epoch's order is read and the count is left alone — so a
   * one-off pass (statistics, `Normalization.adapt`) does not shift the orders training sees.
   * @param options.epoch the epoch to read.
   */
  iterate(options: { epoch?: number } = {}): AsyncIterableIterator<B> {
    const epoch = options.epoch ?? this.epoch++;
    const it = this.pipeline.iterate({ epoch });
    const collate = this.collate;
    let token: number | null = null;
    let batches = 0;
    const close = () => {
      if (token === null) return;
      try {
        endScope(token);
      } catch {
        // The loop body left a scope of its own open: leave ours to the enclosing scope.
      }
      token = null;
    };
    const self: AsyncIterableIterator<B> = {
      [Symbol.asyncIterator]: () => self,
      next: async (): Promise<IteratorResult<B>> => {
        close();
        const r = await it.next();
        if (r.done) {
          if (batches === 0) this.warnEmpty(epoch);
          return { done: true, value: undefined };
        }
        batches++;
        if (this.autoScope) token = startScope('DataLoader batch');
        return { done: false, value: collate ? await collate(r.value as unknown[]) : (toBatch(r.value as HostBatch) as B) };
      },
      return: async (): Promise<IteratorResult<B>> => {
        close();
        await it.return?.();
        return { done: true, value: undefined };
      },
    };
    return self;
  }

  /**
   * One pass (epoch) of batches as host arrays, without making core tensors: core's
   * {@link HOST_BATCHES} protocol, what `fit` uses with a training engine (the `ort` engine takes
   * host values: a tensor per batch would be written to the backend and read back). The same
   * batches, order and epoch count as `for await`. Null with a custom `collate` (its batches are
   * whatever it returns).
   */
  [HOST_BATCHES](): AsyncIterable<CoreHostBatch> | null {
    if (this.collate) return null;
    const epoch = this.epoch++;
    const pipeline = this.pipeline;
    const warnEmpty = () => this.warnEmpty(epoch);
    return {
      async *[Symbol.asyncIterator]() {
        let batches = 0;
        for await (const b of pipeline.iterate({ epoch })) {
          batches++;
          yield b as HostBatch;
        }
        if (batches === 0) warnEmpty();
      },
    };
  }

  /** A pass with no batch trains nothing: say so once per loader (a training loop would not). */
  private warnEmpty(epoch: number): void {
    if (this.warnedEmpty) return;
    this.warnedEmpty = true;
    const n = this.dataset.length;
    const why =
      n === 0 ? 'the dataset is empty'
      : n !== undefined && this.dropLast && n < this.batchSize ? `dropLast drops all ${n} sample(s): fewer than batchSize ${this.batchSize}`
      : 'the dataset yielded no samples';
    console.warn(`@nn/data DataLoader: epoch ${epoch} produced no batches (${why}); a loop over it (e.g. fit) trains nothing.`);
  }
}

/**
 * Runs in a worker (shipped as text): applies the user's transform to each sample of a batch,
 * then stacks with `collateHost` unless a custom collate runs in the main thread.
 */
async function workerBatchFn(
  batch: unknown[],
  _index: number,
  ctx: { transform: string | null; collate: string | null; user: unknown },
): Promise<unknown> {
  const g = globalThis as unknown as { __nnDataCache?: Map<string, (...a: unknown[]) => unknown> };
  const cache = (g.__nnDataCache ??= new Map());
  const load = (src: string) => {
    let f = cache.get(src);
    if (!f) {
      f = (0, eval)(`(${src})`) as (...a: unknown[]) => unknown;
      cache.set(src, f);
    }
    return f;
  };
  let samples = batch;
  if (ctx.transform) {
    const t = load(ctx.transform);
    samples = [];
    for (let i = 0; i < batch.length; i++) {
      const [v, epoch, position] = batch[i] as [unknown, number, number];
      samples.push(await t(v, i, ctx.user, { epoch, position }));
    }
  }
  return ctx.collate ? load(ctx.collate)(samples) : samples;
}
