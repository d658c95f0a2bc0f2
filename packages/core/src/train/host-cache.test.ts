import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getBackend, manualSeed, nn, optim, randn, tensor, Tensor, ValueError } from '../index';
import { HOST_CACHE_SIZE, cachedHost, hostCacheLimit, hostCacheSize, keepHost } from './host-cache';

// fit / evaluate / predict read their in-memory tensors back to the host; a second call on the same
// tensor takes the copy the first made (see ./host-cache.ts).

const model = () => {
  manualSeed(1);
  const m = new nn.Sequential(new nn.Linear(4, 3));
  m.compile({ optimizer: new optim.SGD(m.parameters(), { lr: 0.1 }), loss: 'crossentropy' });
  return m;
};

/** Count backend reads of tensors of `shape` while `f` runs. */
async function readsOf(shape: number[], f: () => Promise<unknown>): Promise<number> {
  const b = getBackend();
  const spy = vi.spyOn(b, 'readSync');
  try {
    await f();
    return spy.mock.calls.filter(([ref]) => ref.shape.join(',') === shape.join(',')).length;
  } finally {
    spy.mockRestore();
  }
}

describe('host copies of fit / evaluate / predict data', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a second fit, evaluate and predict on the same tensors reads them back once', async () => {
    const m = model();
    const x = randn([37, 4]), y = tensor(Array.from({ length: 37 }, (_, i) => i % 3), undefined, { dtype: 'int32' });
    expect(await readsOf([37, 4], () => m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, engine: 'eager' }))).toBe(1);
    expect(await readsOf([37, 4], () => m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, engine: 'eager' }))).toBe(0);
    expect(await readsOf([37, 4], () => m.evaluate(x, y))).toBe(0);
    expect(await readsOf([37, 4], async () => { const p = (await m.predict(x)) as Tensor; p.dispose(); })).toBe(0);
  });

  it('new values in the same tensor (assign_) are read again and trained on', async () => {
    const x = randn([16, 4]), y = tensor(Array.from({ length: 16 }, (_, i) => i % 3), undefined, { dtype: 'int32' });
    const x2 = randn([16, 4]);
    const ref = model();
    const h0 = await ref.fit(tensor(x2.dataSync(), [16, 4]), y, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false, engine: 'eager' });
    const m = model();
    await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false, engine: 'eager' });
    x.assign_(tensor(x2.dataSync(), [16, 4]));
    const m2 = model();
    let h!: Awaited<ReturnType<typeof m2.fit>>;
    expect(await readsOf([16, 4], async () => (h = await m2.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0, shuffle: false, engine: 'eager' })))).toBe(1);
    // Same start, same data as the reference: the same loss (a stale copy of x's old values would differ).
    expect(h.history.loss![0]).toBe(h0.history.loss![0]);
  });

  it('dispose drops a copy; at most HOST_CACHE_SIZE tensors keep one', async () => {
    const m = model();
    const y = tensor(Array.from({ length: 8 }, (_, i) => i % 3), undefined, { dtype: 'int32' });
    const before = hostCacheSize();
    const x = randn([8, 4]);
    await m.fit(x, y, { epochs: 1, verbose: 0, engine: 'eager' });
    expect(hostCacheSize()).toBeGreaterThan(0);
    const kept = hostCacheSize();
    x.dispose();
    expect(hostCacheSize()).toBe(kept - 1);
    for (let i = 0; i < HOST_CACHE_SIZE + 2; i++) await m.fit(randn([8, 4]), y, { epochs: 1, verbose: 0, engine: 'eager' });
    expect(hostCacheSize()).toBeLessThanOrEqual(HOST_CACHE_SIZE);
    expect(before).toBeLessThanOrEqual(HOST_CACHE_SIZE);
  });

  it('keeps at most hostCacheLimit.bytes of copies: a larger tensor is read back every call', async () => {
    const saved = hostCacheLimit.bytes;
    const y = tensor(Array.from({ length: 37 }, (_, i) => i % 3), undefined, { dtype: 'int32' });
    // Room for one [37, 4] x and its [37] labels as this backend reads them back (the reference
    // backend reads float32 as Float64Array).
    hostCacheLimit.bytes = randn([37, 4]).dataSync().byteLength + y.dataSync().byteLength;
    try {
      const m = model();
      const big = randn([50, 4]), y50 = tensor(Array.from({ length: 50 }, (_, i) => i % 3), undefined, { dtype: 'int32' });
      for (let i = 0; i < 2; i++) expect(await readsOf([50, 4], () => m.fit(big, y50, { epochs: 1, verbose: 0, engine: 'eager' }))).toBe(1);
      const x = randn([37, 4]);
      await m.fit(x, y, { epochs: 1, verbose: 0, engine: 'eager' });
      expect(await readsOf([37, 4], () => m.fit(x, y, { epochs: 1, verbose: 0, engine: 'eager' }))).toBe(0);
      // Another copy of that size would pass the cap: the older one goes.
      const x2 = randn([37, 4]);
      await m.fit(x2, y, { epochs: 1, verbose: 0, engine: 'eager' });
      expect(await readsOf([37, 4], () => m.fit(x, y, { epochs: 1, verbose: 0, engine: 'eager' }))).toBe(1);
    } finally {
      hostCacheLimit.bytes = saved;
    }
  });

  it('does not keep a tensor alive: one left to the garbage collector takes its copy along', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collect = async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 5));
        gc();
      }
    };
    await collect(); // earlier tests' tensors first
    const held = {};
    const dropped: { t: object | null } = { t: {} };
    keepHost(held, 1, new Float32Array(4));
    keepHost(dropped.t!, 1, new Float32Array(4));
    const n = hostCacheSize();
    dropped.t = null;
    await collect();
    expect(hostCacheSize()).toBe(n - 1);
    expect(cachedHost(held, 1)).toBeDefined();
  });

  it('a tensor with a NaN fails every fit, not only the first (the check result is not cached as passed)', async () => {
    const m = model();
    const x = tensor([[1, 2, 3, NaN], [0, 0, 0, 0]]), y = tensor([0, 1], undefined, { dtype: 'int32' });
    for (let i = 0; i < 2; i++) await expect(m.fit(x, y, { verbose: 0, engine: 'eager' })).rejects.toThrow(ValueError);
  });
});
