import { describe, expect, it } from 'vitest';
import { uniform } from './distributions.js';
import { StorageError, TrialResultNotSavedError } from './errors.js';
import { MemoryStorage } from './storage/memory.js';
import { study } from './study.js';

/** A memory storage whose finishTrial / updateTrial fail while `down` is set (a storage that gave up retrying). */
class FlakyStorage extends MemoryStorage {
  down = false;
  override async finishTrial(...args: Parameters<MemoryStorage['finishTrial']>): Promise<boolean> {
    if (this.down) throw new StorageError('flaky', 'finishTrial failed: ECONNREFUSED (transient; gave up after 9 attempts over 30012 ms)');
    return super.finishTrial(...args);
  }
  override async updateTrial(...args: Parameters<MemoryStorage['updateTrial']>): Promise<void> {
    if (this.down) throw new StorageError('flaky', 'updateTrial failed: ECONNREFUSED');
    return super.updateTrial(...args);
  }
}

describe('a finished value is never lost', () => {
  it('a result that cannot be written is kept, reported with its value, and written by the next optimize()', async () => {
    const storage = new FlakyStorage();
    const warnings: string[] = [];
    const s = study({ storage, seed: 3, onWarning: (m) => warnings.push(m) });
    let computed = Number.NaN;
    const objective = (t: { suggest: (n: string, d: ReturnType<typeof uniform>) => number; report: (v: number, s: number) => Promise<void> }) => {
      const x = t.suggest('x', uniform(-1, 1));
      storage.down = true; // the storage goes away while the objective runs
      computed = x * x;
      return computed;
    };
    const err = await s.optimize(objective as never, { trials: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrialResultNotSavedError);
    const r = (err as TrialResultNotSavedError).result;
    expect(r).toMatchObject({ number: 0, state: 'complete', value: computed });
    expect((err as Error).message).toMatch(new RegExp(`trial 0 finished \\(complete, value ${computed}, params \\{"x":.*\\}\\) but its result could not be saved: .*ECONNREFUSED.*unsavedResults`));
    expect(s.unsavedResults).toEqual([r]);
    // The params write failed too: warned, and it did not stop the result from being kept.
    expect(warnings.some((w) => /trial 0: some reported values or attributes could not be saved/.test(w))).toBe(true);

    storage.down = false;
    await s.optimize(() => 0.5, { trials: 0 });
    expect(s.unsavedResults).toEqual([]);
    expect(s.trials[0]).toMatchObject({ number: 0, state: 'complete', value: computed });
  });
});
